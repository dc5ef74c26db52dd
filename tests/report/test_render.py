"""The HTML report as text: self-contained, escaped, in the account currency, in two languages."""

import base64
import gzip
import json
import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from fxjudge.errors import ConfigError
from fxjudge.judge.verdict import verdict_outcome
from fxjudge.report import fmt, render_report
from fxjudge.report.downsample import minmax_indices
from fxjudge.report.i18n import EN, JA, labels
from fxjudge.report.judge_charts import roc_points, threshold_table
from fxjudge.report.verdict import judge_verdict
from tests.report.conftest import XSS


def html(reports, name):
    return (reports / name / "report.html").read_text(encoding="utf-8")


def unpacked(text: str, block: str) -> str:
    """The gzipped, base64-encoded script block `block` of a report, as text."""
    [data] = re.findall(rf'<script type="application/octet-stream" id="{block}">([^<]*)</script>',
                        text)
    return gzip.decompress(base64.b64decode(data)).decode("utf-8")


def test_the_report_is_one_offline_file_with_plotly_embedded_once(reports):
    text = html(reports, "20170101-plain")
    assert not re.search(r"<(script|link)[^>]+(src|href)=", text)  # nothing fetched
    assert unpacked(text, "plotly-gz") == plotly.offline.get_plotlyjs()
    assert "plotly.js v" not in text  # only the compressed copy
    figures = json.loads(unpacked(text, "figures-gz"))
    assert set(figures) == set(re.findall(r'data-figure="([\w-]+)"', text)) >= {"equity", "price"}
    assert not (reports / "20170101-plain" / "report-trades.csv").exists()  # inside the page
    assert 'download="report-trades.csv"' in text
    rows = json.loads(unpacked(text, "trade-data-gz"))["rows"]
    csv = unpacked(text, "csv-gz").splitlines()
    assert csv[0].startswith("status,entry_time") and len(csv) == len(rows) + 1 > 50


def test_money_in_the_account_currency_yen_without_decimals(reports, plain_result):
    text = html(reports, "20170101-plain")
    net = plain_result.stats["net_profit"]
    assert f"{net:,.0f} JPY" in text
    assert fmt.money(1234.5, "JPY") == "1,234 JPY"  # banker's rounding of Python's format
    assert fmt.money(-1234.567, "USD") == "-1,234.57 USD"
    assert fmt.money(math.nan, "USD") == "n/a"


def test_a_plain_run_says_it_was_not_judged(reports):
    text = html(reports, "20170101-plain")
    assert EN["verdict_not_judged"] in text and 'id="judge-missing"' in text
    assert 'data-figure="calibration"' not in text


def test_a_judged_run_has_the_verdict_and_the_judge_section(reports, judged_result):
    text = html(reports, "20170102-judged")
    report = judged_result.judge
    p = report.rank_test["p_value"]
    assert p >= 0.05  # this small sample gives the judge nothing to find
    assert "Not enough evidence" in text and f"rank test p = {p:.3f}" in text
    assert 'id="verdict-tests"' in text and 'id="verdict-precision"' in text
    assert "Secondary: precision" in text and "Warm-up before it" in text
    for chart in ("calibration", "roc", "threshold", "precision", "uplift", "importance",
                  "importance-groups", "importance-periods", "price",
                  "equity", "monthly", "distribution", "by-hour", "by-weekday"):
        assert f'data-figure="{chart}"' in text, chart
    for key in ("rank_test_p", "pnl_test_p", "mean_pips_kept"):
        assert EN[key].replace("&", "&amp;") in text, key


def test_the_headline_is_the_judged_period(judged_result):
    without, with_judge = judged_result.judged_period()
    since = judged_result.judged_since
    assert since is not None and (without.trades["entry_time"] >= since).all()
    assert without.equity.index[0] >= since and with_judge.equity.index[0] >= since
    trades, net = judged_result.warm_up()
    whole = judged_result.without_judge
    assert trades + len(without.trades) == len(whole.trades)
    assert net + without.stats["net_profit"] == pytest.approx(whole.stats["net_profit"])
    assert with_judge.config["account"]["balance"] == without.config["account"]["balance"]


def test_user_text_is_escaped_everywhere(reports):
    text = html(reports, "20170104-xss")
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # header, title, notes


def test_japanese_labels(reports):
    text = html(reports, "20170103-judged-ja")
    assert '<html lang="ja">' in text
    for key in ("verdict_title", "trades_title", "judge_title", "robustness_title", "kpi_title"):
        assert JA[key] in text


def test_every_label_has_a_japanese_translation():
    assert set(EN) == set(JA)
    for key, english in EN.items():  # the same {fields} in both languages
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", JA[key])), key
    with pytest.raises(ConfigError, match="`lang` must be 'en' or 'ja', was 'fr'"):
        labels("fr")


def test_price_chart_left_out_with_the_reason_when_the_prices_are_gone(plain_result, tmp_path):
    moved = type(plain_result)(plain_result.trades, plain_result.equity,
                               {**plain_result.config,
                                "data": {**plain_result.config["data"],
                                         "source": str(tmp_path / "gone.csv")}})
    text = render_report(moved, tmp_path / "report.html").read_text()
    assert "Price chart not drawn" in text and "gone.csv" in text
    assert 'data-figure="price"' not in text


def report_stub(rank_p, pnl_p=0.01, total_kept=50.0, outcome=None):
    if outcome is None:
        outcome = verdict_outcome({"n": 100, "p_value": rank_p},
                                  {"p_value": pnl_p, "total_kept": total_kept})
    return SimpleNamespace(
        random_filter={"precision_p_value": 0.03, "precision_random_q5": 0.4,
                       "precision_random_q50": 0.5, "precision_random_q95": 0.6},
        precision={"precision_taken": 0.6, "base_rate": 0.5, "n_taken": 30,
                   "n_candidates": 100},
        rank_test={"n": 100, "auc": 0.6, "p_value": rank_p, "n_null": 91, "null_q50": 0.5,
                   "null_q95": 0.56},
        pnl_test={"n": 100, "n_kept": 30, "mean_kept": 1.5, "mean_all": 0.2,
                  "total_kept": total_kept, "random_q5": -1.0, "random_q95": 1.2,
                  "p_value": pnl_p},
        outcome=outcome)


def stats(net, trades=10.0, expectancy_pips=2.0):
    return {"net_profit": net, "sharpe": 1.0, "profit_factor": 1.2, "max_drawdown_pct": 5.0,
            "win_rate": 0.5, "trades": trades, "expectancy_pips": expectancy_pips, "psr": 0.7}


def test_verdict_leads_with_the_rank_test_and_needs_the_pnl_test_to_say_helped():
    t = labels("en")
    helped = judge_verdict(stats(150_000, 8, 3.0), stats(100_000), report_stub(0.01), "JPY", t)
    assert helped.tone == "good" and "+50,000 JPY" in helped.headline
    assert "rank test p = 0.010" in helped.headline and "P&L test p = 0.010" in helped.headline
    assert "AUC 0.600 on 100 judged trades against 91 circular shifts" in helped.detail
    walked = report_stub(0.01)
    walked.rank_test |= {"n_periods": 12, "auc_pooled": 0.55}
    assert ("AUC 0.600 within each of 12 walk-forward periods (over all pairs: 0.550) on 100 "
            "judged trades") in judge_verdict(stats(150_000, 8, 3.0), stats(100_000), walked,
                                              "JPY", t).detail
    assert "12期間の各期間内。全組では0.550" in judge_verdict(
        stats(150_000, 8, 3.0), stats(100_000), walked, "JPY", labels("ja")).detail
    assert "60.0 %" in helped.secondary and "30 of 100" in helped.secondary
    assert helped.rows[0] == ("Net profit", "100,000 JPY", "150,000 JPY", "+50,000 JPY")
    luck = judge_verdict(stats(150_000, 4, -1.5), stats(100_000, 12, -1.0), report_stub(0.2),
                         "JPY", t)
    assert luck.tone == "neutral" and luck.headline.startswith("Not enough evidence")
    assert "with 12 → 4 trades; per trade, -1.0 → -1.5 pips" in luck.headline
    undefined = judge_verdict(stats(150_000), stats(100_000), report_stub(math.nan), "JPY", t)
    assert undefined.tone == "neutral"
    no_pay = judge_verdict(stats(150_000), stats(100_000), report_stub(0.001, pnl_p=0.3),
                           "JPY", t)
    assert no_pay.tone == "bad" and "P&L test p = 0.300" in no_pay.headline
    worse = judge_verdict(stats(1.0) | {"win_rate": 0.45}, stats(1.0), report_stub(0.2), "JPY", t)
    assert dict((r[0], r[3]) for r in worse.rows)["Win rate"] == "-5.0 pp"


def test_a_losing_strategy_that_only_trades_less_is_never_helped():
    t = labels("en")
    # the kept trades lose in total: the judge ranks, but it did not help
    losing = judge_verdict(stats(-20_000, 4, -1.0), stats(-60_000, 12, -1.0),
                           report_stub(0.001, pnl_p=0.001, total_kept=-40.0), "JPY", t)
    assert losing.tone == "bad" and "still lose in total (-40.0 pips)" in losing.headline
    # both tests reject, yet with positions the judged run earns no more per trade, or loses
    same = judge_verdict(stats(-20_000, 4, -1.0), stats(-60_000, 12, -1.0),
                         report_stub(0.001), "JPY", t)
    assert same.tone == "bad" and "fewer trades are all it changed" in same.headline


def test_nothing_judged_gives_no_verdict():
    verdict = judge_verdict(stats(1.0), stats(1.0), report_stub(math.nan, outcome="not_judged"),
                            "JPY", labels("en"))
    assert verdict.headline == EN["verdict_nothing_judged"] and verdict.rows == []


def test_roc_points_equal_scikit_learn_with_ties():
    rng = np.random.default_rng(1)
    prob = rng.integers(0, 20, 500) / 20  # many ties
    label = (rng.random(500) < prob).astype(int)
    fpr, tpr = roc_points(prob, label)
    want_fpr, want_tpr, _ = roc_curve(label, prob, drop_intermediate=False)
    np.testing.assert_allclose(fpr, want_fpr)
    np.testing.assert_allclose(tpr, want_tpr)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_score(label, prob))


def test_threshold_table_by_hand():
    candidates = pd.DataFrame({"probability": [0.2, 0.4, 0.6, 0.8, np.nan],
                               "label": [0, 0, 1, 1, 1],
                               "label_return": [-10.0, -5.0, 20.0, 30.0, 99.0]})
    table = threshold_table(candidates, points=2)  # quantiles 0 and 0.95 of the probabilities
    assert table["threshold"].tolist() == pytest.approx([0.2, 0.77])
    assert table["expectancy_pips"].tolist() == pytest.approx([35 / 4, 30.0])
    assert table["kept_fraction"].tolist() == pytest.approx([1.0, 0.25])


def test_minmax_downsampling_keeps_the_extremes():
    values = np.sin(np.linspace(0, 60, 100_000)) + np.linspace(0, 1, 100_000)
    values[12_345] = 50.0  # a spike every-n-th sampling would miss
    keep = minmax_indices(values, 5_000)
    assert len(keep) <= 5_000 and keep[0] == 0 and keep[-1] == len(values) - 1
    assert np.all(np.diff(keep) > 0) and 12_345 in keep
    assert values[keep].min() == values.min()
    assert list(minmax_indices([3.0, 1.0, 2.0])) == [0, 1, 2]


def test_statistics_formatting_by_kind():
    assert fmt.statistic("win_rate", 0.4567, "JPY") == "45.7 %"
    assert fmt.statistic("return_pct", 5.123, "JPY") == "5.12 %"
    assert fmt.statistic("trades", 1234.0, "JPY") == "1,234"
    assert fmt.statistic("max_drawdown_days", 12.4, "JPY") == "12 days"
    assert fmt.statistic("sortino", math.inf, "JPY") == "∞"
    assert fmt.statistic("sharpe", math.nan, "JPY", na="該当なし") == "該当なし"
    assert fmt.p_value(0.0004) == "< 0.001" and fmt.p_value(0.25) == "0.250"


def test_a_run_without_trades_renders_with_reasons(tmp_path):
    from fxjudge import api
    from tests.report.conftest import COSTS, SAMPLE

    quiet = api.backtest(SAMPLE, "sma_cross", costs=COSTS, start="2017-01-02", end="2017-01-03")
    assert len(quiet.trades) == 0
    text = render_report(quiet, tmp_path / "report.html").read_text()
    assert "no trades" in text and "n/a" in text
    assert unpacked(text, "csv-gz").strip().startswith("status,entry_time")
    assert json.loads(unpacked(text, "trade-data-gz"))["rows"] == []


def test_dsr_is_shown_when_several_configurations_were_tried(plain_result, tmp_path):
    text = render_report(plain_result, tmp_path / "one.html").read_text()
    assert "DSR needs the number of trials" in text
    text = render_report(plain_result, tmp_path / "many.html", n_trials=50).read_text()
    assert "DSR needs the number of trials" not in text
    row = re.search(r"<td>DSR</td>\s*<td>([^<]+)</td>", text)
    assert row and row.group(1).strip().endswith("%")


def test_display_clocks():
    from fxjudge.report.display import DisplayClock, display_clock

    times = pd.DatetimeIndex(["2017-01-10 12:00", "2017-07-10 12:00"], tz="UTC")
    walls = {spec: [str(t) for t in DisplayClock(spec).wall(times)]
             for spec in ("UTC", "Asia/Tokyo", "new-york-close", "+02:00")}
    assert walls == {"UTC": ["2017-01-10 12:00:00", "2017-07-10 12:00:00"],
                     "Asia/Tokyo": ["2017-01-10 21:00:00", "2017-07-10 21:00:00"],
                     "new-york-close": ["2017-01-10 14:00:00", "2017-07-10 15:00:00"],
                     "+02:00": ["2017-01-10 14:00:00", "2017-07-10 14:00:00"]}
    assert DisplayClock("Europe/London").long(EN, times) == "Europe/London (UTC+00:00/+01:00)"
    assert DisplayClock("new-york-close").long(JA) == JA["clock_broker_long"]
    assert DisplayClock("Asia/Tokyo").long(JA, times) == "日本時間（Asia/Tokyo、UTC+09:00）"
    with pytest.raises(ConfigError, match="`--display-tz` must be UTC, an IANA zone like "
                                          "'Asia/Tokyo'.*was 'Mars/Olympus'"):
        display_clock("Mars/Olympus")


def test_long_runs_are_drawn_as_fewer_candles_and_every_trade_stays():
    from fxjudge.data.synthetic import synthetic_bars
    from fxjudge.report import charts

    bars = synthetic_bars("EURUSD", timeframe="M1", n_bars=30_000, seed=1, start="2021-03-01")
    shown = charts.candles(bars)
    assert shown.attrs["timeframe"] == "M5" and len(shown) <= charts.MAX_CANDLES < len(bars)
    first = shown.index[0]
    inside = bars[(bars.index >= first) & (bars.index < first + pd.Timedelta(minutes=5))]
    assert (shown["high"].iloc[0], shown["low"].iloc[0]) == (inside["high"].max(),
                                                             inside["low"].min())
    trades = pd.DataFrame({"side": [1, -1], "entry_time": bars.index[[10, 20_000]],
                           "entry_price": [1.1, 1.2], "exit_time": bars.index[[50, 20_010]],
                           "exit_price": [1.11, 1.19]})
    figure = charts.price_figure(bars, trades, None, EN, 5)
    assert [len(trace.x) for trace in figure.data] == [len(shown), 1, 1, 2]
