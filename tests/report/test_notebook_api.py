"""The report from a notebook: `result.plot()`, `fxjudge.report(result, path, lang=...)` and the
report shown inline (`result.show_report()`), the inline one opened in headless Chromium."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fxjudge
from fxjudge.errors import ConfigError
from tests.conftest import REPO
from tests.report.test_browser import CHROMIUM


def test_plot_of_a_plain_run(plain_result):
    figure = plain_result.plot()
    types = [trace.type for trace in figure.data]
    assert types == ["candlestick", "scatter", "scatter", "scatter", "scatter", "scatter"]
    trades = plain_result.trades
    assert len(figure.data[1].x) == int((trades["side"] == 1).sum())
    assert len(figure.data[3].x) == len(trades)  # every exit
    assert [trace.yaxis for trace in figure.data] == ["y", "y", "y", "y", "y2", "y3"]
    assert figure.layout.title.text == "sma_cross · EURUSD H1"


def test_plot_of_a_judged_run_shows_the_rejected_and_both_equity_curves(judged_result,
                                                                        sample_bars):
    figure = judged_result.plot(sample_bars, lang="ja", display_tz="Asia/Tokyo")
    names = [trace.name for trace in figure.data]
    assert "見送った候補" in names and names.count("判定あり") == 2 and names.count("判定なし") == 2
    rejected = figure.data[names.index("見送った候補")]
    assert len(rejected.x) == int((~judged_result.candidates["taken"]).sum())
    first = judged_result.without_judge.equity.index[0]
    equity = figure.data[names.index("判定なし")]
    assert str(equity.x[0])[:16] == (first.tz_convert("Asia/Tokyo")).strftime("%Y-%m-%dT%H:%M")


def test_plot_without_prices_keeps_equity_and_drawdown(plain_result):
    import copy

    lost = copy.deepcopy(plain_result)
    lost.config["data"]["source"] = "/nowhere/gone.csv"
    figure = lost.plot()
    assert [trace.yaxis for trace in figure.data] == ["y", "y2"]


def test_fxjudge_report_writes_and_never_overwrites_unasked(judged_result, sample_bars,
                                                          tmp_path):
    assert callable(fxjudge.report) and fxjudge.report is sys.modules["fxjudge.report"]
    path = fxjudge.report(judged_result, tmp_path / "judged.html", lang="ja", bars=sample_bars)
    assert path.exists() and not (tmp_path / "judged-trades.csv").exists()  # inside the page
    assert 'download="judged-trades.csv"' in path.read_text(encoding="utf-8")
    assert '<html lang="ja">' in path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="judged.html: already exists; pass overwrite=True"):
        fxjudge.report(judged_result, path)
    before = path.stat().st_mtime_ns
    fxjudge.report(judged_result, path, overwrite=True, display_tz="Asia/Tokyo")
    assert path.stat().st_mtime_ns != before and "Japan time" in path.read_text()
    with pytest.raises(ConfigError, match="`path` must name an .html file"):
        fxjudge.report(judged_result, tmp_path / "judged.pdf")


def test_fxjudge_report_is_callable_before_anything_imported_it():
    probe = ("import json, sys, fxjudge; loaded = 'fxjudge.report' in sys.modules; "
             "print(json.dumps([loaded, callable(fxjudge.report), "
             "fxjudge.report is sys.modules['fxjudge.report']]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=True)
    assert json.loads(done.stdout) == [False, True, True]


def test_show_report_is_the_page_in_an_iframe_and_draws_in_chromium(judged_result, sample_bars,
                                                                    tmp_path):
    inline = judged_result.show_report(bars=sample_bars, height_px=700)
    html = inline._repr_html_()
    assert html.startswith('<iframe srcdoc="&lt;!doctype html&gt;') and "height: 700px" in html
    assert 'id="trades-csv"' not in inline.html  # no CSV link in a notebook
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not installed: {CHROMIUM} is absent")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    cell = tmp_path / "cell.html"
    cell.write_text(f"<!doctype html><html><body>{html}</body></html>", encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_context(offline=True).new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(cell.as_uri())
            frame = page.frames[1]
            frame.wait_for_selector("body[data-charts=drawn]", state="attached",
                                    timeout=30_000)
            assert frame.locator("#chart-price .main-svg").count() > 0
            assert "Not enough evidence" in frame.inner_text("#verdict")
            assert errors == []
        finally:
            browser.close()
