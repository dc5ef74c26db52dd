"""Docs that run: every command of the README and of docs/ runs here, in the order written.

Each document's ```bash and ```python blocks run top to bottom in a fresh temporary folder, as
a user would type them: a page starts by making its project (``fxjudge init NAME && cd NAME``),
with the bundled sample in it, and later commands use what earlier ones made. The project's
own README (`fxjudge/project_template/README.md`) runs inside a project made by `fxjudge init`,
where it lives. What the harness does that a shell would do differently, and nothing else:

- ``fxjudge ...`` runs in this process (`fxjudge.cli.main`, the console script's own function),
  which must return 0; ``cd`` moves the harness's folder; anything else runs through a shell
  with this venv's ``bin/`` first on the PATH; globs (``reports/*-sma_cross-EURUSD-H1``) are
  expanded as a shell expands them;
- downloads go to a local server on 127.0.0.1 serving generated datafeed files
  (`tests/datafeed.py`), through ``$FXJUDGE_DATAFEED_URL``, the variable that sets
  `--base-url`'s default: the tests never use the network beyond this machine;
- a python block runs in one namespace per document, in the harness's folder;
- a block right after ``<!-- doctest: skip: REASON -->`` is not run, and the reason says what
  runs it instead (CI's own set-up, the test suite, the wheel test).
"""

from __future__ import annotations

import glob
import inspect
import os
import re
import shlex
import subprocess
import sys
import types
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from fxjudge.cli import main
from tests.conftest import REPO
from tests.datafeed import DatafeedServer, generated_files

PROJECT_README = REPO / "src" / "fxjudge" / "project_template" / "README.md"
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), PROJECT_README]
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!-- doctest: skip: (.+) -->$")


@dataclass(frozen=True)
class Block:
    """A fenced block: its language, text, first line number, and why it is skipped (if)."""

    lang: str
    text: str
    line: int
    skip: str | None


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        skip = SKIP.match(before.strip())
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        found.append(Block(opened.group(1), "\n".join(lines[i + 1:end]), i + 1,
                           skip.group(1) if skip else None))
        i = end + 1
    return found


def commands(text: str) -> list[list[str]]:
    """The commands of a bash block: lines joined at a trailing backslash, comments dropped,
    ``&&`` splitting a line into commands."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            out.append(words[:cut])
            words = words[cut + 1:]
    return out


class Runner:
    """Runs a document's blocks in order from `home`."""

    def __init__(self, home: Path, monkeypatch, capsys) -> None:
        self.cwd, self.monkeypatch, self.capsys = home, monkeypatch, capsys
        # one module per document, registered (dataclasses defined in it look it up)
        self.module = types.ModuleType(f"fxjudge_docs_{home.name}")
        sys.modules[self.module.__name__] = self.module
        venv_bin = str(Path(sys.executable).parent)
        self.env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}

    def expand(self, word: str) -> list[str]:
        if not any(c in word for c in "*?["):
            return [word]
        matches = sorted(glob.glob(word, root_dir=self.cwd))
        assert matches, f"{word!r} matches nothing in {self.cwd}"
        return matches

    def command(self, argv: list[str], where: str) -> None:
        if argv[0] == "cd":
            self.cwd = (self.cwd / argv[1]).resolve()
            assert self.cwd.is_dir(), f"{where}: no folder {self.cwd}"
            return
        args = [a for word in argv[1:] for a in self.expand(word)]
        if argv[0] == "fxjudge":
            self.monkeypatch.chdir(self.cwd)
            code = main(args)
            out = self.capsys.readouterr()
            assert code == 0, f"{where}: `{shlex.join(argv)}` exited {code}\n{out.out}\n{out.err}"
            return
        program = sys.executable if argv[0] in ("python", "python3") else argv[0]
        done = subprocess.run([program, *args], cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"{where}: `{shlex.join(argv)}`\n{done.stdout}\n{done.stderr}"

    def python(self, block: Block, where: str) -> None:
        self.monkeypatch.chdir(self.cwd)
        code = compile(block.text, where, "exec", dont_inherit=True)  # not this file's futures
        exec(code, self.module.__dict__)  # the document's own code, as a user runs it

    def run(self, path: Path) -> int:
        ran = 0
        for block in blocks(path):
            where = f"{path.relative_to(REPO)}:{block.line}"
            if block.skip or block.lang not in ("bash", "python"):
                continue
            if block.lang == "bash":
                for argv in commands(block.text):
                    self.command(argv, where)
            else:
                self.python(block, where)
            ran += 1
        return ran


@pytest.fixture(scope="module")
def datafeed():
    server = DatafeedServer(generated_files())
    yield server
    server.close()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_runs_in_order(path, tmp_path, monkeypatch, capsys, datafeed):
    monkeypatch.setenv("FXJUDGE_DATAFEED_URL", datafeed.url)
    monkeypatch.delenv("FXJUDGE_PROJECT_DIR", raising=False)
    runner = Runner(tmp_path, monkeypatch, capsys)
    if path == PROJECT_README:  # it lives in a project: run it there
        runner.command(["fxjudge", "init", "project"], "fxjudge init")
        runner.command(["cd", "project"], "cd")
    try:
        ran = runner.run(path)
    finally:
        sys.modules.pop(runner.module.__name__, None)
    assert ran or path == REPO / "docs" / "README.md", f"{path} has no command to run"


def test_skipped_blocks_say_what_runs_them_and_the_test_command_is_ci_s():
    skipped = [(p, b) for p in DOCUMENTS for b in blocks(p) if b.skip]
    assert all(p == REPO / "README.md" for p, _ in skipped) and len(skipped) == 4
    assert all(re.search(r"tests/(\w+/)?test_\w+\.py|\.ci/run", b.skip) for _, b in skipped)
    test_command = next(b.text for _, b in skipped if "pytest" in b.text)
    assert test_command in (REPO / ".ci" / "run").read_text()
    others = [b for p in DOCUMENTS for b in blocks(p) if b.lang not in ("bash", "python")]
    assert {b.lang for b in others} == {""}  # plain blocks: a diagram, the URL layout
    assert not [b for b in others if re.search(r"^\s*(fxjudge|python|pip) ", b.text, re.M)]


def test_the_engine_page_links_the_rules_and_copies_none():
    import fxjudge.engine

    page = (REPO / "docs" / "engine.md").read_text()
    assert "src/fxjudge/engine/__init__.py" in page
    rules = [" ".join(line.split()) for line in fxjudge.engine.__doc__.splitlines()]
    flat = " ".join(page.split())
    copied = [line for line in rules if len(line) > 50 and line in flat]
    assert copied == []


def test_the_strategy_guide_names_every_exit_parameter():
    from fxjudge.signals.exits import ExitRules

    page = (REPO / "docs" / "strategies.md").read_text()
    missing = [f.name for f in fields(ExitRules) if f"`{f.name}`" not in page]
    assert missing == [], "docs/strategies.md must explain every exit parameter"


def test_docstrings_cite_files_in_the_repository():
    package = REPO / "src" / "fxjudge"
    outside, missing = [], []
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\b(DESIGN|FORMATS)(\.md)?\s*§", text):
            outside.append(str(path.relative_to(package)))
        missing += [f"{path.name}: {name}" for name in re.findall(r"docs/[\w-]+\.md", text)
                    if not (REPO / name).exists()]
    assert outside == [] and missing == []


def test_the_harness_reads_what_it_runs():
    assert commands("a b \\\n    c && cd x # note\nd '#e'") == [["a", "b", "c"], ["cd", "x"],
                                                                ["d", "#e"]]
    assert inspect.getdoc(Runner)
