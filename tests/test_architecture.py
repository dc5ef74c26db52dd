"""The import graph follows the flow of docs/architecture.md: a stage imports only stages to its
left."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fxjudge"
STAGES = ["data", "features", "signals", "judge", "engine", "results", "report"]
SHARED = {"domain", "errors", "config"}
#: the API, the CLI and the search (DESIGN.md's `optimize`, the package `fxjudge.search`, since
#: `fxjudge.optimize` is the function) may use every stage
FRONT = {"api", "cli", "__init__", "runconfig", "search"}
ONLY_IN = {"ta": "features", "sklearn": "judge", "jinja2": "report", "plotly": "report",
           "optuna": "search", "dask": "search", "distributed": "search"}
#: the reference engine alone imports backtrader; the compiled loops alone numba (the one-pair
#: kernels, the portfolio's loop that calls them, and the drawdown passes every trial of a
#: search computes)
ONLY_MODULE = {"backtrader": ("engine/backtrader_engine.py",),
               "numba": ("engine/kernels.py", "engine/portfolio_kernels.py",
                         "results/drawdowns.py")}


#: The one import to the right that the flow allows: a result's notebook methods (`plot`,
#: `show_report`) call the report stage, inside the method, so importing results loads nothing.
NOTEBOOK_DOOR = ("results", "fxjudge.report.notebook")


def imports_of(path: Path, *, in_functions: bool = True) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if in_functions else _outside_functions(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _outside_functions(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node
            yield from _outside_functions(node)


def test_only_results_methods_open_the_notebook_door():
    for path in (PACKAGE / "results").glob("*.py"):
        assert NOTEBOOK_DOOR[1] not in imports_of(path, in_functions=False), path


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
            if top in ONLY_MODULE and path.relative_to(PACKAGE).as_posix() not in ONLY_MODULE[top]:
                problems.append(f"{path.relative_to(PACKAGE)} imports {top}")
            if top == "fxjudge" and stage in STAGES and "." in name:
                target = name.split(".")[1]
                if (stage, name) == NOTEBOOK_DOOR:
                    continue
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


def test_only_the_front_end_imports_the_search():
    """The search sits above the API: no stage, nor the API, imports it."""
    problems = []
    for path in PACKAGE.rglob("*.py"):
        stage = owner(path)
        if stage in ("search", "cli", "__init__") or stage.startswith("cli_"):
            continue
        for name in imports_of(path):
            if name == "fxjudge.search" or name.startswith("fxjudge.search."):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []
