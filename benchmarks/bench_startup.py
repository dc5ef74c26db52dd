"""Start-up: how long the commands that need no judge take, as a ratio to ``python -c pass``.

Run: ``.venv/bin/python benchmarks/bench_startup.py``. Each command runs as a whole process
(`--help`, `strategies`, `data list`, `data info` of the bundled sample and of a catalog pair,
and, for contrast, `import fxjudge.api`, which loads the judge stack), alternating with the
baseline ``python -c pass``, after a warm-up; the figure is the median wall time of the runs
and the median of the per-pair ratios. None of these commands imports scikit-learn, scipy or
skops (tests/test_startup.py keeps it so). The result is written to
benchmarks/results/startup.txt.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "fxjudge" / "sample" / "EURUSD_H1_2017_ASK.csv"
RESULT = ROOT / "benchmarks" / "results" / "startup.txt"
RUNS = 15
CLI = "import sys; from fxjudge.cli import main; sys.exit(main(sys.argv[1:]))"


def wall(argv: list[str]) -> float:
    """Seconds one process takes, start to exit."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=ROOT)
    return time.perf_counter() - start


def measure(argv: list[str], baseline: list[str]) -> tuple[float, float, float]:
    """Median seconds of `argv`, of `baseline`, and the median ratio, pair by pair."""
    wall(argv), wall(baseline)  # warm the file cache
    pairs = [(wall(argv), wall(baseline)) for _ in range(RUNS)]
    return (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs),
            statistics.median(a / b for a, b in pairs))


def main() -> None:
    """Time each command and write the result file."""
    python = [sys.executable]
    baseline = [*python, "-c", "pass"]
    with tempfile.TemporaryDirectory() as folder:
        project = ["--project-dir", folder]
        subprocess.run([*python, "-c", CLI, *project, "data", "import", str(SAMPLE)],
                       check=True, capture_output=True, cwd=ROOT)
        commands = {
            "fxjudge --help": ["--help"],
            "fxjudge strategies": ["strategies"],
            "fxjudge data list": [*project, "data", "list"],
            "fxjudge data info FILE (the sample)": ["data", "info", str(SAMPLE)],
            "fxjudge data info EURUSD (catalog)": [*project, "data", "info", "EURUSD"],
        }
        rows = [(name, *measure([*python, "-c", CLI, *argv], baseline))
                for name, argv in commands.items()]
        rows.append(("import fxjudge.api (judge stack)",
                     *measure([*python, "-c", "import fxjudge.api"], baseline)))
    lines = [f"Start-up, whole process, median of {RUNS} runs each, python -c pass as baseline",
             f"  {'command':40} {'seconds':>8} {'baseline':>9} {'ratio':>7}"]
    lines += [f"  {name:40} {seconds:8.3f} {base:9.3f} {ratio:6.1f}x"
              for name, seconds, base, ratio in rows]
    text = "\n".join(lines)
    print(text)
    RESULT.write_text(text + "\n")


if __name__ == "__main__":
    main()
