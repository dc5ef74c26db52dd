"""Commands that need no judge never import the judge stack (scikit-learn, scipy, skops):
`fxjudge --help`, `strategies`, `data list` and `data info` start in a fraction of a second
(benchmarks/bench_startup.py records how long)."""

import json
import subprocess
import sys

import pytest

from fxjudge.config import sample_path
from tests.conftest import REPO

SAMPLE = sample_path()
JUDGE_STACK = ("sklearn", "scipy", "skops")
PROBE = """
import json, sys
from fxjudge.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_packages(*argv: str, cwd=REPO) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [
    ["--help"], ["strategies"], ["data", "list"], ["data", "info", str(SAMPLE)],
    ["data", "info", str(SAMPLE), "--json"],
], ids=" ".join)
def test_commands_without_a_judge_do_not_import_it(argv):
    assert not loaded_packages(*argv) & set(JUDGE_STACK)


def test_data_info_of_a_catalog_pair_does_not_import_it(tmp_path):
    from fxjudge.cli import main

    assert main(["--project-dir", str(tmp_path), "data", "import", str(SAMPLE)]) == 0
    found = loaded_packages("--project-dir", str(tmp_path), "data", "info", "EURUSD")
    assert not found & set(JUDGE_STACK)


def test_the_probe_sees_the_judge_stack_when_it_is_used(tmp_path):
    """The probe itself works: a backtest does load scikit-learn."""
    found = loaded_packages("--project-dir", str(tmp_path), "backtest", "--strategy",
                            "sma_cross", "--data", str(SAMPLE), "--spread-pips", "0.8", "--to",
                            "2017-02-01")
    assert "sklearn" in found
