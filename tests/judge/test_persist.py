"""Saved judges: every preset loads back; crafted files never run code; the card cannot lie;
a model is refused on another strategy, other parameters or candidates before its window."""

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fxjudge import api
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.errors import ConfigError, ModelError
from fxjudge.judge.model import CALIBRATIONS, ESTIMATORS, Judge
from fxjudge.judge.persist import _archive_types, load_model, save_model, saved_types
from fxjudge.judge.walkforward import make_judge
from tests.conftest import REPO
from tests.judge import payloads
from tests.judge.test_model import candidates

SAMPLE = sample_path()
WINDOW = {"start": "2022-01-03T00:00:00+00:00", "end": "2022-03-10T00:00:00+00:00"}
CARD = {"training_window": WINDOW, "strategy": {"name": "demo", "params": {"bars": 3}}}
COSTS = {"spread_pips": 0.8}


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


def fitted(estimator="logistic", **options) -> Judge:
    X, y, starts, ends = candidates()
    return make_judge(estimator, **options).fit(X, y, starts=starts, ends=ends)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project with the bundled strategies and two ema_atr models: 2017 H1 and H2."""
    root = tmp_path_factory.mktemp("project")
    options = {"estimator": "logistic", "min_train": 50}
    with threadpool_limits(limits=1):
        for name, start, end in (("h1", "2017-01-01", "2017-07-01"),
                                 ("h2", "2017-07-01", "2018-01-01")):
            api.train_judge(SAMPLE, "ema_atr", f"models/{name}", costs=COSTS, start=start,
                            end=end, project=root, judge_options=options)
    return root


# -- every preset round-trips, with exactly the allowed types --------------------------------


@pytest.mark.parametrize("calibration", CALIBRATIONS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_preset_saves_and_loads_back(tmp_path, estimator, calibration):
    judge = fitted(estimator, calibration=calibration)
    folder = save_model(judge, tmp_path / "m", CARD)
    assert _archive_types((folder / "model.skops").read_bytes()) <= saved_types()
    loaded, card = load_model(folder)
    X, *_ = candidates(seed=3)
    assert np.array_equal(loaded.predict_proba(X), judge.predict_proba(X))
    assert loaded.threshold_ == judge.threshold_ == card["threshold"]
    assert card["features"] == list(X.columns) and card["training_window"] == WINDOW
    assert card["validation_scores"]["auc"] == judge.validation_scores_["auc"]
    assert {"numpy", "pandas", "scikit-learn", "fxjudge", "skops"} <= set(card["versions"])
    assert not list(folder.glob(".*.tmp"))


def test_the_allow_list_is_exact_names_never_a_prefix():
    names = {name for name, _ in saved_types()}
    assert "numpy.testing._private.utils.runstring" not in names
    assert all("." in name and not name.endswith(".") for name in names)
    assert {"fxjudge.judge.model.Judge", "sklearn.tree._tree.Tree",
            "sklearn.calibration._SigmoidCalibration"} <= names


# -- crafted files -------------------------------------------------------------------------


@pytest.fixture
def genuine(tmp_path):
    return save_model(fitted(), tmp_path / "genuine", CARD)


@pytest.mark.parametrize("name", list(payloads.payloads(REPO / "x")))
def test_every_payload_is_live(genuine, tmp_path, name):
    """The crafted files are real attacks: the landed loader's way runs them."""
    marker = tmp_path / "marker"
    crafted = payloads.plant(genuine, tmp_path / "crafted", payloads.payloads(marker)[name])
    payloads.load_as_before(crafted)
    assert marker.exists()


PLACES = {"the guard": ("guard",), "the judge": ("judge",),
          "an attribute of the judge": ("judge", "content", "content", "estimator")}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("name", list(payloads.payloads(REPO / "x")))
def test_crafted_model_files_are_refused_and_never_run(genuine, tmp_path, name, place):
    marker = tmp_path / "marker"
    crafted = payloads.plant(genuine, tmp_path / "crafted", payloads.payloads(marker)[name],
                             at=PLACES[place])
    with pytest.raises(ModelError, match=f"holds the type {name}.*could run any code"):
        load_model(crafted)
    assert not marker.exists()


def test_the_cli_refuses_a_crafted_model_in_one_line(project, tmp_path, capsys):
    marker = tmp_path / "marker"
    node = payloads.payloads(marker)["numpy.testing._private.utils.runstring"]
    crafted = payloads.plant(project / "models" / "h1", tmp_path / "crafted", node)
    code = main(["--project-dir", str(project), "backtest", "--strategy", "ema_atr", "--data",
                 str(SAMPLE), "--spread-pips", "0.8", "--from", "2017-07-01", "--judge",
                 str(crafted)])
    err = capsys.readouterr().err
    assert code == 2 and "numpy.testing._private.utils.runstring" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not marker.exists()


def test_a_dotted_path_estimator_loads_only_with_its_types_named(tmp_path):
    judge = fitted("sklearn.ensemble.ExtraTreesClassifier", estimator_params={"n_estimators": 5})
    folder = save_model(judge, tmp_path / "m", CARD)
    with pytest.raises(ModelError, match="ExtraTree.*--trust-type"):
        load_model(folder)
    trust = ["sklearn.ensemble._forest.ExtraTreesClassifier",
             "sklearn.tree._classes.ExtraTreeClassifier"]
    loaded, _ = load_model(folder, trusted_types=trust)
    assert loaded.threshold_ == judge.threshold_


def test_a_zip_bomb_model_is_refused_unread(genuine, monkeypatch):
    monkeypatch.setattr("fxjudge.judge.persist.MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ModelError, match="would unpack to .* refusing to read it"):
        load_model(genuine)


# -- the card cannot lie -----------------------------------------------------------------------


def _edit_card(folder, change):
    card = json.loads((folder / "card.json").read_text())
    card = change(card)
    (folder / "card.json").write_text(json.dumps(card))


@pytest.mark.parametrize(("change", "words"), [
    (lambda c: c | {"training_window": {"start": "2030-01-01T00:00:00+00:00",
                                        "end": "2030-02-01T00:00:00+00:00"}},
     "`training_window` differs from the one stored inside model.skops"),
    (lambda c: c | {"threshold": 0.01}, "`threshold` differs from the one stored"),
    (lambda c: c | {"strategy": {"name": "demo", "params": {"bars": 4}}}, "`strategy` differs"),
    (lambda c: [c], "must hold a JSON object, was a list"),
    (lambda c: c | {"threshold": "high"}, "`threshold` must be a probability in"),
    (lambda c: c | {"features": "atr_ratio"}, "`features` must be a non-empty list"),
    (lambda c: c | {"training_window": ["2022-01-03", "2022-03-10"]},
     "`training_window` must be an object"),
    (lambda c: c | {"training_window": {"start": "2022-01-03", "end": "2022-03-10"}},
     "must be an ISO time with its UTC offset"),
    (lambda c: c | {"strategy": "demo"}, "`strategy` must be null or an object"),
    (lambda c: c | {"format": "fxjudge-judge/1"}, "format 'fxjudge-judge/1' is not"),
])
def test_an_edited_or_malformed_card_is_refused(genuine, change, words):
    _edit_card(genuine, change)
    with pytest.raises(ModelError, match=words.replace("(", r"\(").replace("[", r"\[")):
        load_model(genuine)


def test_missing_or_corrupt_models_are_model_errors(tmp_path, genuine):
    with pytest.raises(ModelError, match="no such folder"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="model.skops and card.json missing"):
        load_model(tmp_path / "empty")
    (genuine / "card.json").write_text("{broken")
    with pytest.raises(ModelError, match="card.json: not valid JSON"):
        load_model(genuine)
    folder = save_model(fitted(), tmp_path / "m", CARD)
    (folder / "model.skops").write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match=r"not a readable skops file \(.*\); train and save"):
        load_model(folder)
    with pytest.raises(ModelError, match="not fitted"):
        save_model(Judge(), tmp_path / "unfitted", CARD)
    with pytest.raises(ModelError, match="`training_window` must be an object"):
        save_model(fitted(), tmp_path / "nowindow", {})


# -- a model meets the run it is applied to ------------------------------------------------


def test_a_model_is_refused_on_another_strategy(project):
    with pytest.raises(ModelError, match="trained for the strategy 'ema_atr', this run uses "
                                         "'sma_cross'"):
        api.backtest(SAMPLE, "sma_cross", params={"stop_loss_pips": 20}, project=project,
                     costs=COSTS, start="2017-07-01", judge="models/h1")


def test_other_parameters_are_refused_unless_allowed(project):
    with pytest.raises(ModelError, match=r"other parameters of ema_atr \(fast_bars 12 -> 10\).*"
                                         "--allow-param-change"):
        api.backtest(SAMPLE, "ema_atr", params={"fast_bars": 10}, project=project, costs=COSTS,
                     start="2017-07-01", judge="models/h1")
    with pytest.warns(UserWarning, match="other strategy parameters"):
        result = api.backtest(SAMPLE, "ema_atr", params={"fast_bars": 10}, project=project,
                              costs=COSTS, start="2017-07-01", judge="models/h1",
                              judge_options={"allow_param_change": True,
                                             "importance_repeats": 0})
    assert any("--allow-param-change" in w for w in result.judge_config["warnings"])
    assert any(n.startswith("WARNING:") and "fast_bars" in n for n in result.with_judge.notes)


def test_candidates_before_the_training_window_are_refused_unless_allowed(project):
    with pytest.raises(ModelError, match="come before the model's training window.*"
                                         "--allow-before-training"):
        api.backtest(SAMPLE, "ema_atr", project=project, costs=COSTS, end="2017-07-01",
                     judge="models/h2")
    with pytest.warns(UserWarning, match="not out of sample"):
        result = api.backtest(SAMPLE, "ema_atr", project=project, costs=COSTS,
                              end="2017-07-01", judge="models/h2",
                              judge_options={"allow_before_training": True,
                                             "importance_repeats": 0})
    assert result.candidates["judged"].all()


def test_saved_model_options_are_refused_for_walk_forward(project):
    with pytest.raises(ConfigError, match="`allow_param_change` applies to a saved model"):
        api.backtest(SAMPLE, "ema_atr", project=project, costs=COSTS, judge="walk-forward",
                     judge_options={"allow_param_change": True})


def test_cli_permissions_reach_the_judge(project, capsys):
    args = ["--project-dir", str(project), "backtest", "--strategy", "ema_atr", "--data",
            str(SAMPLE), "--spread-pips", "0.8", "--to", "2017-07-01", "--judge", "models/h2"]
    assert main(args) == 2
    assert "--allow-before-training" in capsys.readouterr().err
    assert main([*args, "--allow-before-training", "--set", "fast_bars=10",
                 "--allow-param-change"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "not out of sample" in out and "fast_bars" in out
    report = sorted((project / "reports").glob("*/report.html"))[-1].read_text()
    assert "not out of sample" in report and "fast_bars 12 -&gt; 10" in report


def test_models_of_the_first_format_get_one_line(tmp_path):
    import skops.io as sio

    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "model.skops").write_bytes(sio.dumps(fitted()))
    (folder / "card.json").write_text(json.dumps({"format": "fxjudge-judge/1"}))
    with pytest.raises(ModelError, match="another fxjudge version"):
        load_model(folder)
