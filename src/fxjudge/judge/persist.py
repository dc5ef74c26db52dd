"""Saved judges: a model file that never runs code, and a card that cannot lie.

A saved model is a folder of two files:

- ``model.skops``: a skops archive (not pickle) of ``{"judge": Judge, "guard": JSON text}``.
  The guard holds what keeps the model away from its own training data and from the wrong
  strategy (`GUARDED`: format, features, training window, threshold, strategy name and
  parameters, data, fingerprint, label rule). It is inside the model file, so editing the card
  cannot move the training window.
- ``card.json``: the guard's fields plus what a person wants to read (validation scores,
  candidates, versions). Its guarded fields must equal the guard's; a card that differs was
  edited, and the folder is refused.

Loading never runs code from the file. Before skops builds anything, every node of the
archive's schema (its module, class and skops loader) must be one that `save_model` itself
writes: `saved_types()` computes that exact set by saving every estimator preset with every
calibration on a tiny sample (once per process), so it follows the installed scikit-learn.
No module prefix is trusted, and skops' own list of untrusted types is never echoed back as
trusted. A model trained with a dotted-path estimator holds other types: the caller names
them, exactly, in `trusted_types` (``--trust-type``), having checked that they are the
estimator's classes. Anything else is a `ModelError` naming the file and the type.
"""

from __future__ import annotations

import io
import json
import math
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import skops.io as sio
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from fxjudge.config import package_versions
from fxjudge.errors import ModelError
from fxjudge.files import regular_file, write_atomic
from fxjudge.judge.model import CALIBRATIONS, ESTIMATORS, Judge
from fxjudge.judge.walkforward import make_judge

MODEL_FILE, CARD_FILE = "model.skops", "card.json"
FORMAT = "fxjudge-judge/2"
MODEL_PACKAGES = ("fxjudge", "numpy", "pandas", "scikit-learn", "scipy", "skops")
GUARDED = ("format", "features", "training_window", "threshold", "strategy", "data",
           "data_fingerprint", "label_rule")
#: A model file's members may expand to at most this many bytes (a zip bomb is refused unread).
MAX_UNPACKED_BYTES = 2 * 1024**3
_SMALL = {"hgb": {"max_iter": 3}, "random_forest": {"n_estimators": 2}, "logistic": {}}
_FIX = "train and save the model again (`fxjudge judge train`)"


def _jsonable(value):
    """`value` in plain JSON types; NaN and infinities become null, tuples lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


# -- the card's schema -------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value, name: str, where: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value) if isinstance(value, str) else None
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise ModelError(f"{where}: `{name}` must be an ISO time with its UTC offset, was "
                         f"{value!r}; {_FIX}")
    return stamp


def check_card(card, where: str) -> dict:
    """`card` if every field `save_model` writes has its type; else one `ModelError` line."""
    if not isinstance(card, dict):
        raise ModelError(f"{where}: must hold a JSON object, was a {type(card).__name__}; {_FIX}")

    def bad(name: str, expected: str) -> ModelError:
        return ModelError(f"{where}: `{name}` must be {expected}, was {card.get(name)!r}; {_FIX}")

    if card.get("format") != FORMAT:
        raise ModelError(f"{where}: format {card.get('format')!r} is not {FORMAT!r} (a model "
                         f"saved by another fxjudge version, or not a model card); {_FIX}")
    features = card.get("features")
    if not (isinstance(features, list) and features and all(isinstance(f, str)
                                                            for f in features)):
        raise bad("features", "a non-empty list of feature names")
    window = card.get("training_window")
    if not (isinstance(window, dict) and set(window) == {"start", "end"}):
        raise bad("training_window", 'an object {"start": ..., "end": ...}')
    start = _timestamp(window["start"], "training_window.start", where)
    end = _timestamp(window["end"], "training_window.end", where)
    if start > end:
        raise bad("training_window", "a window whose start is not after its end")
    threshold = card.get("threshold")
    if not (_is_number(threshold) and 0 <= threshold <= 1):
        raise bad("threshold", "a probability in [0, 1]")
    strategy = card.get("strategy")
    if strategy is not None and not (
            isinstance(strategy, dict) and isinstance(strategy.get("name"), str)
            and isinstance(strategy.get("params"), dict)):
        raise bad("strategy", 'null or an object {"name": str, "params": {...}}')
    for name in ("data", "label_rule"):
        if card.get(name) is not None and not isinstance(card[name], dict):
            raise bad(name, "null or an object")
    if card.get("data_fingerprint") is not None and not isinstance(card["data_fingerprint"],
                                                                    str):
        raise bad("data_fingerprint", "null or a string")
    return card


# -- saving ------------------------------------------------------------------------------------


def _payload(judge: Judge, guard: dict) -> bytes:
    return sio.dumps({"judge": judge, "guard": json.dumps(guard, sort_keys=True)})


def save_model(judge: Judge, folder, card: dict) -> Path:
    """Write `model.skops` and `card.json` into `folder`; return the folder.

    `card` must give `training_window` ({"start", "end"}: ISO times with offsets) and should
    give `strategy` ({"name", "params"}), `data`, `data_fingerprint` and `label_rule` (missing
    ones are null); features, threshold, parameters, validation scores and versions are added
    from the judge and the environment. The guarded fields go inside the model file too.
    """
    try:
        check_is_fitted(judge)
    except NotFittedError as exc:
        raise ModelError("the judge is not fitted: call `fit` before `save_model`") from exc
    names = getattr(judge, "feature_names_in_", None)
    full = {"features": None if names is None else list(names), "training_window": None,
            "strategy": None, "data": None, "data_fingerprint": None, "label_rule": None}
    full = _jsonable(full | dict(card) | {
        "format": FORMAT, "params": judge.get_params(deep=False),
        "threshold": judge.threshold_, "validation_scores": judge.validation_scores_,
        "versions": package_versions(MODEL_PACKAGES)})
    check_card(full, "the card given to save_model")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / MODEL_FILE, _payload(judge, {k: full[k] for k in GUARDED}))
    write_atomic(folder / CARD_FILE, json.dumps(full, indent=2))
    return folder


# -- the exact allow-list ----------------------------------------------------------------------


def _schema_types(schema) -> set[tuple[str, str]]:
    """Every (``module.Class``, skops loader) named anywhere in a skops schema."""
    found: set[tuple[str, str]] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__module__" in node or "__class__" in node:
                found.add((f"{node.get('__module__')}.{node.get('__class__')}",
                           str(node.get("__loader__"))))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _archive_types(data: bytes) -> set[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _schema_types(json.loads(archive.read("schema.json")))


@lru_cache(maxsize=1)
def saved_types() -> frozenset[tuple[str, str]]:
    """The exact (``module.Class``, loader) set that `save_model` writes for the presets.

    Computed by fitting every estimator of `ESTIMATORS`, composed as the judge composes them
    (`walkforward.make_judge`), with every calibration on 80 seeded rows with named features,
    and reading the types back from the archive `save_model` writes.
    The estimators are shrunk (a few trees): that changes their sizes, not their types. About
    half a second, once per process.
    """
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 2)), columns=["a", "b"])
    y = (X["a"] + rng.normal(size=80) > 0).astype(int).to_numpy()
    guard = {"example": [1, 2.5, "text", True, None]}
    found: set[tuple[str, str]] = set()
    for name in ESTIMATORS:
        for calibration in CALIBRATIONS:
            judge = make_judge(name, calibration=calibration, cv_folds=2,
                               estimator_params=_SMALL[name]).fit(X, y)
            found |= _archive_types(_payload(judge, guard))
    return frozenset(found)


def _audit(path: Path, trusted_types: tuple[str, ...]) -> list[str]:
    """Check every type in the archive against the allow-list; return the names to trust."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise ModelError(f"{path}: would unpack to {unpacked / 1e9:.1f} GB, above the "
                                 f"{MAX_UNPACKED_BYTES / 1e9:.1f} GB a judge model may take; "
                                 "refusing to read it")
            found = _schema_types(json.loads(archive.read("schema.json")))
    except ModelError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError, OSError) as exc:
        raise ModelError(f"{path}: not a readable skops file ({exc}); {_FIX}") from None
    allowed = saved_types()
    extra = set(trusted_types)
    foreign = sorted({name for name, loader in found
                      if (name, loader) not in allowed and name not in extra})
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise ModelError(f"{path}: holds the type {foreign[0]}{more}, which fxjudge does not "
                         "save; refusing to load it, since it could run any code. If you "
                         "trained this model yourself with that estimator, name each such type "
                         "with --trust-type (API: trusted_types=[...])")
    return sorted({name for name, _ in allowed} | extra)


# -- loading -----------------------------------------------------------------------------------


def load_model(folder, *, trusted_types: tuple[str, ...] | list[str] = ()) -> tuple[Judge, dict]:
    """Read a folder written by `save_model`: (judge, card), the card checked against the guard.

    `trusted_types`: exact ``module.Class`` names to trust beyond what fxjudge saves (the
    classes of a dotted-path estimator you trained yourself).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no judge model there (no such folder); check the path or "
                         "train and save one with `fxjudge judge train`")
    missing = [name for name in (MODEL_FILE, CARD_FILE) if not (folder / name).exists()]
    if missing:
        raise ModelError(f"{folder}: incomplete judge model, {' and '.join(missing)} missing; "
                         f"{_FIX}")
    card_path = regular_file(folder / CARD_FILE, ModelError, what="model card")
    path = regular_file(folder / MODEL_FILE, ModelError, what="model file")
    try:
        card = json.loads(card_path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ModelError(f"{card_path}: not valid JSON ({exc}); {_FIX}") from None
    check_card(card, str(card_path))
    trusted = _audit(path, tuple(trusted_types))
    try:
        loaded = sio.load(path, trusted=trusted)
    except Exception as exc:
        raise ModelError(f"{path}: cannot be loaded ({type(exc).__name__}: {exc}); {_FIX}") \
            from None
    if not (isinstance(loaded, dict) and set(loaded) == {"judge", "guard"}
            and isinstance(loaded["judge"], Judge) and isinstance(loaded["guard"], str)):
        raise ModelError(f"{path}: does not hold a judge and its guard as `save_model` writes "
                         f"them; {_FIX}")
    try:
        guard = check_card(json.loads(loaded["guard"]), f"{path} (its guard)")
    except ValueError as exc:
        raise ModelError(f"{path}: its guard is not valid JSON ({exc}); {_FIX}") from None
    edited = [name for name in GUARDED if _jsonable(card.get(name)) != guard.get(name)]
    if edited:
        raise ModelError(f"{card_path}: `{edited[0]}` differs from the one stored inside "
                         f"{MODEL_FILE} (the card was edited); restore the card or {_FIX}")
    judge = loaded["judge"]
    if guard["threshold"] != judge.threshold_ or guard["features"] != list(
            getattr(judge, "feature_names_in_", [])):
        raise ModelError(f"{path}: the judge and its guard disagree; {_FIX}")
    saved = (card.get("versions") or {}).get("scikit-learn")
    if saved and saved != sklearn.__version__:
        warnings.warn(f"{path} was saved with scikit-learn {saved}, this is "
                      f"{sklearn.__version__}: its predictions may differ", stacklevel=2)
    return judge, card
