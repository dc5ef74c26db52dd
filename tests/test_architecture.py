"""The import graph follows the flow of docs/architecture.md: a stage imports only stages to its
left."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fxjudge"
STAGES = ["data", "features", "signals", "judge", "engine", "results", "report"]
SHARED = {"domain", "errors", "config"}
FRONT = {"api", "cli", "__init__", "runconfig"}  # the API and CLI may use every stage
ONLY_IN = {"backtrader": "engine", "ta": "features", "sklearn": "judge", "jinja2": "report",
           "plotly": "report"}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def owner(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_stages_import_only_to_their_left_and_libraries_stay_in_their_stage():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        stage = owner(path)
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in ONLY_IN and ONLY_IN[top] != stage:
                problems.append(f"{path.relative_to(PACKAGE)} imports {top}")
            if top == "fxjudge" and stage in STAGES and "." in name:
                target = name.split(".")[1]
                if target in STAGES and STAGES.index(target) > STAGES.index(stage):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name} (to its right)")
                if target in FRONT - {"__init__"}:
                    problems.append(f"{path.relative_to(PACKAGE)} imports the front end {name}")
    assert problems == []


def test_bundled_strategies_import_only_the_strategy_api():
    """A strategy reads like the ones users write: the strategy API, the indicators, errors."""
    allowed = {"fxjudge.errors", "fxjudge.features", "fxjudge.features.indicators",
               "fxjudge.signals.strategy", "fxjudge.data.bars"}
    files = sorted((PACKAGE / "strategies").glob("*.py"))
    assert len(files) > 5
    for path in files:
        ours = {n for n in imports_of(path) if n.split(".")[0] in ("fxjudge", "backtrader")}
        assert ours <= allowed, (path.name, ours - allowed)
