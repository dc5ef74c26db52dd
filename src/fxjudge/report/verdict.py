"""The headline: did the AI judgment help, by how much, and how sure are we?

"How sure" is the random-filter test of `fxjudge.judge.evaluation`: the probability that a random
filter keeping as many of the judged candidates would pick at least as many winners. Below 0.05
the judge picks winners better than chance; then the verdict says whether that paid (net profit
with the judge above without). At or above 0.05, or when the test is undefined, it says "not
enough evidence", whatever the profit did: a better P&L without a better pick is luck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fxjudge.report import fmt

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Verdict:
    """The headline sentence, its tone for colour (good, bad, neutral) and the detail line."""

    tone: str
    headline: str
    detail: str
    rows: list[tuple[str, str, str, str]]  # (label, without, with, change)


def judge_verdict(with_stats: dict, without_stats: dict, report, currency: str,
                  t: dict) -> Verdict:
    """The verdict of one judged run from both runs' statistics and the `JudgeReport`."""
    p = report.random_filter.get("precision_p_value", math.nan)
    delta = with_stats["net_profit"] - without_stats["net_profit"]
    # Trading less of a losing strategy raises net profit by itself: say what a trade earned.
    words = {
        "p": fmt.p_value(p),
        "delta": fmt.money(delta, currency, sign=True),
        "trades": f"{without_stats['trades']:,.0f} → {with_stats['trades']:,.0f}",
        "per_trade": f"{_pips(without_stats['expectancy_pips'])} → "
                     f"{_pips(with_stats['expectancy_pips'])} pips",
    }
    if not (isinstance(p, float) and p < SIGNIFICANCE):
        tone, headline = "neutral", t["verdict_no_evidence"].format(**words)
    elif delta > 0:
        tone, headline = "good", t["verdict_helped"].format(**words)
    else:
        tone, headline = "bad", t["verdict_mixed"].format(**words)
    precision = report.precision
    rf = report.random_filter

    def pct(value) -> str:
        return fmt.percent(None if value is None else value * 100, 1)

    detail = t["verdict_precision"].format(
        precision=pct(precision.get("precision_taken")), base=pct(precision.get("base_rate")),
        random=pct(rf.get("precision_random_q50")), low=pct(rf.get("precision_random_q5")),
        high=pct(rf.get("precision_random_q95")), kept=precision.get("n_taken", 0),
        n=precision.get("n_candidates", 0))
    rows = []
    for name in ("net_profit", "sharpe", "profit_factor", "max_drawdown_pct", "win_rate",
                 "trades"):
        a, b = without_stats[name], with_stats[name]
        change = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
        rows.append((t[name], fmt.statistic(name, a, currency), fmt.statistic(name, b, currency),
                     _change(name, change, currency)))
    return Verdict(tone, headline, detail, rows)


def _pips(value: float) -> str:
    return f"{value:+.1f}" if math.isfinite(value) else "n/a"


def _change(name: str, change: float, currency: str) -> str:
    """A difference; of percentages, in percentage points."""
    if name in fmt.PERCENT or name in fmt.FRACTION:
        scale = 100 if name in fmt.FRACTION else 1
        text = fmt.number(change * scale, 1, sign=True)
        return text if text == "n/a" else f"{text} pp"
    return fmt.statistic(name, change, currency, sign=True)


def headline_text(result, lang: str = "en") -> str:
    """The verdict of a `JudgedResult` as one plain line (what `fxjudge run` prints)."""
    from fxjudge.report.i18n import labels
    from fxjudge.results.metrics import full_statistics

    with_stats, _ = full_statistics(result.with_judge)
    without_stats, _ = full_statistics(result.without_judge)
    verdict = judge_verdict(with_stats, without_stats, result.judge,
                            result.with_judge.currency, labels(lang))
    return f"{verdict.headline} {verdict.detail}"
