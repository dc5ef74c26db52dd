"""The Strategy API: typed params, run_signals' checks, exit levels, and loading by name."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from fxjudge.errors import ConfigError, StrategyError
from fxjudge.features import indicators as ind
from fxjudge.signals.exits import ExitRules, exit_levels
from fxjudge.signals.loader import (
    list_strategies,
    load_strategy,
    strategy_class,
    strategy_origin,
)
from fxjudge.signals.strategy import (
    Strategy,
    crosses_above,
    crosses_below,
    entries,
    run_signals,
)
from tests.signals.helpers import random_walk_bars


class Toy(Strategy):
    """A toy strategy: its signals are whatever `emit` returns."""

    @dataclass(frozen=True)
    class Params:
        fast_bars: int = 3
        width: float = 1.5
        zero_line_filter: bool = False
        session: Literal["tokyo", "london"] = "london"
        stop_loss_pips: float | None = None
        max_bars: int | None = 10

    emit = staticmethod(lambda bars: pd.Series(0, index=bars.index))

    @property
    def warmup_bars(self) -> int:
        return self.params.fast_bars

    def features(self, bars):
        return pd.DataFrame({"sma": ind.sma(bars["close"], self.params.fast_bars)})

    def signals(self, bars, features):
        return self.emit(bars)


def toy_emitting(emit):
    return type("Emitting", (Toy,), {"emit": staticmethod(emit)})()


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return random_walk_bars(n_bars=300, seed=5)


# -- parameters -------------------------------------------------------------------------------


def test_defaults_overrides_and_the_three_ways_to_give_params():
    assert Toy().params == Toy.Params()
    assert Toy(fast_bars=5).params.fast_bars == 5
    assert Toy(params={"fast_bars": 5}).params.fast_bars == 5
    made = Toy(params=Toy.Params(fast_bars=6), width=2)
    assert (made.params.fast_bars, made.params.width) == (6, 2.0)
    assert repr(Toy(fast_bars=4)).startswith("Toy(fast_bars=4, width=1.5,")
    assert Toy.param_defaults()["session"] == "london"


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Toy().params.fast_bars = 9


def test_an_unknown_parameter_suggests_the_close_one():
    with pytest.raises(
        ConfigError, match=r"Toy has no parameter `fast_bar`; did you mean `fast_bars`\?"
    ):
        Toy(fast_bar=5)
    with pytest.raises(ConfigError, match=r"no parameter `zzz`; its parameters: fast_bars, width"):
        Toy(params={"zzz": 1})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"fast_bars": "x"}, "`fast_bars` must be an int, was 'x'"),
        ({"fast_bars": 2.5}, "`fast_bars` must be an int, was 2.5"),
        ({"fast_bars": True}, "`fast_bars` must be an int, was True"),
        ({"width": "wide"}, "`width` must be a finite number, was 'wide'"),
        ({"zero_line_filter": 1}, "`zero_line_filter` must be true or false, was 1"),
        ({"session": "paris"}, "`session` must be one of 'tokyo', 'london', was 'paris'"),
        ({"stop_loss_pips": "10"}, "`stop_loss_pips` must be a finite number or None, was '10'"),
        ({"max_bars": 1.0}, "`max_bars` must be an int or None, was 1.0"),
    ],
)
def test_a_wrong_type_is_a_config_error_in_the_house_grammar(given, message):
    with pytest.raises(ConfigError) as caught:
        Toy(**given)
    assert str(caught.value) == message


def test_numpy_numbers_are_accepted_as_python_numbers():
    made = Toy(fast_bars=np.int64(4), width=np.float32(2.5), stop_loss_pips=20)
    assert type(made.params.fast_bars) is int and made.params.fast_bars == 4
    assert type(made.params.width) is float and type(made.params.stop_loss_pips) is float


def test_params_must_be_a_frozen_dataclass_with_defaults():
    with pytest.raises(StrategyError, match="must be a frozen dataclass"):

        class Loose(Toy):
            @dataclass
            class Params:
                n: int = 1

    with pytest.raises(StrategyError, match="parameter `n` needs a default"):

        class NoDefault(Toy):
            @dataclass(frozen=True)
            class Params:
                n: int

    with pytest.raises(ConfigError, match="`params` must be a Toy.Params or a mapping"):
        Toy(params=[1, 2])

    class Unresolvable(Toy):
        @dataclass(frozen=True)
        class Params:
            n: Nowhere = 1  # noqa: F821

    with pytest.raises(StrategyError, match="cannot read the annotations of .*Params: name"):
        Unresolvable()


def test_exit_rules_come_from_the_params_named_like_its_fields():
    assert Toy(stop_loss_pips=15).exit_rules == ExitRules(stop_loss_pips=15.0, max_bars=10)
    with pytest.raises(ConfigError, match="`stop_loss_pips` must be > 0 or None, was -1.0"):
        _ = Toy(stop_loss_pips=-1).exit_rules


# -- run_signals: the one place that checks a strategy's output ----------------------------------


def test_run_signals_returns_features_and_int8_signals(bars):
    features, signals = run_signals(toy_emitting(lambda b: pd.Series(0.0, index=b.index)), bars)
    assert list(features.columns) == ["sma"]
    assert signals.dtype == np.int8 and signals.name == "signal"
    assert signals.index.equals(bars.index)


def _one_at(value, position=50):
    def emit(bars):
        values = pd.Series(0.0, index=bars.index, dtype=object if value == "buy" else None)
        values.iloc[position] = value
        return values

    return emit


@pytest.mark.parametrize(
    ("emit", "message"),
    [
        (_one_at(np.nan), r"Emitting.signals is NaN at 1 bars \(first 2021-"),
        (_one_at(2.0), r"Emitting.signals must be -1, 0 or \+1, was 2.0 at 2021-"),
        (_one_at("buy"), r"Emitting.signals must hold the numbers -1, 0 or \+1, was of dtype"),
        (_one_at(1.0, position=1), r"signal at bar 1 .* inside its warm-up of 3 bars"),
        (lambda b: pd.Series(0, index=b.index[1:]), r"on the bars' index \(300 bars\)"),
        (lambda b: np.zeros(len(b)), r"Emitting.signals must return a Series, returned a ndarray"),
    ],
    ids=["nan", "two", "string", "warm-up", "index", "type"],
)
def test_run_signals_names_the_strategy_and_the_problem(bars, emit, message):
    with pytest.raises(StrategyError, match=message):
        run_signals(toy_emitting(emit), bars)


def test_crossings_and_entries():
    index = pd.RangeIndex(5)
    a = pd.Series([1.0, 2.0, 3.0, 2.0, 1.0], index=index)
    b = pd.Series([np.nan, 2.5, 2.5, 2.5, 2.5], index=index)
    assert crosses_above(a, b).tolist() == [False, False, True, False, False]
    assert crosses_below(a, b).tolist() == [False, False, False, True, False]
    assert crosses_above(a, 1.5).tolist() == [False, True, False, False, False]
    both = pd.Series([True, True, False, False, True], index=index)
    short = pd.Series([False, True, True, False, False], index=index)
    assert entries(both, short).tolist() == [1, 0, -1, 0, 1]
    assert entries(both, short, warmup_bars=2).tolist() == [0, 0, -1, 0, 1]


# -- exit levels -------------------------------------------------------------------------------


def test_exit_levels_in_pips_use_the_pair_pip_size(bars):
    signals = pd.Series(0, index=bars.index)
    signals.iloc[[40, 90]] = [1, -1]
    rules = ExitRules(stop_loss_pips=20, take_profit_pips=35)
    levels = exit_levels(bars, signals, rules, "USDJPY")
    assert levels.loc[signals != 0, "stop_distance"].tolist() == pytest.approx([0.20, 0.20])
    assert levels.loc[signals != 0, "target_distance"].tolist() == pytest.approx([0.35, 0.35])
    assert levels.loc[signals == 0].isna().all().all()
    from_attrs = exit_levels(bars, signals, rules)  # bars.attrs["pair"] is EURUSD
    assert from_attrs["stop_distance"].iloc[40] == pytest.approx(0.0020)


def test_exit_levels_in_atr_use_the_atr_at_the_signal_bar(bars):
    signals = pd.Series(0, index=bars.index)
    signals.iloc[60] = 1
    levels = exit_levels(bars, signals, ExitRules(stop_loss_atr=1.5, atr_bars=10))
    assert levels["stop_distance"].iloc[60] == pytest.approx(1.5 * ind.atr(bars, 10).iloc[60])
    assert levels["target_distance"].isna().all()  # no target in the rules


def test_exit_levels_errors(bars):
    signals = pd.Series(0, index=bars.index)
    signals.iloc[5] = 1
    no_pair = bars.copy()
    no_pair.attrs = {}
    with pytest.raises(ConfigError, match="`pair` must be given"):
        exit_levels(no_pair, signals, ExitRules(stop_loss_pips=10))
    with pytest.raises(StrategyError, match=r"needs ATR\(14\).*make `warmup_bars` >= 14"):
        exit_levels(bars, signals, ExitRules(stop_loss_atr=2.0))
    with pytest.raises(StrategyError, match="signals must be on the bars' index"):
        exit_levels(bars, signals.iloc[1:], ExitRules())


def test_an_atr_level_where_the_market_did_not_move_is_refused_at_its_bar(bars):
    flat = bars.copy()
    flat.iloc[:70, :4] = flat.iloc[0]["open"]  # a market that did not move: ATR(10) is 0
    flat.attrs = dict(bars.attrs)
    signals = pd.Series(0, index=bars.index)
    signals.iloc[65] = 1
    at = re.escape(str(bars.index[65]))
    with pytest.raises(StrategyError, match=rf"signal at {at} has ATR\(10\) = 0.*in pips"):
        exit_levels(flat, signals, ExitRules(stop_loss_atr=1.5, atr_bars=10))
    assert exit_levels(flat, signals, ExitRules(stop_loss_pips=10))["stop_distance"].iloc[65] > 0


# -- loading by name ---------------------------------------------------------------------------

STRATEGY_FILE = '''
from dataclasses import dataclass
import pandas as pd
from fxjudge.signals.strategy import Strategy


class {name}(Strategy):
    """{summary}

    More words.
    """

    @dataclass(frozen=True)
    class Params:
        """Parameters."""

        window_bars: int = 7

    warmup_bars = 0

    def features(self, bars):
        return pd.DataFrame(index=bars.index)

    def signals(self, bars, features):
        return pd.Series(0, index=bars.index)
'''


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "alpha.py").write_text(STRATEGY_FILE.format(name="Alpha", summary="First idea."))
    two = STRATEGY_FILE.format(name="Beta", summary="B.")
    two += STRATEGY_FILE.format(name="Gamma", summary="G.")
    (folder / "pair_of.py").write_text(two)
    (folder / "_helpers.py").write_text("X = 1\n")
    (folder / "notes.py").write_text("X = 1\n")
    return tmp_path


def test_load_by_name_by_stem_and_class_and_from_a_class_or_instance(project):
    assert strategy_class("alpha", project).__name__ == "Alpha"
    assert strategy_class("alpha:Alpha", project).__name__ == "Alpha"
    assert strategy_class("pair_of:Gamma", project).__name__ == "Gamma"
    made = load_strategy("alpha", {"window_bars": 9}, project=project)
    assert made.params.window_bars == 9
    assert strategy_class(Toy) is Toy
    assert load_strategy(Toy(fast_bars=5), {"width": 3.0}).params == Toy.Params(5, 3.0)


def test_an_unknown_name_lists_the_ones_there_are(project):
    with pytest.raises(StrategyError, match=r"no strategy named 'alpah' \(bundled with fxjudge or "
                       r"in .*strategies\); there are: alpha, bollinger_reversion, .*, notes, "
                       r"pair_of, .*sma_cross$"):
        strategy_class("alpah", project)
    with pytest.raises(StrategyError, match="no strategy named 'alpha' .*there are: "
                                            "bollinger_reversion, donchian_breakout"):
        strategy_class("alpha", project / "elsewhere")
    with pytest.raises(StrategyError, match=r"has no strategy class 'Nope'; it defines Alpha"):
        strategy_class("alpha:Nope", project)
    with pytest.raises(StrategyError, match=r"several strategies; name one of 'pair_of:Beta'"):
        strategy_class("pair_of", project)
    with pytest.raises(StrategyError, match=r"notes.py defines no Strategy subclass"):
        strategy_class("notes", project)
    with pytest.raises(ConfigError, match="`strategy` must be a name like 'sma_cross'"):
        strategy_class(42, project)


def test_a_broken_file_is_named_with_the_exception_line(project):
    (project / "strategies" / "broken.py").write_text("import nowhere_to_be_found\n")
    with pytest.raises(StrategyError) as caught:
        strategy_class("broken", project)
    text = str(caught.value)
    assert "broken.py: cannot import the strategy file" in text
    assert "ModuleNotFoundError: No module named 'nowhere_to_be_found'" in text
    (project / "strategies" / "broken.py").write_text("def oops(:\n")
    with pytest.raises(StrategyError, match=r"broken.py: .*SyntaxError: "):
        strategy_class("broken", project)


def test_list_strategies_gives_names_summaries_and_defaults(project):
    found = {info.name: info for info in list_strategies(project)}
    mine = sorted(name for name, info in found.items() if info.origin == "project")
    assert mine == ["alpha", "pair_of:Beta", "pair_of:Gamma"]
    assert found["alpha"].summary == "First idea."
    assert found["alpha"].params == {"window_bars": 7}
    assert found["alpha"].cls.__name__ == "Alpha"
    assert found["alpha"].path == project / "strategies" / "alpha.py"
    assert found["sma_cross"].origin == "bundled"


def test_a_project_file_overrides_the_bundled_strategy_of_its_name(project):
    (project / "strategies" / "sma_cross.py").write_text(
        STRATEGY_FILE.format(name="MySma", summary="Mine."))
    assert strategy_class("sma_cross", project).__name__ == "MySma"
    assert strategy_origin("sma_cross", project) == {
        "origin": "project (overrides bundled)",
        "file": str(project / "strategies" / "sma_cross.py")}
    [info] = [i for i in list_strategies(project) if i.name == "sma_cross"]
    assert info.origin == "project (overrides bundled)" and info.summary == "Mine."
    assert strategy_class("sma_cross", project / "elsewhere").__name__ == "SmaCross"


def test_bundled_strategies_are_found_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cls = strategy_class("bollinger_reversion")
    assert cls.__module__ == "fxjudge.strategies.bollinger_reversion"
    assert strategy_origin("bollinger_reversion")["origin"] == "bundled"
    assert strategy_origin(Toy)["origin"] == "given"


def test_an_edited_file_is_imported_again(project):
    path = project / "strategies" / "alpha.py"
    assert strategy_class("alpha", project)().params.window_bars == 7
    path.write_text(path.read_text().replace("= 7", "= 80"))
    assert strategy_class("alpha", project)().params.window_bars == 80


def test_a_strategy_sent_by_value_to_another_process_keeps_its_defaults():
    """cloudpickle (a notebook's class in a parallel search) copies `dataclasses.MISSING`."""
    cloudpickle = pytest.importorskip("cloudpickle")

    def notebook_class():
        class Notebook(Toy):
            @dataclass(frozen=True)
            class Params:
                fast_bars: int = 4
                width: float = 2.5

        return Notebook

    sent = cloudpickle.loads(cloudpickle.dumps(notebook_class()))
    assert dataclasses.fields(sent.Params)[0].default_factory is not dataclasses.MISSING
    assert sent().params == sent.Params(fast_bars=4, width=2.5)
    assert sent(fast_bars=7).params.fast_bars == 7
