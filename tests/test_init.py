"""`fxjudge init`: a project folder that works at once, every run-file key documented, and
nothing the user has overwritten."""

from __future__ import annotations

import re
import tomllib

from fxjudge import runconfig
from fxjudge.cli import main
from fxjudge.config import sample_path
from fxjudge.features.truncation import assert_causal
from fxjudge.project import TEMPLATE
from fxjudge.signals.loader import load_strategy
from fxjudge.signals.strategy import run_signals
from tests.signals.helpers import random_walk_bars

EXPECTED = ["README.md", "data/sample/EURUSD_H1_2017_ASK.csv",
            "data/sample/LICENSE-gym-anytrading.txt", "data/sample/README.md", "run.toml",
            "strategies/my_strategy.py"]


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_init_creates_the_project_and_its_run_file_runs(tmp_path, capsys):
    project = tmp_path / "fx"
    assert main(["init", str(project)]) == 0
    out = capsys.readouterr().out
    assert files_in(project) == EXPECTED
    assert all((project / name).is_dir() for name in ("strategies", "data", "reports"))
    assert f"created {project / 'run.toml'}" in out
    assert (project / "data/sample/EURUSD_H1_2017_ASK.csv").read_bytes() == \
        sample_path().read_bytes()
    assert main(["--project-dir", str(project), "backtest", "--config",
                 str(project / "run.toml")]) == 0
    out = capsys.readouterr().out
    assert f"my_strategy: the project's {project / 'strategies' / 'my_strategy.py'}" in out
    assert len(list((project / "reports").glob("*/report.html"))) == 1


def test_init_in_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["init"]) == 0
    assert files_in(tmp_path) == sorted([*EXPECTED, "notes.txt"])
    assert "Next: fxjudge run" in capsys.readouterr().out


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "my_strategy.py").write_text("# my own work\n")
    (tmp_path / "README.md").write_text("my readme\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {tmp_path}: already has README.md, strategies/my_strategy.py; "
                   "nothing was written (init never overwrites a file): choose a new folder, "
                   "or move those files away")
    assert files_in(tmp_path) == ["README.md", "strategies/my_strategy.py"]
    assert (tmp_path / "README.md").read_text() == "my readme\n"
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["init", str(afile)]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_run_toml_lists_every_key_with_a_comment_and_each_default_is_valid():
    text = (TEMPLATE / "run.toml").read_text()
    keys = {section: set(re.findall(rf"^#? ?({'|'.join(names)}) = ", body, re.M))
            for section, names in runconfig.SECTIONS.items()
            for body in [text.split(f"[{section}]")[1].split("\n[")[0]]}
    for section, names in runconfig.SECTIONS.items():
        documented = set(names) - set(runconfig.RECORDED.get(section, ())) - {"params"}
        assert keys[section] >= documented, (section, documented - keys[section])
    for line in text.splitlines():
        if re.match(r"^#? ?\w+ = ", line):
            assert "#" in line.lstrip("# "), f"no comment saying its unit: {line}"
    runconfig.load_file(TEMPLATE / "run.toml")
    # Every default shown, uncommented, has the type the run file takes (one sizing at a time).
    shown = re.sub(r"^# ((?!units|risk_fraction)\w+ = )", r"\1", text, flags=re.M)
    config = runconfig.check(tomllib.loads(shown))
    assert config["judge"]["mode"] == "walk-forward" and config["costs"]["slippage_pips"] == 0


def test_the_template_strategy_is_causal_and_signals(tmp_path):
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "my_strategy.py").write_bytes(
        (TEMPLATE / "my_strategy.py").read_bytes())
    strategy = load_strategy("my_strategy", project=tmp_path)
    bars = random_walk_bars(n_bars=1500, seed=7)
    assert_causal(strategy.features, bars)
    assert_causal(lambda b: run_signals(strategy, b)[1], bars)
    assert (run_signals(strategy, bars)[1] != 0).sum() > 5
    assert strategy.exit_rules.stop_loss_atr == 2.0 and strategy.exit_rules.max_bars == 48
