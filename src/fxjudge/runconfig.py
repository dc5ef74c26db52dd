"""A run's configuration: one source of truth for the TOML file and the CLI flags.

A run file has these tables (every key optional; flags override the file; an unknown table or
key is an error with "did you mean")::

    engine = "compiled"         # or "backtrader", the reference engine (top level)
    lookahead_check = false     # skip the look-ahead check (top level; the report says so)
    [data]      source = "data/sample/EURUSD_H1_2017_ASK.csv"   # or pair = "EURUSD" (catalog)
                pair = "EURUSD"; timeframe = "H1"; start = "2017-03-01"; end = "2017-12-01"
                format = "dukascopy-csv"; tz = "+02:00"; conversion = 150.0
                detail_timeframe = "M1"   # lower bars decide stop vs target inside a bar
    [strategy]  name = "sma_cross"
    [strategy.params]  fast_bars = 10; slow_bars = 30
    [costs]     spread_pips = 0.3; slippage_pips = 0; commission_per_lot = 0; swap_long_pips = 0
                swap_short_pips = 0; triple_swap_weekday = 2
    [account]   currency = "JPY"; balance = 1000000; leverage = 25; lot_size = 10000
                stop_out_level = 0.5
    [sizing]    lots = 1          # or units = 10000, or risk_fraction = 0.01
                by_probability = true   # judged runs: size by the judge (probability_step = 0.1)
    [judge]     mode = "walk-forward"   # or "models/NAME"; and options: retrain = "monthly",
                train_window = "anchored", estimator = "hgb", threshold = "tune", min_train = 60
                # a portfolio ([[legs]]): models = "pooled" or "per-pair", or saved models
                # mode = {USDJPY = "models/uj", EURUSD = "models/eu"}
    [optimize]  method = "grid"; objective = "sharpe"; maximize = true; n_trials = 200; seed = 0
                constraint = "fast_bars < slow_bars"; jobs = -1; scheduler = "dask"
                walk_forward = "6M/1M"; anchored = false; judge = "walk-forward"
                                                   # [optimize]: `fxjudge optimize` only
    [optimize.space]  fast_bars = "5:50:5"; slow_bars = [20, 50, 100]; stop_loss_pips = "5.0:50.0"

A saved run's config.toml also records what it ran on (``[data] bars, price_side,
fingerprint``, ``[strategy] class, origin, file``, ``versions``, ``created``; a portfolio's
``portfolio`` and each leg's ``start, end, bars, fingerprint``): those are read back without
complaint and ignored (the strategy is found by name again; the CLI warns when
that is now another file).

`resolve` turns the merged dictionary into the objects the engine takes, and `to_toml_dict`
gives back the complete configuration (defaults filled in) that reruns the run exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal

from fxjudge.engine.costs import Account, Costs, Sizing
from fxjudge.errors import ConfigError
from fxjudge.files import regular_file
from fxjudge.judge import JUDGE_OPTION_TYPES, JUDGE_OPTIONS
from fxjudge.typed import check_value, checked_fields, unknown_name

DATA_KEYS = ("source", "pair", "timeframe", "start", "end", "format", "tz", "conversion",
             "detail_timeframe")
#: What a saved run records besides its settings: read back without complaint, never used;
#: and (top level) ``n_trials``, the configurations tried, with ``trials_sr_variance``, the
#: variance of their per-day Sharpe ratios (ddof 1) and ``trials_sr_variance_source``, where it
#: came from, which the report's DSR uses.
RECORDED = {"data": ("bars", "price_side", "fingerprint"),
            "strategy": ("class", "origin", "file")}
TRIALS_KEYS = ("n_trials", "trials_sr_variance", "trials_sr_variance_source")
RECORDED_TOP = ("versions", "created", "command", "portfolio", *TRIALS_KEYS)
#: Settings at the top level of a run file: ``engine = "backtrader"`` runs the reference engine;
#: ``lookahead_check = false`` skips the look-ahead check of the strategy.
SETTINGS_TOP = ("engine", "lookahead_check")
OPTIMIZE_TYPES = {"method": str, "objective": str, "maximize": bool, "n_trials": int,
                  "seed": int, "constraint": str, "jobs": int, "scheduler": str,
                  "walk_forward": str, "anchored": bool, "judge": str, "space": dict}
SECTIONS: dict[str, tuple[str, ...]] = {
    "optimize": tuple(OPTIMIZE_TYPES),
    "data": DATA_KEYS + RECORDED["data"],
    "strategy": ("name", "params") + RECORDED["strategy"],
    "judge": ("mode", "models", *JUDGE_OPTIONS),
    "costs": tuple(f.name for f in dataclasses.fields(Costs)),
    "account": tuple(f.name for f in dataclasses.fields(Account)),
    "sizing": tuple(f.name for f in dataclasses.fields(Sizing)),
}
_DAY = str | dt.date | dt.datetime
#: The type of every key (strategy parameters are checked by the strategy's own `Params`).
TYPES: dict[str, dict[str, Any]] = {
    "data": {"source": str, "pair": str, "timeframe": str, "start": _DAY, "end": _DAY,
             "format": str, "tz": str, "conversion": float, "bars": int, "price_side": str,
             "fingerprint": str, "detail_timeframe": str},
    "strategy": {"name": str, "params": dict, "class": str, "origin": str, "file": str},
    "judge": {"mode": str | dict, "models": str, **JUDGE_OPTION_TYPES},
    "optimize": OPTIMIZE_TYPES,
    **{name: typing.get_type_hints(cls)
       for name, cls in (("costs", Costs), ("account", Account), ("sizing", Sizing))},
}
TOP_TYPES = {"versions": dict, "created": str, "command": str, "n_trials": int,
             "trials_sr_variance": float, "trials_sr_variance_source": str,
             "engine": Literal["compiled", "backtrader"], "lookahead_check": bool,
             "portfolio": bool}
DEFAULT_SIZING = {"lots": 1.0}
#: the keys of [sizing] that say how big a trade is (one of them); the others modify it
SIZING_MODES = ("units", "lots", "risk_fraction")


def check(config: dict[str, Any], *, origin: str = "the configuration") -> dict[str, Any]:
    """Raise `ConfigError` for an unknown table or key or a value of the wrong type, in one
    line naming `origin`, the table and the key; return `config` unchanged."""
    for section, values in config.items():
        if section == "legs":
            _check_legs(values, origin)
            continue
        if section in RECORDED_TOP + SETTINGS_TOP:
            _typed(f"{origin}:", section, values, TOP_TYPES[section])
            if section == "n_trials" and values < 1:
                raise ConfigError(f"{origin}: `n_trials` must be >= 1, was {values!r}")
            if section == "trials_sr_variance" and values < 0:
                raise ConfigError(f"{origin}: `trials_sr_variance` must be >= 0, was {values!r}")
            continue
        if section not in SECTIONS:
            raise unknown_name(f"table in {origin}", section, list(SECTIONS))
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: `{section}` must be a table, was {values!r}")
        for key, value in values.items():
            if key not in SECTIONS[section]:
                raise unknown_name(f"key in [{section}] of {origin}", key, SECTIONS[section])
            _typed(f"{origin}: [{section}]", key, value, TYPES[section][key])
    return config


#: the keys of a ``[[legs]]`` table: a portfolio's pair (a catalog pair, or `source` a file of
#: it) and what it sets apart from the run's own [strategy], [costs], [sizing] and timeframe
LEG_KEYS = ("source", "pair", "strategy", "params", "costs", "sizing", "timeframe")
#: what a saved portfolio's config.toml records of each leg, read back and ignored
RECORDED_LEG_KEYS = ("start", "end", "bars", "fingerprint")


def leg_specs(legs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``[[legs]]`` tables as `fxjudge.backtest_portfolio` (and a portfolio search) take
    legs: a catalog pair's name as ``data``, or the `source` file (read from the project)."""
    from fxjudge import config

    specs = []
    for leg in legs:
        spec = {key: leg[key] for key in ("strategy", "params", "costs", "sizing", "timeframe")
                if key in leg}
        if leg.get("source"):
            spec |= {"data": str(config.project_path(leg["source"])), "pair": leg.get("pair")}
        else:
            spec["data"] = leg["pair"]
        specs.append(spec)
    return specs


def _check_legs(legs: Any, origin: str) -> None:
    if not isinstance(legs, list) or not all(isinstance(leg, dict) for leg in legs):
        raise ConfigError(f"{origin}: `legs` must be [[legs]] tables, was {legs!r}")
    for number, leg in enumerate(legs, 1):
        for key in leg:
            if key not in LEG_KEYS + RECORDED_LEG_KEYS:
                raise unknown_name(f"key in [[legs]] {number} of {origin}", key, LEG_KEYS)
        if not (leg.get("source") or leg.get("pair")):
            raise ConfigError(f"{origin}: [[legs]] {number} must give `pair` (or `source`)")


def _typed(where: str, key: str, value: Any, hint: Any) -> None:
    try:
        check_value(key, value, hint)
    except ConfigError as error:
        raise ConfigError(f"{where} {error}") from None


def load_file(path: str | Path) -> dict[str, Any]:
    """Read and check a run file (UTF-8, a byte-order mark allowed)."""
    path = regular_file(path, ConfigError, what="run file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: is not UTF-8 text (byte {data[error.start]:#04x} at offset "
                          f"{error.start}); save it as UTF-8") from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return check(config, origin=str(path))


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` on top of `base`, table by table (None values in `overrides` are skipped)."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in overrides.items():
        if not isinstance(values, dict):  # a top-level setting: engine, lookahead_check
            if values is not None:
                merged[section] = values
            continue
        target = merged.setdefault(section, {})
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key] = {**target[key], **value}
            else:
                target[key] = value
    given = {k for k, v in overrides.get("sizing", {}).items() if v is not None}
    if given & set(SIZING_MODES):  # a sizing mode replaces the file's; sizing by probability stays
        merged["sizing"] = {k: v for k, v in merged["sizing"].items()
                            if k not in SIZING_MODES or k in given}
    return merged


def parse_value(text: str) -> Any:
    """A `--set` value as TOML would read it (10 -> int, 1.5 -> float, true -> bool), else text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``["fast_bars=10", "on_opposite=exit"]`` -> ``{"fast_bars": 10, "on_opposite": "exit"}``."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"`--set` must look like name=value, was {item!r}")
        params[name.strip()] = parse_value(value.strip())
    return params


def resolve(config: dict[str, Any]) -> tuple[Costs, Account, Sizing]:
    """The engine objects of a checked configuration (defaults where a table is absent)."""
    costs = build(Costs, config.get("costs", {}), "costs")
    account = build(Account, config.get("account", {}), "account")
    sizing = dict(config.get("sizing") or {})
    if not sizing.keys() & set(SIZING_MODES):  # e.g. only by_probability: the default mode
        sizing = DEFAULT_SIZING | sizing
    sizing = build(Sizing, sizing, "sizing")
    return costs, account, sizing


def build(cls: type, values: dict[str, Any], table: str):
    """`cls(**values)`, every name and type checked first (``costs``, ``account``, ``sizing``)."""
    return cls(**checked_fields(cls, values, kind=f"key in [{table}]"))
