"""The quickstart notebook runs top to bottom offline, as a reader runs it in Jupyter, and shows pictures."""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "quickstart.ipynb"


def image_outputs(notebook) -> list[dict]:
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]


def test_the_committed_notebook_has_no_outputs():
    # Outputs are megabytes of base64 PNG that change on every run: they do not belong in the repository.
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_quickstart_runs_offline_top_to_bottom_and_shows_gags(tmp_path, monkeypatch):
    # The notebook makes its own home with tempfile: keep that inside this test's folder.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    environment_home = Path(os.environ["SIGHTGAG_HOME"])
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    # Raises CellExecutionError, with the cell and its traceback, if any cell fails.
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    pictures = image_outputs(notebook)
    assert len(pictures) >= 4  # the first gag, its meme re-lettering, the edited concept, the subject's gag
    assert all(output["data"]["image/png"] for output in pictures)

    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    text = "".join(output.get("text", "") for cell in cells for output in cell.outputs)
    assert "writer: offline" in text and "artist: sketch" in text
    assert "Slide 47: why the squirrels must be stopped" in text  # the edited caption was painted, not the writer's
    assert "subjects: ['Mittens']" in text  # the request named the subject and the studio picked it up
    assert "Skipped:" in text  # no keys in tests: the Grok and Flux cell explains itself instead of failing

    # The notebook worked in its own temporary home, never in the one the environment points at.
    assert list(environment_home.iterdir()) == []
    homes = list(tmp_path.glob("sightgag-quickstart-*"))
    assert len(homes) == 1 and len(list((homes[0] / "gallery").rglob("*.png"))) >= 4
