"""The judge on a portfolio (`fxjudge.judge.portfolio`): one pooled model or one per pair.

The leak test is by truncation: a pooled judge trains at each cut on every leg's labels
resolved before it, so cutting the data at T (every leg, or one leg only) must leave each
candidate before T with the same probability. Synthetic M1 bars with the planted momentum
edge, traded by the big-bar strategy of test_honesty, give enough candidates in seconds.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import fxjudge
from fxjudge import api
from fxjudge.cli import main
from fxjudge.data.synthetic import PlantedEdge, synthetic_bars
from fxjudge.domain import FxPair
from fxjudge.errors import ConfigError, ModelError
from fxjudge.judge import WALK_FORWARD, LabelCosts, judge_signals
from fxjudge.judge.portfolio import JudgeLeg, judge_legs, pair_comparable
from fxjudge.signals.exits import exit_levels
from fxjudge.signals.strategy import run_signals
from tests.conftest import REPO
from tests.judge.test_honesty import BigBar

OPTIONS = {"retrain": 3000, "min_train": 150, "importance_repeats": 0, "n_jobs": 1}
SAMPLE = fxjudge.sample_path()
ACCOUNT = {"currency": "USD", "balance": 20_000.0, "leverage": 25.0}


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


def judge_leg(bars: pd.DataFrame) -> JudgeLeg:
    strategy = BigBar()
    features, signals = run_signals(strategy, bars)
    levels = exit_levels(bars, signals, strategy.exit_rules, FxPair.parse(bars.attrs["pair"]))
    return JudgeLeg(bars, signals, levels, strategy.exit_rules, LabelCosts(),
                    strategy_features=features)


@pytest.fixture(scope="module")
def bars():
    return [synthetic_bars(pair, timeframe="M1", n_bars=12_000, seed=seed, edge=PlantedEdge())
            for pair, seed in (("EURUSD", 1), ("USDJPY", 2))]


@pytest.fixture(scope="module")
def pooled(bars):
    with threadpool_limits(limits=1):
        return judge_legs([judge_leg(b) for b in bars], models="pooled", options=OPTIONS)


@pytest.mark.parametrize("cut_legs", [(0, 1), (1,)], ids=["every leg", "USDJPY only"])
def test_the_pooled_judge_never_trains_on_a_label_resolved_after_the_cut(bars, pooled,
                                                                          cut_legs):
    cut = bars[0].index[9_000]
    shorter = [b[b.index < cut] if number in cut_legs else b for number, b in enumerate(bars)]
    again = judge_legs([judge_leg(b) for b in shorter], models="pooled", options=OPTIONS)
    for full, early in zip(pooled, again, strict=True):
        before = full.candidates[full.candidates.index < cut]
        assert before["judged"].sum() > 100  # periods from bar 3,000 on were judged
        pd.testing.assert_series_equal(
            before["probability"],
            early.candidates.loc[early.candidates.index < cut, "probability"])


def test_the_pair_is_a_feature_of_the_pooled_judge(pooled):
    config = pooled[0].config
    assert config["models"] == "pooled" and config["pairs"] == ["EURUSD", "USDJPY"]
    assert {"pair_EURUSD", "pair_USDJPY", "strategy_body_sigma"} <= set(config["pooled_features"])
    # each leg keeps its own candidates and its own (unscaled) features
    assert pooled[1].features["atr_pips"].median() > 0 and "pair_USDJPY" not in \
        pooled[1].features.columns
    assert all(v.candidates["judged"].any() for v in pooled)


def test_pips_and_the_strategys_features_are_scaled_per_pair_by_their_past():
    X = pd.DataFrame({"atr_pips": [2.0, 4.0, 6.0], "rsi": [30.0, 50.0, 70.0],
                      "strategy_level": [110.0, 0.0, -110.0], "spread_pips": [0.0, 0.0, 1.0]})
    out = pair_comparable(X)
    # running medians of |value|: 2, 3, 4 / 110, 55, 110 / 0, 0, 0
    assert out["atr_pips"].tolist() == pytest.approx([1.0, 4 / 3, 1.5])
    assert out["strategy_level"].tolist() == pytest.approx([1.0, 0.0, -1.0])
    assert out["spread_pips"].isna().all()  # no scale yet: unknown, not infinite
    assert out["rsi"].equals(X["rsi"])


def test_per_pair_judges_each_leg_as_alone(bars):
    legs = [judge_leg(b) for b in bars]
    found = judge_legs(legs, models="per-pair", options=OPTIONS)
    alone = judge_signals(legs[1].bars, legs[1].signals, legs[1].levels, legs[1].rules,
                          WALK_FORWARD, strategy_features=legs[1].strategy_features,
                          options=OPTIONS, costs=legs[1].costs)
    pd.testing.assert_series_equal(found[1].candidates["probability"],
                                   alone.candidates["probability"])
    assert found[1].config["models"] == "per-pair"
    with pytest.raises(ConfigError, match="`models` must be 'per-pair' or 'pooled', was 'both'"):
        judge_legs(legs, models="both")
    with pytest.raises(ConfigError, match="`allow_param_change` applies to a saved model"):
        judge_legs(legs, models="pooled", options={"allow_param_change": True})


# -- the front doors: API and command line ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_legs():
    sample = fxjudge.load_bars(SAMPLE)
    return [{"data": sample, "pair": "EURUSD"}, {"data": sample, "pair": "GBPUSD"}]


def test_backtest_portfolio_runs_the_pooled_judge(sample_legs, tmp_path):
    from fxjudge.report import load_run
    from fxjudge.report.i18n import labels
    from fxjudge.report.portfolio_page import judge_cards

    run = fxjudge.backtest_portfolio(sample_legs, strategy="sma_cross", account=ACCOUNT,
                                     costs={"spread_pips": 1.0}, judge="walk-forward",
                                     judge_options={"models": "pooled", "min_train": 60})
    verdict = run.verdict
    assert run.account.config["judge"] == {"mode": "walk-forward", "min_train": 60,
                                           "models": "pooled"}
    assert verdict["outcome"] in ("no_evidence", "ranks_only", "helped")
    assert verdict["rank_test.n"] > 0 and verdict["rank_test.n_periods"] >= 1
    assert run.account.trades["probability"].notna().any()
    assert len(run.account.trades) <= len(run.without_judge.account.trades)
    loaded = load_run(run.save(tmp_path / "run"))  # the unjudged portfolio is kept with it
    assert loaded.without_judge.account.stats["net_profit"] == pytest.approx(
        run.without_judge.account.stats["net_profit"])
    assert loaded.verdict == verdict  # saved with it, so a re-rendered page keeps it
    assert judge_cards(loaded, labels("en")) == judge_cards(run, labels("en"))
    cards = judge_cards(run, labels("en"))
    assert cards[0] == ("Judge", "walk-forward, one pooled model")
    assert cards[1][0] == "Verdict, all legs" and "rank test p = " in cards[1][1]
    with pytest.raises(ConfigError, match="`models` must be 'per-pair' or 'pooled'"):
        fxjudge.backtest_portfolio(sample_legs, strategy="sma_cross", judge="walk-forward",
                                   judge_options={"models": "one"})


def test_cli_judge_models_flag(tmp_path, capsys):
    project = ["--project-dir", str(tmp_path)]
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    relabelled = tmp_path / "GBPUSD_H1_2017_ASK.csv"
    relabelled.write_bytes(SAMPLE.read_bytes())
    assert main([*project, "data", "import", str(relabelled), "--pair", "GBPUSD"]) == 0
    assert main([*project, "backtest", "--pairs", "EURUSD,GBPUSD", "--strategy", "sma_cross",
                 "--timeframe", "H1", "--spread-pips", "1", "--judge", "walk-forward",
                 "--judge-models", "pooled"]) == 0
    (folder,) = (tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*")
    config = (folder / "config.toml").read_text()
    assert 'models = "pooled"' in config and 'mode = "walk-forward"' in config
    assert "walk-forward, one pooled model" in (folder / "report.html").read_text()
    # its config.toml reruns it: the same judged trades
    assert main([*project, "backtest", "--config", str(folder / "config.toml")]) == 0
    first, again = sorted((tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*"))
    pd.testing.assert_frame_equal(pd.read_csv(first / "trades.csv"),
                                  pd.read_csv(again / "trades.csv"))
    assert json.loads((again / "portfolio.json").read_text())["verdict"] == json.loads(
        (first / "portfolio.json").read_text())["verdict"]
    capsys.readouterr()
    assert main([*project, "backtest", "--pair", "EURUSD", "--strategy", "sma_cross",
                 "--timeframe", "H1", "--spread-pips", "1", "--judge", "walk-forward",
                 "--judge-models", "pooled"]) == 2
    assert "`models` (--judge-models) applies to a portfolio's judge" in capsys.readouterr().err


# -- saved models, one per pair -------------------------------------------------------------------


@pytest.fixture(scope="module")
def models(tmp_path_factory, sample_legs):
    root = tmp_path_factory.mktemp("project") / "models"
    common = {"costs": {"spread_pips": 1.0}, "start": "2017-01-01", "end": "2017-07-01",
              "project": REPO, "judge_options": {"estimator": "logistic", "min_train": 50}}
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's ema_atr judge is weak; it need not rank
        return {leg["pair"]: api.train_judge(leg["data"], "ema_atr", root / leg["pair"],
                                             pair=leg["pair"], **common)[0]
                for leg in sample_legs}


def saved_run(legs, judge, **extra):
    return fxjudge.backtest_portfolio(legs, strategy="ema_atr", account=ACCOUNT,
                                      costs={"spread_pips": 1.0}, start="2017-07-01",
                                      judge=judge, **extra)


def test_cli_saved_models_per_pair(tmp_path, capsys, models):
    project = ["--project-dir", str(tmp_path)]
    relabelled = tmp_path / "GBPUSD_H1_2017_ASK.csv"
    relabelled.write_bytes(SAMPLE.read_bytes())
    assert main([*project, "data", "import", str(SAMPLE)]) == 0
    assert main([*project, "data", "import", str(relabelled), "--pair", "GBPUSD"]) == 0
    run = [*project, "backtest", "--pairs", "EURUSD,GBPUSD", "--strategy", "ema_atr",
           "--timeframe", "H1", "--spread-pips", "1", "--from", "2017-07-01", "--judge"]
    given = ",".join(f"{pair}={folder}" for pair, folder in models.items())
    assert main([*run, given]) == 0
    (folder,) = (tmp_path / "reports").glob("*portfolio-EURUSD-GBPUSD*")
    assert "saved models, one per pair" in (folder / "report.html").read_text()
    capsys.readouterr()
    assert main([*run, "EURUSD="]) == 2
    assert "`--judge` must be 'walk-forward' or PAIR=MODEL_FOLDER pairs" in \
        capsys.readouterr().err


def test_a_saved_model_per_pair_judges_its_leg(sample_legs, models):
    run = saved_run(sample_legs, models)
    assert run.account.config["judge"]["models"] == "saved, per pair"
    assert run.account.config["judge"]["mode"] == {p: str(f) for p, f in models.items()}
    assert run.account.trades["probability"].notna().all()


def test_saved_models_that_do_not_fit_the_legs_are_refused(sample_legs, models):
    with pytest.raises(ConfigError, match="no saved model for the leg GBPUSD: give one per "
                                          r"leg \(GBPUSD=models/NAME\)"):
        saved_run(sample_legs, {"EURUSD": models["EURUSD"]})
    with pytest.raises(ConfigError, match="a model for USDJPY .*not a leg of this portfolio "
                                          r"\(legs: EURUSD, GBPUSD\)"):
        saved_run(sample_legs, models | {"USDJPY": models["EURUSD"]})
    with pytest.raises(ModelError, match="trained on EURUSD, and is given to the leg GBPUSD"):
        saved_run(sample_legs, {"EURUSD": models["EURUSD"], "GBPUSD": models["EURUSD"]})
    other = [sample_legs[0], {**sample_legs[1], "strategy": "sma_cross"}]
    with pytest.raises(ModelError, match=r"GBPUSD: the model was trained for the strategy "
                                         "'ema_atr', this run uses 'sma_cross'"):
        saved_run(other, models)
    with pytest.raises(ConfigError, match="a pooled saved model is not built"):
        saved_run(sample_legs, models, judge_options={"models": "pooled"})
    with pytest.raises(ConfigError, match="`judge` must be 'walk-forward' or, for saved "
                                          "models, a mapping pair -> model folder"):
        saved_run(sample_legs, str(models["EURUSD"]))


def test_the_portfolio_verdict_compares_pairs_within_one_model_only():
    from fxjudge.judge import Judgement
    from fxjudge.judge.portfolio import portfolio_verdict

    def leg(hours, prob):  # each leg ranks its own candidates perfectly: two wins, two losses
        times = pd.Timestamp("2024-01-02", tz="UTC") + pd.to_timedelta(hours, unit="h")
        c = pd.DataFrame({"probability": prob, "label": [1.0, 1.0, 0.0, 0.0],
                          "taken": [True, True, False, False], "label_return": [2.0, 2.0, -1, -1],
                          "period": 0}, index=pd.DatetimeIndex(times, name="time"))
        return Judgement(c, pd.DataFrame(index=c.index), None, {})

    legs = [leg([0, 2, 4, 6], [0.8, 0.7, 0.6, 0.5]), leg([1, 3, 5, 7], [0.3, 0.2, 0.1, 0.05])]
    apart = portfolio_verdict(legs, ["EURUSD", "USDJPY"], "per-pair")
    assert apart["rank_test.auc"] == 1.0 and apart["rank_test.n_periods"] == 2
    # over all pairs: wins 0.8, 0.7 beat all four losses, wins 0.3, 0.2 beat two: 12 of 16
    assert apart["rank_test.auc_pooled"] == pytest.approx(12 / 16)
    assert apart["rank_test.n"] == 8 and apart["pnl_test.n_kept"] == 4
    assert apart["pnl_test.mean_kept"] == 2.0 and apart["pnl_test.mean_all"] == 0.5
    pooled = portfolio_verdict(legs, ["EURUSD", "USDJPY"], "pooled")  # one model's period 0
    assert pooled["rank_test.auc"] == pytest.approx(12 / 16) and pooled["rank_test.n_periods"] == 1

