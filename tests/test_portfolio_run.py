"""A three-pair portfolio on the shared real files: USDJPY and EURUSD 2018 (HistData M1, as H1
bars) and their cross EURJPY, in one JPY account; its report is written and opened in the
headless browser. Skipped when the files (or the browser) are absent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fxjudge
from fxjudge.data.bars import make_bars
from fxjudge.report.portfolio_page import render_portfolio
from tests.conftest import shared_file

USDJPY = "histdata_m1/HISTDATA_COM_ASCII_USDJPY_M12018.zip"
EURUSD = "histdata_m1/HISTDATA_COM_ASCII_EURUSD_M12018.zip"


def cross(eurusd: pd.DataFrame, usdjpy: pd.DataFrame) -> pd.DataFrame:
    """EURJPY bars from EURUSD and USDJPY on their common times: open and close are the
    products; high and low the products of the highs and lows, widened to cover them (an
    approximation: the two extremes need not be simultaneous)."""
    a, b = eurusd.align(usdjpy, join="inner", axis=0)
    product = {c: a[c] * b[c] for c in ("open", "high", "low", "close")}
    frame = pd.DataFrame({
        "open": product["open"], "close": product["close"],
        "high": np.maximum.reduce([product["high"], product["open"], product["close"]]),
        "low": np.minimum.reduce([product["low"], product["open"], product["close"]]),
        "volume": 0.0,
    })
    return make_bars(frame, pair="EURJPY", timeframe_name="H1", source="EURUSD x USDJPY")


@pytest.fixture(scope="module")
def portfolio():
    usdjpy = fxjudge.load_bars(shared_file(USDJPY), pair="USDJPY", timeframe="H1")
    eurusd = fxjudge.load_bars(shared_file(EURUSD), pair="EURUSD", timeframe="H1")
    legs = [{"data": usdjpy, "pair": "USDJPY"}, {"data": eurusd, "pair": "EURUSD"},
            {"data": cross(eurusd, usdjpy), "pair": "EURJPY"}]
    return fxjudge.backtest_portfolio(
        legs, strategy="ema_atr", costs={"spread_pips": 1.0},
        account={"currency": "JPY", "balance": 500_000.0, "leverage": 25.0},
        sizing={"lots": 1})


def test_three_pairs_share_one_account(portfolio):
    trades = portfolio.account.trades
    assert set(trades["pair"]) == {"USDJPY", "EURUSD", "EURJPY"}
    assert any("EURUSD converts USD to JPY with the USDJPY leg's bars" in note
               for note in portfolio.account.notes)
    contributions = portfolio.contributions()
    assert contributions["net_account"].sum() == pytest.approx(trades["net_account"].sum())
    # the account's final equity is the balance plus every trade's net (all closed at the end)
    final = portfolio.account.equity["equity"].iloc[-1]
    assert final == pytest.approx(500_000.0 + trades["net_account"].sum())
    exposure = portfolio.exposure()
    assert {"USD", "EUR", "JPY"} <= set(exposure.columns)
    assert portfolio.correlation().shape == (3, 3)


def test_three_pair_report_in_the_browser(portfolio, tmp_path):
    folder = portfolio.save(tmp_path / "run")
    path = render_portfolio(portfolio, folder / "report.html")
    assert (folder / "report-trades.csv").exists() and (folder / "portfolio.parquet").exists()
    from tests.report.test_browser import CHROMIUM, Page, charts_drawn

    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not installed: {CHROMIUM} is absent")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    from tests.report.test_browser import ARGS

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = Page(browser, path)
        drawn = charts_drawn(page)
        assert set(drawn) == {"chart-account-equity", "chart-leg-contributions",
                              "chart-exposure", "chart-correlation", "chart-margin-level"}
        assert all(count > 0 for count in drawn.values()), drawn
        assert page.errors == [] and page.requests == []
        text = page.page.inner_text("#contributions-table")
        assert "USDJPY" in text and "EURJPY" in text
        assert page.page.locator("table.leg-trades").count() == 3
        page.close()
        browser.close()
