"""The report and the index in a real headless Chromium (Debian's `chromium`, driven by Playwright).

No browser is downloaded: Playwright launches /usr/bin/chromium, offline (any request leaving
the file is recorded and fails the test). Skipped, with the reason, when either is absent.
The screenshot of the judged report is written to test-artifacts/report.png.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.report.conftest import XSS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not installed: {CHROMIUM} is absent "
                    "(apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page opened offline, recording console errors, page errors, dialogs and requests."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.dialogs, self.requests = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:"))
                     else self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        if self.page.query_selector("#plotly-gz"):  # a report: its charts are drawn async
            self.page.wait_for_selector("body[data-charts]", state="attached", timeout=30_000)
        if self.page.query_selector("#trade-data-gz"):  # and its table
            self.page.wait_for_selector("body[data-table]", state="attached", timeout=30_000)

    def csv(self) -> str:
        """What the page's CSV link saves: the file behind its blob URL."""
        return self.page.evaluate(
            "fetch(document.getElementById('trades-csv').href).then(r => r.text())")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def first_cell(self, key: str) -> str:
        index = self.page.eval_on_selector_all(
            "#trades-table thead th", f"ths => ths.findIndex(t => t.dataset.key === '{key}')")
        return self.page.inner_text(f"#trades-table tbody tr:first-child td:nth-child({index + 1})")

    def shown(self) -> int:
        return self.page.locator("#trades-table tbody tr").count()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser):
    pages = []

    def open_(path: Path) -> Page:
        pages.append(Page(browser, path))
        return pages[-1]

    yield open_
    for page in pages:
        page.close()


def charts_drawn(page: Page) -> dict[str, int]:
    return page.page.eval_on_selector_all(
        "div[data-figure]", "divs => Object.fromEntries(divs.map("
                            "d => [d.id, d.querySelectorAll('.main-svg').length]))")


def test_plain_report_draws_every_chart_offline(opened, reports):
    page = opened(reports / "20170101-plain" / "report.html")
    drawn = charts_drawn(page)
    assert set(drawn) == {"chart-equity", "chart-price", "chart-monthly", "chart-distribution",
                          "chart-by-hour", "chart-by-weekday"}
    assert all(count > 0 for count in drawn.values()), drawn
    assert page.page.is_visible("#judge-missing")
    assert page.errors == [] and page.requests == []


def test_judged_report_draws_the_judge_charts_and_the_verdict(opened, reports):
    page = opened(reports / "20170102-judged" / "report.html")
    drawn = charts_drawn(page)
    for chart in ("calibration", "roc", "threshold", "precision", "importance", "equity",
                  "price"):
        assert drawn.get(f"chart-{chart}", 0) > 0, (chart, drawn)
    assert "Not enough evidence" in page.page.inner_text("#verdict")
    assert page.errors == [] and page.requests == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_trade_table_sorts_on_a_header_click(opened, reports, judged_result):
    page = opened(reports / "20170102-judged" / "report.html")
    pips = list(judged_result.with_judge.trades["pips"])
    rejected = judged_result.candidates[~judged_result.candidates["taken"]]
    pips += list(rejected["label_return"].dropna())
    page.page.click("#trades-table th[data-key=pips]")
    assert page.page.get_attribute("#trades-table th[data-key=pips]", "aria-sort") == "ascending"
    assert page.first_cell("pips") == f"{min(pips):,.1f}"
    page.page.click("#trades-table th[data-key=pips]")
    assert page.first_cell("pips") == f"{max(pips):,.1f}"
    page.page.click("#trades-table th[data-key=entry_time]")
    first = judged_result.with_judge.trades["entry_time"].min()
    assert page.first_cell("entry_time") == first.strftime("%Y-%m-%d %H:%M")
    assert page.errors == []


def test_trade_table_filters_as_you_type(opened, reports, judged_result):
    page = opened(reports / "20170102-judged" / "report.html")
    trades, candidates = judged_result.with_judge.trades, judged_result.candidates
    total = len(trades) + int((~candidates["taken"]).sum())
    assert f"of {total}" in page.page.inner_text("#trades-count")
    assert page.shown() == min(100, total)
    page.page.fill("#trades-filter", "take_profit")
    expected = int((trades["exit_reason"] == "take_profit").sum()) + int(
        ((candidates["barrier"] == "take_profit") & ~candidates["taken"]).sum())
    assert f"of {expected}" in page.page.inner_text("#trades-count")
    assert page.shown() == min(100, expected) < total
    assert page.first_cell("exit_reason") == "take_profit"
    page.page.fill("#trades-filter", "")
    page.page.select_option("#trades-status", "rejected")
    assert f"of {int((~candidates['taken']).sum())}" in page.page.inner_text("#trades-count")
    assert page.first_cell("status") == "rejected"
    assert page.errors == []


def test_japanese_labels_appear(opened, reports):
    page = opened(reports / "20170103-judged-ja" / "report.html")
    assert page.page.get_attribute("html", "lang") == "ja"
    assert "AI判定は役に立ったか？" in page.page.inner_text("#verdict")
    assert page.page.inner_text("#trades h2") == "取引一覧"
    assert "主要指標" in page.page.inner_text("#summary")
    assert page.first_cell("status") in ("採用", "見送り")
    assert all(count > 0 for count in charts_drawn(page).values())
    assert page.errors == []


def test_a_script_in_the_strategy_name_shows_as_text(opened, reports):
    page = opened(reports / "20170104-xss" / "report.html")
    assert page.page.inner_text("#strategy-name") == XSS
    assert page.page.is_visible("#strategy-name")
    assert XSS in page.page.inner_text("#config")  # the note carries it too
    assert page.dialogs == [] and page.errors == []
    index = opened(reports / "index.html")
    assert XSS in index.page.inner_text("#runs-table")
    assert index.dialogs == []


def test_index_lists_runs_sorts_and_links(opened, reports):
    page = opened(reports / "index.html")
    rows = page.page.locator("#runs-table tbody tr")
    assert rows.count() == 5
    headers = page.page.eval_on_selector_all("#runs-table thead th", "ths => ths.map(t => "
                                                                     "t.textContent)")
    column = headers.index("Trades") + 1
    cell = f"#runs-table tbody tr:first-child td:nth-child({column})"
    page.page.click(f"#runs-table thead th:nth-child({column})")
    fewest = page.page.get_attribute(cell, "data-v")
    page.page.click(f"#runs-table thead th:nth-child({column})")
    most = page.page.get_attribute(cell, "data-v")
    values = page.page.eval_on_selector_all(
        f"#runs-table tbody td:nth-child({column})", "tds => tds.map(t => Number(t.dataset.v))")
    assert float(fewest) == min(values) and float(most) == max(values) and min(values) < max(
        values)
    page.page.click("#runs-table a[href='20170101-plain/report.html']")
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith("20170101-plain/report.html")
    assert page.errors == [] and page.requests == []


# -- the report as a trader reads it -------------------------------------------------------


def trace_types(page: Page, chart: str) -> list[str]:
    return page.page.evaluate(f"document.getElementById('chart-{chart}').data.map(d => d.type)")


def test_the_price_chart_is_candlesticks_with_every_trade_on_it(opened, reports, judged_result,
                                                               sample_bars):
    page = opened(reports / "20170102-judged" / "report.html")
    assert trace_types(page, "price")[0] == "candlestick"
    counts = page.page.evaluate("document.getElementById('chart-price').data.map("
                                "d => (d.x || []).length)")
    trades = judged_result.with_judge.trades
    rejected = int((~judged_result.candidates["taken"]).sum())
    assert counts == [len(sample_bars), int((trades["side"] == 1).sum()),
                      int((trades["side"] == -1).sum()), len(trades), rejected]
    assert page.errors == []


def test_display_tz_shifts_what_is_shown_and_nothing_else(opened, reports, judged_result):
    utc = opened(reports / "20170102-judged" / "report.html")
    tokyo = opened(reports / "20170105-judged-tokyo" / "report.html")
    note = tokyo.page.inner_text("#clock-note")
    assert "Times are Japan time (Asia/Tokyo, UTC+09:00)" in note
    assert "end at 17:00 New York" in note
    assert "Entry / signal (Japan time)" in tokyo.page.inner_text("#trades-table thead")
    first = judged_result.with_judge.trades["entry_time"].min()
    for page in (utc, tokyo):
        page.page.click("#trades-table th[data-key=entry_time]")
    assert utc.first_cell("entry_time") == first.strftime("%Y-%m-%d %H:%M")
    assert tokyo.first_cell("entry_time") == (first + pd.Timedelta(hours=9)).strftime(
        "%Y-%m-%d %H:%M")
    for selector in ("#stats-table", "#tester-table", "#robustness-table", ".cards"):
        assert utc.page.inner_text(selector) == tokyo.page.inner_text(selector), selector
    assert "(Japan time)" in tokyo.page.evaluate(
        "document.getElementById('chart-by-hour').layout.title.text")
    x0 = [page.page.evaluate("document.getElementById('chart-price').data[0].x[0]")
          for page in (utc, tokyo)]
    assert pd.Timestamp(x0[1]) - pd.Timestamp(x0[0]) == pd.Timedelta(hours=9)
    assert utc.csv() == tokyo.csv()  # the CSV stays UTC
    assert utc.csv().splitlines()[0].startswith("status,entry_time")


def test_the_metatrader_figures_are_there_for_both_runs(opened, reports, judged_result):
    from fxjudge.results.metrics import full_statistics

    page = opened(reports / "20170102-judged" / "report.html")
    text = page.page.inner_text("#tester-table")
    for result in judged_result.judged_period():  # the headline is the judged period's
        stats, _ = full_statistics(result)
        assert f"{stats['gross_profit']:,.0f} JPY" in text
        assert f"{stats['gross_loss']:,.0f} JPY" in text
        assert f"{stats['long_trades']:,.0f} ({stats['long_win_rate'] * 100:.1f} %)" in text
        assert f"{stats['short_trades']:,.0f} ({stats['short_win_rate'] * 100:.1f} %)" in text
        assert f"{stats['max_drawdown_pct']:.2f} % ({stats['relative_drawdown_money']:,.0f} " \
               "JPY)" in text
    for label in ("Gross profit", "Gross loss", "Absolute drawdown", "Maximal drawdown",
                  "Relative drawdown", "Long positions (won %)", "Short positions (won %)"):
        assert label in text


def test_the_judge_configuration_is_folded_away(opened, reports):
    page = opened(reports / "20170102-judged" / "report.html")
    assert not page.page.is_visible("#judge-config pre")
    robustness = page.page.eval_on_selector("#robustness", "e => e.offsetTop")
    judge_top = page.page.eval_on_selector("#judge", "e => e.offsetTop")
    page.page.click("#judge-config summary")
    assert page.page.is_visible("#judge-config pre")
    assert "walk-forward" in page.page.inner_text("#judge-config pre")
    unfolded = page.page.eval_on_selector("#robustness", "e => e.offsetTop")
    assert unfolded - robustness > 400 and robustness > judge_top  # it was pushing it down


def test_japanese_exit_reasons_and_cost_names(opened, reports):
    page = opened(reports / "20170103-judged-ja" / "report.html")
    reasons = set(page.page.eval_on_selector_all(
        "#trades-table tbody td:nth-child(8)", "tds => tds.map(t => t.textContent)"))
    assert reasons and reasons <= {"損切り", "利益確定", "時間切れ決済", "反対シグナル", "ドテン",
                                   "ロスカット", "データ終了", ""}, reasons
    page.page.fill("#trades-filter", "損切り")
    assert page.first_cell("exit_reason") == "損切り"
    header = page.page.inner_text("header.top")
    assert "スプレッド（pips）=0.8" in header and "spread_pips" not in header


def test_the_index_links_each_run_without_scrolling_sideways(browser, reports):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto((reports / "index.html").as_uri())
        boxes = page.eval_on_selector_all("#runs-table a", "links => links.map(a => "
                                          "a.getBoundingClientRect().toJSON())")
        assert len(boxes) == 5
        assert all(0 <= box["left"] and box["right"] <= 1280 for box in boxes), boxes
    finally:
        context.close()


def test_a_browser_without_decompression_says_so_and_the_statistics_still_show(browser,
                                                                             reports):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script("delete window.DecompressionStream;")
        page = context.new_page()
        page.goto((reports / "20170102-judged" / "report.html").as_uri())
        page.wait_for_selector("body[data-charts=failed]", state="attached")
        assert "DecompressionStream" in page.inner_text("#chart-price")
        page.wait_for_selector("body[data-table=failed]", state="attached")
        assert "DecompressionStream" in page.inner_text("#trades-count")
        assert page.locator("#trades-table tbody tr").count() == 0
        assert "Sharpe" in page.inner_text("#stats-table")
    finally:
        context.close()
