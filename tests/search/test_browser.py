"""The search's optimize.html in a real headless Chromium, offline: every chart drawn, no
console errors, the top-trials table sorts, and the winner's report and the index link up."""

from __future__ import annotations

from fxjudge.search.store import read_trials
from tests.report.test_browser import browser, charts_drawn, opened  # noqa: F401 - fixtures


def test_every_chart_of_the_search_page_is_drawn(opened, search_run):  # noqa: F811
    page = opened(search_run / "optimize.html")
    drawn = charts_drawn(page)
    # three swept parameters: three heatmaps, then parallel coordinates, logits and Sharpes
    assert set(drawn) == {"chart-heatmap-0", "chart-heatmap-1", "chart-heatmap-2",
                          "chart-parallel", "chart-logits", "chart-sharpes"}
    assert all(count > 0 for count in drawn.values()), drawn
    assert page.errors == [] and page.requests == []
    assert "PBO" in page.page.inner_text("#pbo-table")
    assert "Configurations counted" in page.page.inner_text("#dsr-table")
    assert page.page.locator("#neighbourhood-table tbody tr").count() == 3


def test_the_top_trials_sort_on_a_header_click(opened, search_run):  # noqa: F811
    page = opened(search_run / "optimize.html")
    trials = read_trials(search_run)
    columns = page.page.eval_on_selector_all("#top-table thead th", "ths => ths.map(t => "
                                                                   "t.dataset.key)")
    cell = f"#top-table tbody tr:first-child td:nth-child({columns.index('trades') + 1})"
    page.page.click("#top-table th[data-key=trades]")
    first = page.page.inner_text(cell)
    page.page.click("#top-table th[data-key=trades]")
    last = page.page.inner_text(cell)
    assert int(first) == trials["trades"].min() and int(last) == trials["trades"].max()
    assert page.errors == []


def test_the_winners_report_and_the_index_open_from_the_page(opened, search_run):  # noqa: F811
    page = opened(search_run / "optimize.html")
    page.page.click("#winner a")
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith("best/report.html")
    page.page.wait_for_selector("body[data-charts=drawn]", state="attached", timeout=30_000)
    assert all(count > 0 for count in charts_drawn(page).values())
    assert "12" in page.page.inner_text("#robustness-table")
    index = opened(search_run.parent / "index.html")
    index.page.click(f"#runs-table a[href='{search_run.name}/optimize.html']")
    index.page.wait_for_load_state("load")
    assert index.page.url.endswith("optimize.html")
    assert page.errors == [] and index.errors == []
