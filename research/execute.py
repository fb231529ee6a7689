"""Run one notebook with papermill and make the result reproducible.

What varies from run to run in a papermill output, and what is done about it:

* ``metadata.papermill`` (start/end times, durations, input and output paths)
  and each cell's ``metadata.papermill`` / ``metadata.execution``: removed;
* random cell ids (the injected-parameters cell, error cells): every cell gets
  ``cell-<index>`` instead;
* the kernel's clock and zone: ``TZ=UTC``; hash seeds: ``PYTHONHASHSEED=0``;
* charts: ``RESEARCH_STATIC_CHARTS=1`` makes :func:`research.charts.enable`
  render inline SVG with the shipped font (no CDN, no uuid).

Kernels talk to the build over Unix sockets in a private directory rather
than TCP ports, so parallel builds cannot race for ports.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager

from research.present import SUMMARY_MIME

#: Environment every report kernel runs with.
KERNEL_ENV = {"TZ": "UTC", "PYTHONHASHSEED": "0", "RESEARCH_STATIC_CHARTS": "1"}
#: The kernel reports run on: this interpreter's own ipykernel.
KERNEL_NAME = "python3"


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel listens on Unix sockets, not TCP ports."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(Path(tempfile.mkdtemp(prefix="research-kernel-")) / "k")


@dataclass(frozen=True)
class Failure:
    """Where and why a notebook stopped."""

    cell: int | None
    ename: str
    evalue: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "before any cell ran"
        return f"{where}: {self.ename}: {self.evalue}"


def normalise(nb: nbformat.NotebookNode, kernelspec: dict | None = None) -> nbformat.NotebookNode:
    """Strip what differs between runs; give cells stable ids."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    if kernelspec is not None:
        nb.metadata["kernelspec"] = kernelspec
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    return nb


def first_error(nb: nbformat.NotebookNode) -> Failure | None:
    """The first error output, located by code-cell number in the source notebook."""
    code_index = 0
    for cell in nb.cells:
        added = {"papermill-error-cell-tag", "injected-parameters"}  # not in the source
        if cell.cell_type != "code" or added & set(cell.metadata.get("tags", [])):
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return Failure(code_index, out.get("ename", ""), out.get("evalue", ""))
    return None


def summary_of(nb: nbformat.NotebookNode) -> str:
    """The one-line summary a notebook published (last one wins), or ''."""
    found = ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                value = data[SUMMARY_MIME]
                found = (json.loads(value) if isinstance(value, str) else value)["summary"]
    return found


def run(notebook: Path, output: Path, parameters: dict, cwd: Path) -> Failure | None:
    """Execute ``notebook`` with ``parameters`` into ``output`` (normalised).

    Returns None on success, else the first failure; the executed notebook is
    written either way so that a failed run can be inspected.
    """
    import papermill as pm

    os.environ.update(KERNEL_ENV)
    source = nbformat.read(notebook, as_version=4)
    failure = None
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            cwd=str(cwd),
            kernel_manager_class=IPCKernelManager,
        )
    except pm.PapermillExecutionError as e:
        failure = Failure(None, e.ename, e.evalue)
    except Exception as e:  # the kernel died or never started
        failure = Failure(None, type(e).__name__, str(e))
        if not output.exists():
            nbformat.write(source, output)
    nb = normalise(nbformat.read(output, as_version=4), source.metadata.get("kernelspec"))
    located = first_error(nb)
    if failure is not None and located is not None:
        failure = located
    nbformat.write(nb, output)
    return failure
