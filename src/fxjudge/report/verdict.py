"""The headline: did the AI judgment help, by how much, and how sure are we?

It reads the verdict's tests of the `JudgeReport` (`fxjudge.judge.verdict`) and the statistics
of both runs over the judged period (`JudgedResult.judged_period`):

- nothing judged: says so, and gives no verdict;
- rank test not significant (p >= 0.05 or undefined): "not enough evidence", whatever the
  profit did: a better P&L without a better ranking is luck;
- "helped" only when the rank test and the P&L test (mean net pips of the kept trades against
  random filters keeping as many) both reject, the kept trades' total is positive, **and** in the
  backtest with positions the judged run earns more per trade than the run without and ends the
  judged period with a profit. Trading less of a losing strategy raises its net profit by
  itself; none of these conditions is met by trading less alone;
- otherwise the judge ranks winners but it did not pay, and the sentence says which condition
  failed.

The hypergeometric precision test (win rate of the kept trades against a random filter) is a
secondary line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fxjudge.report import fmt

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Verdict:
    """The headline sentence, its tone for colour (good, bad, neutral), the tests' line, the
    secondary (precision) line and the with/without rows of the judged period."""

    tone: str
    headline: str
    detail: str
    rows: list[tuple[str, str, str, str]]  # (label, without, with, change)
    secondary: str = ""


def judge_verdict(with_stats: dict, without_stats: dict, report, currency: str,
                  t: dict) -> Verdict:
    """The verdict of one judged run from both runs' judged-period statistics and the
    `JudgeReport`."""
    rank, money = report.rank_test or {}, report.pnl_test or {}
    outcome = report.outcome if rank else "not_judged"
    if outcome == "not_judged":
        return Verdict("neutral", t["verdict_nothing_judged"], "", [])
    delta = with_stats["net_profit"] - without_stats["net_profit"]
    words = {
        "rank_p": fmt.p_value(rank.get("p_value")),
        "pnl_p": fmt.p_value(money.get("p_value")),
        "delta": fmt.money(delta, currency, sign=True),
        "trades": f"{without_stats['trades']:,.0f} → {with_stats['trades']:,.0f}",
        "per_trade": f"{_pips(without_stats['expectancy_pips'])} → "
                     f"{_pips(with_stats['expectancy_pips'])} pips",
    }
    if outcome == "no_evidence":
        tone, headline = "neutral", t["verdict_no_evidence"].format(**words)
    elif outcome == "helped" and _paid(with_stats, without_stats):
        tone, headline = "good", t["verdict_helped"].format(**words)
    else:
        if not money.get("p_value", math.nan) < SIGNIFICANCE:
            why = t["verdict_why_pnl"].format(**words)
        elif not money.get("total_kept", math.nan) > 0:
            why = t["verdict_why_losing"].format(total=_pips(money.get("total_kept", math.nan)))
        else:
            why = t["verdict_why_engine"]
        tone, headline = "bad", t["verdict_mixed"].format(why=why, **words)
    return Verdict(tone, headline, _tests_line(report, t), _rows(with_stats, without_stats,
                                                                 currency, t),
                   _precision_line(report, t))


def _paid(with_stats: dict, without_stats: dict) -> bool:
    """More per trade with the judge than without, and a profit over the judged period."""
    better = with_stats["expectancy_pips"] > without_stats["expectancy_pips"]
    return bool(better and with_stats["net_profit"] > 0)


def _tests_line(report, t: dict) -> str:
    rank, money = report.rank_test, report.pnl_test

    def num(value, digits=3) -> str:
        return fmt.number(value, digits)

    return t["verdict_tests"].format(
        auc=num(rank.get("auc")), scope=t["verdict_scope"].format(
            periods=f"{rank.get('n_periods', 1):,}", auc_pooled=num(rank.get("auc_pooled")))
        if rank.get("n_periods", 1) > 1 else "", n=f"{rank.get('n', 0):,}",
        n_null=f"{rank.get('n_null', 0):,}",
        null_median=num(rank.get("null_q50")), null_q95=num(rank.get("null_q95")),
        rank_p=fmt.p_value(rank.get("p_value")), kept=f"{money.get('n_kept', 0):,}",
        mean_kept=_pips(money.get("mean_kept", math.nan)),
        mean_all=_pips(money.get("mean_all", math.nan)),
        low=_pips(money.get("random_q5", math.nan)), high=_pips(money.get("random_q95", math.nan)),
        pnl_p=fmt.p_value(money.get("p_value")))


def _precision_line(report, t: dict) -> str:
    precision, rf = report.precision, report.random_filter

    def pct(value) -> str:
        return fmt.percent(None if value is None else value * 100, 1)

    return t["verdict_precision"].format(
        precision=pct(precision.get("precision_taken")), base=pct(precision.get("base_rate")),
        random=pct(rf.get("precision_random_q50")), low=pct(rf.get("precision_random_q5")),
        high=pct(rf.get("precision_random_q95")), kept=precision.get("n_taken", 0),
        n=precision.get("n_candidates", 0), p=fmt.p_value(rf.get("precision_p_value")))


def _rows(with_stats: dict, without_stats: dict, currency: str, t: dict) -> list:
    rows = []
    for name in ("net_profit", "sharpe", "profit_factor", "max_drawdown_pct", "win_rate",
                 "expectancy_pips", "trades", "psr"):
        a, b = without_stats[name], with_stats[name]
        change = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
        rows.append((t[name], fmt.statistic(name, a, currency), fmt.statistic(name, b, currency),
                     _change(name, change, currency)))
    return rows


def _pips(value: float) -> str:
    return f"{value:+.1f}" if isinstance(value, int | float) and math.isfinite(value) else "n/a"


def _change(name: str, change: float, currency: str) -> str:
    """A difference; of percentages, in percentage points."""
    if name in fmt.PERCENT or name in fmt.FRACTION:
        scale = 100 if name in fmt.FRACTION else 1
        text = fmt.number(change * scale, 1, sign=True)
        return text if text == "n/a" else f"{text} pp"
    return fmt.statistic(name, change, currency, sign=True)


def headline_text(result, lang: str = "en") -> str:
    """The verdict of a `JudgedResult` over its judged period as one plain line (what
    `fxjudge run` prints)."""
    from fxjudge.report.i18n import labels
    from fxjudge.results.metrics import full_statistics

    without, with_judge = result.judged_period()
    with_stats, _ = full_statistics(with_judge)
    without_stats, _ = full_statistics(without)
    verdict = judge_verdict(with_stats, without_stats, result.judge,
                            result.with_judge.currency, labels(lang))
    return " ".join(part for part in (verdict.headline, verdict.detail) if part)
