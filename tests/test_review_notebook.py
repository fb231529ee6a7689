"""The review notebook runs under papermill on a copy of the data and records decisions there.

It is a working notebook, not a report (``reports.toml`` does not list it); this runs it as a
user would with papermill, against a temporary data directory, never against ``data/``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from research import review
from research.build import read_reports
from research.gdelt import read_export

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "review.ipynb"
SLICE_DIR = ROOT / "data" / "events" / "gdelt"
ARTICLE = "https://www.bworldonline.com/iran-is-losing-leverage-in-syria/"


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(tmp_path: Path, data: Path, name: str, **parameters) -> nbformat.NotebookNode:
    out = tmp_path / name
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"case": "russia-iran", "data_dir": str(data), **parameters},
        kernel_name="research",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    nb = nbformat.read(out, 4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            parts.append(str(data.get("text/html", "")) + str(data.get("text/plain", "")))
    return "\n".join(parts)


@pytest.fixture
def imported(tmp_path) -> Path:
    data = shutil.copytree(ROOT / "data", tmp_path / "data")
    events = read_export([SLICE_DIR], actors=["RUS", "IRN"]).events
    review.import_candidates(events, "russia-iran", data)
    return data


def test_review_notebook_shows_candidates_with_provenance_and_records_a_rejection(
    tmp_path, imported
):
    before = _tree(ROOT / "data")
    (candidate,) = review.pending("russia-iran", imported)["candidate_id"]

    shown = _run(tmp_path, imported, "show.ipynb")
    text = _text(shown)
    assert "1 candidate to review, 0 decided" in text
    for value in (candidate, ARTICLE, "881991936;881991937;881991938;881991958;881991959"):
        assert value in text  # provenance: the article and every GDELT id folded in
    assert not review.paths("russia-iran", imported)["decisions"].exists()  # shown, not decided

    decision = {
        "candidate": candidate,
        "decision": "reject",
        "reason": "An opinion piece on Syria: Iran's words to Russia are the author's framing.",
        "reviewer": "tester",
    }
    decided = _text(_run(tmp_path, imported, "decide.ipynb", decisions=[decision]))
    kept = pd.read_csv(review.paths("russia-iran", imported)["decisions"], dtype=str)
    assert kept[["candidate_id", "decision", "reviewer"]].values.tolist() == [
        [candidate, "reject", "tester"]
    ]
    assert kept["reason"].tolist() == [decision["reason"]]
    assert decided.count("tester") >= 2  # the decision made, then the decisions on record
    assert review.pending("russia-iran", imported).empty
    assert _tree(ROOT / "data") == before  # the project's own data is never touched


def test_review_notebook_is_a_tool_not_a_report():
    assert all(r.notebook.name != "review.ipynb" for r in read_reports(ROOT / "reports.toml"))
    nb = nbformat.read(NOTEBOOK, 4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
    assert "parameters" in nb.cells[1].metadata.get("tags", [])
