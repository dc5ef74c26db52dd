"""Docs that run: the quickstart notebook executes from top to bottom."""

import nbformat
import pytest

from tests.conftest import REPO

nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")


def test_quickstart_notebook_runs(tmp_path):
    """From top to bottom, in an empty folder (it needs nothing of the checkout)."""
    path = REPO / "notebooks" / "quickstart.ipynb"
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(str(o.get("text", "")) + str(o.get("data", {})) for o in outputs)
    assert "without judge" in text and "DSR over 9 tries" in text and "PBO" in text
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 2  # judged.plot() and the search's heatmap
    assert (tmp_path / "quickstart-report.html").exists()
    assert "<iframe srcdoc=" in text  # show_report()
