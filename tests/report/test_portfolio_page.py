"""The portfolio report in both languages, a saved portfolio read back and re-rendered, all
opened in headless Chromium.

The run: the sample's EURUSD H1 2017 bars as two legs (EURUSD, and relabelled as GBPUSD) of one
USD account, with a stop-out level, so that nothing needs a conversion and the run is quick.
A Japanese page must show no English word a translation should have replaced: the words of its
visible text and of its charts' titles and legends are checked against what may stay as it is
(pairs, currencies, numbers, file names, and the ASCII that the Japanese labels themselves use).
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

import fxjudge
from fxjudge.cli import main
from fxjudge.errors import ConfigError
from fxjudge.report import load_run, write_run_report
from fxjudge.report.i18n import EN, JA
from fxjudge.results.portfolio import PortfolioBacktest
from tests.report import test_browser
from tests.report.test_browser import charts_drawn

browser, opened = test_browser.browser, test_browser.opened  # the browser tests' fixtures

ACCOUNT = {"currency": "USD", "balance": 20_000.0, "leverage": 25.0, "stop_out_level": 0.5}
#: the page's own words that are no translation's business
KEEP = {"EURUSD", "GBPUSD", "EUR", "USD", "GBP", "UTC", "fxjudge", "report", "trades", "csv"}
WORD = re.compile(r"[A-Za-z][A-Za-z'&]+")
CHARTS = {"chart-account-equity", "chart-leg-contributions", "chart-exposure",
          "chart-correlation", "chart-margin-level"}


@pytest.fixture(scope="module")
def portfolio() -> PortfolioBacktest:
    bars = fxjudge.load_bars(fxjudge.sample_path())
    legs = [{"data": bars, "pair": "EURUSD"}, {"data": bars, "pair": "GBPUSD"}]
    return fxjudge.backtest_portfolio(legs, strategy="sma_cross", costs={"spread_pips": 1.0},
                                      account=ACCOUNT)


@pytest.fixture(scope="module")
def pages(tmp_path_factory, portfolio):
    """The run saved twice under reports/, its report.html in English and in Japanese."""
    reports = tmp_path_factory.mktemp("project") / "reports"
    out = {}
    for lang in ("en", "ja"):
        folder = portfolio.save(reports / f"portfolio-{lang}")
        out[lang] = write_run_report(portfolio, folder, lang)
    return out


def shown_words(page) -> set[str]:
    """The ASCII words a reader sees: the page's text (not the configuration, which is TOML)
    and its charts' titles, legends and labels."""
    text = page.page.evaluate("""() => {
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), out = [];
        while (walk.nextNode()) {
            const node = walk.currentNode;
            if (!node.parentElement.closest('script, style, pre, .chart'))
                out.push(node.nodeValue);
        }
        return out.join(' '); }""")
    drawn = page.page.eval_on_selector_all(
        ".gtitle, .legendtext, .annotation-text, .ytitle, .xtitle",
        "es => es.map(e => e.textContent)")
    return set(WORD.findall(" ".join([text, *drawn])))


def allowed() -> set[str]:
    return KEEP | {w for value in JA.values() for w in WORD.findall(value)}


def test_the_japanese_page_has_no_english_left(opened, pages):
    page = opened(pages["ja"])
    assert page.page.get_attribute("html", "lang") == "ja"
    assert set(charts_drawn(page)) == CHARTS and all(charts_drawn(page).values())
    assert shown_words(page) - allowed() == set()
    assert page.page.inner_text("#summary h2") == JA["pf_account"]
    titles = page.page.eval_on_selector_all(".gtitle", "es => es.map(e => e.textContent)")
    assert JA["pf_chart_equity"].format(currency="USD") in titles
    assert JA["pf_chart_correlation"] in titles
    assert JA["pf_stop_out_at"].format(level="50") in page.page.inner_text("#chart-margin-level")
    header = page.page.inner_text("table.leg-trades thead")
    assert JA["pf_entry_time"] in header and JA["net_money"].format(currency="USD") in header
    cells = page.page.eval_on_selector_all(
        "table.leg-trades tbody tr td:nth-child(3)", "tds => tds.map(td => td.textContent)")
    assert set(cells) == {JA["long"], JA["short"]}
    notes = page.page.inner_text("#notes")
    assert "EURUSD: " + JA["note_spread_fixed"].format(pips=1) in notes
    assert "GBPUSD: " + JA["note_ask_prices"].format(name=JA["note_value_bars"]) in notes
    assert page.errors == [] and page.requests == []


def test_the_english_page_shows_what_the_japanese_check_catches(opened, pages):
    page = opened(pages["en"])
    left = shown_words(page) - allowed()
    assert {"Legs", "Trades", "Correlation", "Margin"} <= left  # the check above can fail
    assert page.page.inner_text("#summary h2") == EN["pf_account"]
    assert page.errors == []


def test_a_saved_portfolio_loads_back_equal(pages, portfolio):
    loaded = load_run(pages["en"].parent)
    assert isinstance(loaded, PortfolioBacktest) and loaded.pairs == portfolio.pairs
    for name in ("units", "leg_pnl", "prices", "rates"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(portfolio, name),
                                      check_freq=False, check_names=False)
    pd.testing.assert_frame_equal(loaded.account.trades, portfolio.account.trades,
                                  check_dtype=False, check_exact=False)
    assert loaded.stats["net_profit"] == pytest.approx(portfolio.stats["net_profit"])
    assert loaded.account.notes == portfolio.account.notes
    pd.testing.assert_frame_equal(loaded.contributions(), portfolio.contributions())


def cards(page) -> dict[str, str]:
    return dict(page.page.eval_on_selector_all(
        "#summary .card", "cs => cs.map(c => [c.querySelector('.label').textContent, "
                          "c.querySelector('.value').textContent])"))


def test_fxjudge_report_rerenders_a_saved_portfolio_with_the_same_figures(
        opened, pages, portfolio, tmp_path, capsys):
    folder = tmp_path / "reports" / "run"
    shutil.copytree(pages["en"].parent, folder)
    (folder / "report.html").unlink()
    (folder / "report-trades.csv").unlink()
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err
    again, first = opened(folder / "report.html"), opened(pages["en"])
    assert cards(again) == cards(first)
    net = cards(again)[EN["net_profit"]]
    assert net == f"{portfolio.stats['net_profit']:,.2f} USD"
    assert cards(again)[EN["trades"]] == f"{len(portfolio.account.trades):,}"
    assert again.page.inner_text("#contributions-table") == first.page.inner_text(
        "#contributions-table")
    assert again.page.locator("table.leg-trades tbody tr").count() == len(
        portfolio.account.trades)
    assert set(charts_drawn(again)) == CHARTS and again.errors == []
    assert (folder / "report-trades.csv").read_text() == (
        pages["en"].parent / "report-trades.csv").read_text()
    assert 'href="run/report.html"' in (folder.parent / "index.html").read_text()

    assert main(["report", str(folder), "--lang", "ja"]) == 0
    ja = opened(folder / "report.html")
    assert cards(ja)[JA["net_profit"]] == net
    assert shown_words(ja) - allowed() == set()


def test_the_python_api_rerenders_a_portfolio_and_overwrites_only_when_asked(pages, tmp_path):
    loaded = load_run(pages["en"].parent)
    path = fxjudge.report(loaded, tmp_path / "again.html", lang="ja")
    assert '<html lang="ja">' in path.read_text(encoding="utf-8")
    assert (tmp_path / "again-trades.csv").exists()
    with pytest.raises(ConfigError, match="again.html: already exists; pass overwrite=True"):
        fxjudge.report(loaded, path)
    (tmp_path / "mine.html").unlink(missing_ok=True)
    (tmp_path / "mine-trades.csv").write_text("the user's own file")
    with pytest.raises(ConfigError, match="mine-trades.csv: already exists"):
        fxjudge.report(loaded, tmp_path / "mine.html")
    assert (tmp_path / "mine-trades.csv").read_text() == "the user's own file"
    assert not (tmp_path / "mine.html").exists()
    fxjudge.report(loaded, path, overwrite=True)
    assert '<html lang="en">' in path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="`display_tz` cannot be given for a portfolio"):
        fxjudge.report(loaded, tmp_path / "clock.html", display_tz="Asia/Tokyo")


def test_cli_portfolio_in_japanese(tmp_path, capsys):
    sample = fxjudge.sample_path()
    project = ["--project-dir", str(tmp_path)]
    assert main([*project, "data", "import", str(sample)]) == 0
    relabelled = tmp_path / "GBPUSD_H1_2017_ASK.csv"
    relabelled.write_bytes(sample.read_bytes())
    assert main([*project, "data", "import", str(relabelled), "--pair", "GBPUSD"]) == 0
    run = [*project, "backtest", "--pairs", "EURUSD,GBPUSD", "--strategy", "sma_cross",
           "--timeframe", "H1", "--spread-pips", "1"]
    capsys.readouterr()
    assert main([*run, "--display-tz", "Asia/Tokyo"]) == 2
    assert "`--display-tz` is not supported for a portfolio" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())
    assert main([*run, "--lang", "ja"]) == 0
    (folder,) = (tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*")
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in text and JA["pf_account"] in text
    assert JA["index_title"] in (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
