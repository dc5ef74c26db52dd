"""Judged backtests end to end: the engine's veto, the API's JudgedResult, saved models, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import fxjudge.api as api
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.errors import ConfigError, ModelError
from fxjudge.judge import CANDIDATE_COLUMNS
from fxjudge.results.judged import JudgedResult
from fxjudge.signals.exits import ExitRules
from fxjudge.signals.loader import bundled_dir
from tests.conftest import REPO
from tests.engine.scenario import bars as scenario_bars
from tests.engine.scenario import run as scenario_run

SAMPLE = sample_path()
FAST = {"estimator": "logistic", "min_train": 50, "importance_repeats": 2}


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


# -- the engine's veto -------------------------------------------------------------------------

ROWS = [(1.1000 + 0.0005 * i, 1.1010 + 0.0005 * i, 1.0990 + 0.0005 * i, 1.1005 + 0.0005 * i)
        for i in range(8)]


def veto(signals, allowed, on_opposite):
    data = scenario_bars(ROWS)
    mask = pd.Series(allowed, index=data.index, dtype=bool)
    return scenario_run(data, signals, rules=ExitRules(on_opposite=on_opposite),
                        entries_allowed=mask).trades


def test_a_rejected_signal_opens_nothing():
    trades = veto([1, 0, 0, 0, 0, 0, 0, 0], [False] + [True] * 7, "exit")
    assert trades.empty


@pytest.mark.parametrize(("on_opposite", "allowed", "reasons", "sides"), [
    ("exit", True, ["opposite"], [1]),
    ("exit", False, ["opposite"], [1]),
    ("reverse", True, ["reverse", "end_of_data"], [1, -1]),
    ("reverse", False, ["opposite"], [1]),  # the reverse's new entry is rejected: plain exit
    ("ignore", False, ["end_of_data"], [1]),
])
def test_a_rejected_opposite_signal_still_ends_the_position(on_opposite, allowed, reasons,
                                                            sides):
    mask = [True, True, True, allowed, True, True, True, True]
    trades = veto([1, 0, 0, -1, 0, 0, 0, 0], mask, on_opposite)
    assert list(trades["exit_reason"]) == reasons and list(trades["side"]) == sides
    if reasons[0] in ("opposite", "reverse"):
        assert trades["exit_time"].iloc[0] == scenario_bars(ROWS).index[4]


def test_entries_allowed_must_be_booleans_on_the_bars():
    data = scenario_bars(ROWS)
    with pytest.raises(ConfigError, match="entries_allowed"):
        scenario_run(data, [1] + [0] * 7, entries_allowed=pd.Series(1.0, index=data.index))


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def judged() -> JudgedResult:
    with threadpool_limits(limits=1):
        return api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                            judge="walk-forward", judge_options=FAST)


def test_a_judged_backtest_holds_both_runs_on_the_same_calendar(judged):
    assert isinstance(judged, JudgedResult)
    assert judged.with_judge.equity.index.equals(judged.without_judge.equity.index)
    plain = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO)
    pd.testing.assert_frame_equal(plain.trades.drop(columns="probability"),
                                  judged.without_judge.trades.drop(columns="probability"))
    assert len(judged.with_judge.trades) < len(judged.without_judge.trades)
    assert judged.config["judge"]["mode"] == "walk-forward"
    assert judged.judge_config["judge"] == "walk-forward"


def test_the_candidates_table_is_the_contract(judged):
    c = judged.candidates
    assert tuple(c.columns) == CANDIDATE_COLUMNS and c.index.name == "time"
    assert c["taken"].dtype == bool and c["judged"].dtype == bool
    assert c.loc[~c["judged"], "probability"].isna().all() and c.loc[~c["judged"], "taken"].all()
    assert c["judged"].sum() > 100 and (~c["judged"]).sum() > 10
    assert set(c["barrier"].dropna()) <= {"stop_loss", "take_profit", "time", "opposite"}
    # a rejected candidate never opens a trade in the judged run; the trades carry probabilities
    entries = judged.with_judge.trades.set_index("entry_time")
    index = api.resolve_bars(SAMPLE).index
    next_open = index[index.get_indexer(c.index) + 1]
    rejected = pd.Index(next_open[~c["taken"].to_numpy()])
    assert not rejected.isin(entries.index).any()
    taken_at = pd.Series(c["probability"].to_numpy(), index=next_open)
    probability = taken_at.reindex(entries.index)
    np.testing.assert_array_equal(probability.to_numpy(), entries["probability"].to_numpy())


def test_the_judge_report_and_config(judged):
    report, config = judged.judge, judged.judge_config
    assert report.scores["n"] == report.precision["n_candidates"] > 100
    assert report.n_not_judged == int((~judged.candidates["judged"]).sum())
    for stats in (report.with_judge, report.without_judge):
        assert stats.n_trades > 0 and not np.isnan(stats.sharpe)
    assert set(report.importance.index) == set(config["features"])
    assert config["estimator"] == "logistic" and config["threshold"] == "tune"
    assert config["label_rule"]["stop_loss_atr"] == 1.5 and config["oos_start"]
    assert config["periods"][0]["n_train"] >= 50
    assert "strategy_ema_fast" in config["features"] and "side" in config["features"]


def test_a_judged_run_saves_both_runs(judged, tmp_path):
    folder = judged.save(tmp_path / "run")
    assert {p.name for p in folder.iterdir()} >= {"without_judge", "with_judge",
                                                  "candidates.csv", "judge.json"}
    saved = json.loads((folder / "judge.json").read_text())
    assert saved["summary"]["scores.n"] == judged.judge.scores["n"]


def test_judge_options_are_checked():
    with pytest.raises(ConfigError, match="did you mean `retrain`"):
        api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                     judge="walk-forward", judge_options={"retrian": 500})
    with pytest.raises(ConfigError, match="need `judge`"):
        api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                     judge_options={"retrain": 500})


def test_an_always_in_strategy_is_judged_without_a_horizon():
    """sma_cross exits only on the opposite crossing: its labels end there, as its trades do."""
    result = api.backtest(SAMPLE, "sma_cross", costs={"spread_pips": 0.8}, project=REPO,
                          judge="walk-forward", judge_options=FAST)
    assert result.judge_config["label_rule"]["horizon_from"] == "none"
    c = result.candidates
    assert c["label"].notna().sum() > 100 and set(c["barrier"].dropna()) == {"reverse"}


def test_a_strategy_that_ignores_opposite_signals_needs_a_labelling_horizon():
    params = {"on_opposite": "ignore"}
    with pytest.raises(ModelError, match="label_max_bars"):
        api.backtest(SAMPLE, "sma_cross", params=params, costs={"spread_pips": 0.8},
                     project=REPO, judge="walk-forward", judge_options=FAST)
    result = api.backtest(SAMPLE, "sma_cross", params=params, costs={"spread_pips": 0.8},
                          project=REPO, judge="walk-forward",
                          judge_options=FAST | {"label_max_bars": 24})
    assert result.judge_config["label_rule"]["horizon_from"] == "label_max_bars"


# -- saved models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("project") / "models" / "ema"
    with threadpool_limits(limits=1):
        return api.train_judge(SAMPLE, "ema_atr", out, costs={"spread_pips": 0.8},
                               start="2017-01-01", end="2017-07-01", project=REPO,
                               judge_options={"estimator": "logistic", "min_train": 50})


def test_a_trained_model_is_saved_with_its_card(model):
    folder, card = model
    assert (folder / "model.skops").exists() and (folder / "card.json").exists()
    assert card["training_window"]["start"].startswith("2017-01-01")
    assert card["training_window"]["end"] < "2017-07-01"
    assert card["data_fingerprint"] == api.fingerprint(
        api.resolve_bars(SAMPLE, start="2017-01-01", end="2017-07-01"))
    assert card["label_rule"]["take_profit_atr"] == 3.0 and "side" in card["features"]
    assert 0 <= card["threshold"] <= 1 and card["validation_scores"]["purged"] is True
    assert card["versions"]["scikit-learn"] and card["strategy"]["name"] == "ema_atr"


def test_a_saved_model_judges_a_later_period_without_warning(model, recwarn):
    folder, card = model
    result = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                          start="2017-07-01", judge=folder, judge_options={"importance_repeats": 2})
    c = result.candidates
    assert c["judged"].all() and not [w for w in recwarn if "overlaps" in str(w.message)]
    assert (c["taken"] == (c["probability"] >= card["threshold"])).all()
    assert result.judge_config["model_card"]["data_fingerprint"] == card["data_fingerprint"]
    assert len(result.judge.importance_periods) == 1  # a saved model judges as one period
    assert set(result.judge.importance_groups.index) == {
        "volatility_ratios", "sma_distances_x_side", "returns_x_side"}


def test_a_saved_model_warns_loudly_on_its_training_window(model):
    folder, _ = model
    with pytest.warns(UserWarning, match="overlaps the model's training window"):
        result = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                              judge=folder, judge_options={"importance_repeats": 0})
    c = result.candidates
    inside = c.index < pd.Timestamp("2017-06-30", tz="UTC")
    assert not c.loc[inside, "judged"].any() and c.loc[inside, "taken"].all()
    assert c.loc[c.index >= pd.Timestamp("2017-07-01", tz="UTC"), "judged"].all()
    assert any("WARNING" in note for note in result.with_judge.notes)


def test_a_saved_model_refuses_other_features(model, tmp_path):
    """The same strategy, edited to give one more feature, is not what the model learnt."""
    folder, _ = model
    code = (bundled_dir() / "ema_atr.py").read_text()  # the project's copy overrides it
    path = tmp_path / "strategies" / "ema_atr.py"
    path.parent.mkdir()
    edited = code.replace('"atr": ind.atr(bars, p.atr_bars),',
                          '"atr": ind.atr(bars, p.atr_bars), "atr_again": ind.atr(bars, 5),')
    assert edited != code
    path.write_text(edited)
    with pytest.raises(ModelError, match=r"other features .*unexpected \['strategy_atr_again'\]"):
        api.backtest(SAMPLE, "ema_atr", project=tmp_path, costs={"spread_pips": 0.8},
                     start="2017-07-01", judge=folder)


def test_the_feature_set_changes_the_judges_columns(tmp_path):
    common = {"costs": {"spread_pips": 0.8}, "project": REPO, "end": "2017-07-01"}
    own = api.backtest(SAMPLE, "ema_atr", judge="walk-forward", **common,
                       judge_options=FAST | {"features": "strategy", "importance_repeats": 0})
    assert own.judge_config["features"] == ["side", "strategy_ema_fast", "strategy_ema_slow",
                                            "strategy_atr"]
    folder, card = api.train_judge(SAMPLE, "ema_atr", tmp_path / "m", **common,
                                   judge_options={"estimator": "logistic", "min_train": 50,
                                                  "features": ["ret*_x_side", "hour_*"]})
    assert card["features"] == ["hour_sin", "hour_cos", "ret5_atr_x_side", "ret20_atr_x_side",
                                "hour_sin_x_side", "hour_cos_x_side", "side",
                                "strategy_ema_fast", "strategy_ema_slow", "strategy_atr"]
    assert card["judge_options"]["features"] == ["ret*_x_side", "hour_*"]
    later = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                         start="2017-07-01", judge=folder, judge_options={"importance_repeats": 0})
    assert later.judge_config["features"] == card["features"]  # it knows its features
    assert later.candidates["judged"].all()
    every, _ = api.train_judge(SAMPLE, "ema_atr", tmp_path / "all", **common,
                               judge_options={"estimator": "logistic", "min_train": 50,
                                              "features": ["*"]})  # as models saved before
    raw = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                       start="2017-07-01", judge=every, judge_options={"importance_repeats": 0})
    assert "ret5_atr" in raw.judge_config["features"] and raw.candidates["judged"].all()
    with pytest.raises(ConfigError, match="saved model judges with the features it was trained"):
        api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                     start="2017-07-01", judge=folder, judge_options={"features": "strategy"})


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_judged_backtest_train_and_apply(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    common = ["--strategy", "ema_atr", "--data", str(SAMPLE), "--spread-pips", "0.8"]
    code = main([*project, "backtest", *common, "--judge", "walk-forward", "--model", "logistic",
                 "--retrain", "monthly", "--train-window", "anchored", "--threshold",
                 "base_rate"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "with judge" in out and "without judge" in out and "out-of-sample AUC" in out
    [run] = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    assert (run / "candidates.csv").exists()

    code = main([*project, "judge", "train", *common, "--to", "2017-07-01", "--out",
                 "models/ema", "--model", "logistic"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "validation AUC" in out and (tmp_path / "models" / "ema" / "card.json").exists()

    code = main([*project, "backtest", *common, "--judge", "models/ema"])
    out = capsys.readouterr().out  # a warning line, once (tests/test_cli_warnings.py)
    assert code == 0 and "WARNING" in out and "training window" in out


def test_cli_features_flag_sets_the_judges_columns_and_the_run_file_keeps_it(tmp_path, capsys):
    code = main(["--project-dir", str(tmp_path), "backtest", "--strategy", "ema_atr", "--data",
                 str(SAMPLE), "--spread-pips", "0.8", "--to", "2017-07-01", "--judge",
                 "walk-forward", "--model", "logistic", "--features", "strategy"])
    assert code == 0, capsys.readouterr()
    [run] = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    saved = json.loads((run / "judge.json").read_text())["config"]
    assert saved["features"] == ["side", "strategy_ema_fast", "strategy_ema_slow",
                                 "strategy_atr"]
    assert 'features = "strategy"' in (run / "config.toml").read_text()


def test_cli_judge_flags_need_a_judge(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["backtest", "--strategy", "ema_atr", "--data", str(SAMPLE), "--retrain",
                 "monthly"]) == 2
    assert "need `--judge" in capsys.readouterr().err
    assert main(["backtest", "--strategy", "ema_atr", "--data", str(SAMPLE), "--judge",
                 "walk-forward", "--threshold", "high"]) == 2
    assert "`--threshold` must be" in capsys.readouterr().err


def test_a_judged_run_sized_by_probability_sits_beside_the_veto_only_run(tmp_path):
    from fxjudge.judge import bet_size
    from fxjudge.report import load_run, render_report

    with threadpool_limits(limits=1):
        result = api.backtest(SAMPLE, "ema_atr", costs={"spread_pips": 0.8}, project=REPO,
                              sizing={"lots": 1, "by_probability": True},
                              judge="walk-forward", judge_options=FAST)
    assert result.judge_sized is not None and result.config["sizing"]["by_probability"]
    veto, sized = result.with_judge.trades, result.judge_sized.trades
    assert (veto["units"] == 10_000).all()  # the veto-only run is not sized
    judged = sized[sized["probability"].notna()]
    # the sample's calibrated probabilities sit near its win rate, mostly below 1/2: most taken
    # trades are sized to 0 (skipped) and the rest small
    assert len(judged) > 0 and len(sized) < len(veto)
    expected = np.floor(10_000 * bet_size(judged["probability"].to_numpy(),
                                          judged["side"].to_numpy()) * judged["side"].to_numpy())
    np.testing.assert_array_equal(judged["units"].to_numpy(), expected)
    assert (sized.loc[sized["probability"].isna(), "units"] == 10_000).all()
    assert result.judge.judge_sized.n_trades > 0
    assert 0 < result.judge.scores["n_effective"] <= result.judge.scores["n"]
    folder = result.save(tmp_path / "run")
    assert (folder / "judge_sized").is_dir()
    loaded = load_run(folder)
    assert loaded.judge.judge_sized == result.judge.judge_sized
    assert len(loaded.judge_sized.trades) == len(sized)
    html = render_report(result, tmp_path / "report.html").read_text()
    assert "veto only / judge-sized" in html and "Effective sample size" in html
    from fxjudge.report import charts
    from fxjudge.report.i18n import labels

    drawn = [name for name, _, _ in charts.judged_runs(result, labels("en"))]
    assert drawn == ["Without judge", "judge-sized", "With judge"]
    from tests.report.test_render import unpacked

    assert '"name":"judge-sized"' in unpacked(html, "figures-gz")  # its curve is in the chart
