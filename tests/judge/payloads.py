"""Crafted model files: real `save_model` folders with a payload planted in their skops schema.

Each payload, if built, writes a marker file; the tests assert the marker never appears. Every
payload is live: loaded the way the landed code did (skops' untrusted types passed back as
trusted), it writes the marker (`test_every_payload_is_live`).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import skops.io as sio


class Planted:
    """A custom class whose state setter runs code: what a hostile model author would ship."""

    def __setstate__(self, state):
        Path(state["marker"]).write_text("owned")


def _node(value) -> dict:
    """The skops schema node of a plain value (tuples, dicts and strings here).

    Without skops' ``__id__`` memo keys: they are `id()`s of this process's objects, and one
    equal to an id in the genuine file would make skops build that file's object instead.
    """
    with zipfile.ZipFile(io.BytesIO(sio.dumps({"v": value}))) as archive:
        return _without_ids(json.loads(archive.read("schema.json"))["content"]["v"])


def _without_ids(node):
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k != "__id__"}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def _call(module: str, name: str, *args) -> dict:
    """A node that makes skops call ``module.name(*args)`` while loading."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": _node(tuple(args))}


def payloads(marker: Path) -> dict[str, dict]:
    """Schema nodes that each write `marker` when skops builds them."""
    code = f"open({str(marker)!r}, 'w').write('owned')"
    return {
        "numpy.testing._private.utils.runstring": _call("numpy.testing._private.utils",
                                                        "runstring", code, {}),
        "builtins.exec": _call("builtins", "exec", code),
        "os.system": _call("os", "system", f"touch {marker}"),
        "tests.judge.payloads.Planted": {"__class__": "Planted",
                                         "__module__": "tests.judge.payloads",
                                         "__loader__": "ObjectNode",
                                         "content": _node({"marker": str(marker)})},
    }


def plant(folder: Path, out: Path, node: dict, *, at: tuple[str, ...] = ("guard",)) -> Path:
    """Copy the model folder `folder` to `out` with `node` planted in its skops schema.

    `at` is the path of keys from the top-level dict's content: ``("guard",)`` replaces the
    guard, ``("judge", "content", "content", "estimator")`` an attribute of the judge itself.
    """
    shutil.copytree(folder, out)
    path = out / "model.skops"
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    parent = schema["content"]
    for key in at[:-1]:
        parent = parent[key]
    parent[at[-1]] = node
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def load_as_before(folder: Path):
    """How the landed `load_model` loaded: skops' own untrusted list passed back as trusted."""
    path = folder / "model.skops"
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))
