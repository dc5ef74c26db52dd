"""`JudgedResult`: one strategy run with and without the AI judgment, on the same bars.

The contract between the judge (issue 4) and the report (issue 5):

- `without_judge` and `with_judge` are two `BacktestResult`s on the same bars, costs, account
  and calendar; the judged run takes only the candidates the judge accepted (a rejected signal
  opens nothing; see the engine's documentation for how it still ends an open position);
- `candidates` has one row per non-zero signal, indexed by the signal bar's time (UTC), with
  columns ``side`` (+1/-1), ``probability`` (out-of-sample; NaN when not judged: before the
  first walk-forward window), ``taken`` (bool: in the judged run's entries), ``judged`` (bool),
  ``label`` (1/0, NaN when unresolved), ``label_return`` (the candidate's net result taken alone,
  in pips), ``resolve_time``, ``barrier`` ("stop_loss", "take_profit", "time", ...) and
  ``period`` (the walk-forward period whose model judged it, 0, 1, ...; a saved model's
  judged candidates are all period 0; -1: not judged);
- `judge` is the `JudgeReport` (out-of-sample scores, calibration, the verdict's rank and P&L
  tests and outcome, the uplift table, precision against the base rate and against a random
  filter, importance, with/without statistics);
- `judge_sized` (sizing by probability only, else None) is the judged run again with each taken
  trade sized by the judge's probability (AFML's bet size); `with_judge` is then veto-only;
- `judge_config` says how the judge was made (model, retrain period, train window, threshold
  rule, features), so the run can be reproduced; its ``oos_start`` is where the judged period
  begins (the first candidate with an out-of-sample probability; None: nothing was judged).

The headline is the judged period (`judged_period`): before ``oos_start`` no candidate was
judged, both runs took the same trades, and that warm-up is reported on its own (`warm_up`).
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd
import tomli_w

from fxjudge.judge.evaluation import JudgeReport
from fxjudge.results.result import BacktestResult, toml_safe


@dataclass
class JudgedResult:
    """A backtest with and without the judge, the candidates and the judge's own report."""

    without_judge: BacktestResult
    with_judge: BacktestResult
    candidates: pd.DataFrame
    judge: JudgeReport
    judge_config: dict = field(default_factory=dict)
    #: the judged run with each taken trade sized by its probability (``[sizing]
    #: by_probability``), None otherwise; `with_judge` is then the veto-only run
    judge_sized: BacktestResult | None = None

    @property
    def judged_since(self) -> pd.Timestamp | None:
        """Where the judged period begins (None: no candidate was judged)."""
        since = self.judge_config.get("oos_start")
        return None if since is None else pd.Timestamp(since)

    def judged_period(self) -> tuple[BacktestResult, BacktestResult]:
        """Both runs, without and with the judge, from `judged_since` on (`cut_from`); the
        whole runs when nothing was judged."""
        since = self.judged_since
        if since is None:
            return self.without_judge, self.with_judge
        return cut_from(self.without_judge, since), cut_from(self.with_judge, since)

    def warm_up(self) -> tuple[int, float] | None:
        """Trades entered before the judged period and the net profit of the equity until it
        (the same in both runs); None when nothing was judged."""
        since = self.judged_since
        if since is None:
            return None
        run = self.without_judge
        trades = run.trades[run.trades["entry_time"] < since] if len(run.trades) else run.trades
        return len(trades), _equity_before(run, since) - _balance(run)

    @property
    def config(self) -> dict:
        """The run's configuration: what reruns it, its ``[judge]`` table included.

        How each walk-forward period went (thresholds, sizes) is in `judge_config`.
        """
        return self.without_judge.config

    def plot(self, bars: pd.DataFrame | None = None, *, lang: str = "en",
             display_tz: str | None = None):
        """A plotly figure: the price with the judged run's entries and exits and the rejected
        candidates, equity and drawdown with and without the judge beneath."""
        from fxjudge.report.notebook import plot_result  # the notebook's door to the report

        return plot_result(self, bars, lang=lang, display_tz=display_tz)

    def show_report(self, *, lang: str = "en", display_tz: str | None = None,
                    bars: pd.DataFrame | None = None, height_px: int = 900):
        """The HTML report, shown in the notebook cell (as `fxjudge.report` writes it)."""
        from fxjudge.report.notebook import inline_report

        return inline_report(self, lang=lang, display_tz=display_tz, bars=bars,
                             height_px=height_px)

    def _repr_html_(self) -> str:
        """Notebook view: both runs side by side, then the judge's out-of-sample scores."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(label)}</th><td>{escape(a)}</td>"
            f"<td>{escape(b)}</td></tr>"
            for (label, a), (_, b) in zip(self.without_judge.summary_rows(),
                                          self.with_judge.summary_rows(), strict=True)
        )
        scores, precision = self.judge.scores, self.judge.precision
        p_value = self.judge.random_filter.get("precision_p_value", math.nan)
        rank_p = self.judge.rank_test.get("p_value", math.nan)
        pnl_p = self.judge.pnl_test.get("p_value", math.nan)
        line = (f"verdict: {self.judge.outcome.replace('_', ' ')}; out-of-sample AUC "
                f"{scores.get('auc', math.nan):.3f} on {scores.get('n', 0):,} judged candidates "
                f"(rank test p = {rank_p:.3f}); kept {precision.get('n_taken', 0):,} (P&L test "
                f"p = {pnl_p:.3f}), win rate {precision.get('precision_taken', math.nan):.1%} "
                f"against {precision.get('base_rate', math.nan):.1%} (precision p = "
                f"{p_value:.3f})")
        return (f"<div><table><tr><th></th><th>without judge</th><th>with judge</th></tr>{rows}"
                f"</table><p>{escape(line)}</p></div>")

    def save(self, folder: str | Path, *, equity_csv: bool = False) -> Path:
        """Write config.toml (reruns it), both runs (``without_judge/``, ``with_judge/``, see
        `BacktestResult.save`), candidates, importance (pooled, per period, by group) and
        judge.json."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_text(tomli_w.dumps(toml_safe(self.config)))
        self.without_judge.save(folder / "without_judge", equity_csv=equity_csv)
        self.with_judge.save(folder / "with_judge", equity_csv=equity_csv)
        if self.judge_sized is not None:
            self.judge_sized.save(folder / "judge_sized", equity_csv=equity_csv)
        self.candidates.to_csv(folder / "candidates.csv", index_label="time")
        for name, table in (("importance", self.judge.importance),
                            ("importance_periods", self.judge.importance_periods),
                            ("importance_groups", self.judge.importance_groups)):
            if table is not None:
                table.to_csv(folder / f"{name}.csv")
        summary = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                   for k, v in self.judge.summary().items()}
        (folder / "judge.json").write_text(
            json.dumps({"summary": summary, "config": self.judge_config}, indent=2, default=str)
        )
        return folder


def _balance(run: BacktestResult) -> float:
    return float(run.config.get("account", {}).get("balance", 0.0))


def _equity_before(run: BacktestResult, since: pd.Timestamp) -> float:
    equity = run.equity["equity"]
    before = equity[equity.index < since]
    return float(before.iloc[-1]) if len(before) else _balance(run)


def cut_from(run: BacktestResult, since: pd.Timestamp) -> BacktestResult:
    """`run` from `since` on: trades entered from then, equity from then, and the balance it
    started with there (so net profit, returns, drawdown, Sharpe, PSR and DSR are the period's).

    A position open at `since` (entered in the warm-up, the same in both runs) counts in the
    period's equity from `since` on, not in its trades.
    """
    config = copy.deepcopy(run.config)
    config.setdefault("account", {})["balance"] = _equity_before(run, since)
    config.setdefault("data", {})["start"] = since.isoformat()
    trades = run.trades[run.trades["entry_time"] >= since] if len(run.trades) else run.trades
    return BacktestResult(trades=trades.reset_index(drop=True),
                          equity=run.equity[run.equity.index >= since], config=config,
                          notes=list(run.notes), periods_per_year=run.periods_per_year)
