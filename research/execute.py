"""Run one notebook with papermill and make the result reproducible.

What varies from run to run in a papermill output, and what is done about it:

* ``metadata.papermill`` (start/end times, durations, input and output paths)
  and each cell's ``metadata.papermill`` / ``metadata.execution``: removed;
* random cell ids (the injected-parameters cell): every cell gets
  ``cell-<index>`` instead;
* the kernel's clock and zone: ``TZ=UTC``; hash seeds: ``PYTHONHASHSEED=0``;
* charts: ``RESEARCH_STATIC_CHARTS=1`` makes :func:`research.charts.enable`
  render inline SVG with the shipped font (no CDN, no uuid).

Reports always run on the project's own kernel: this interpreter's ipykernel,
described here rather than looked up by name, so that a ``python3`` (or
``research``) kernelspec elsewhere on ``JUPYTER_PATH`` cannot take over.
Kernels talk to the build over Unix sockets (in Linux's abstract namespace,
so no socket file exists) rather than TCP ports, so parallel builds cannot
race for ports; the kernel's private directory (its connection file) goes
with the kernel.

Every way a run can stop is reported as a :class:`Failure` naming the code cell
of the source notebook that was running: an exception, a failing magic, a
kernel that died, a cell still running when the report's time ran out.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

from research.present import SUMMARY_MIME

#: Environment every report kernel runs with.
KERNEL_ENV = {"TZ": "UTC", "PYTHONHASHSEED": "0", "RESEARCH_STATIC_CHARTS": "1"}
#: The kernel reports run on (the name ``make env`` registers for JupyterLab too).
KERNEL_NAME = "research"
#: Seconds a kernel may take to start.
START_TIMEOUT = 60
#: Where kernels put their sockets and connection file (None: the system's temp dir).
#: The build points it at a private directory it removes whatever happens.
KERNEL_DIR: str | None = None
#: Called with the process id of each kernel started (the build's workers report it).
on_kernel_start = None

_live: set[IPCKernelManager] = set()


def project_kernel_spec() -> KernelSpec:
    """The project's kernel: ipykernel in this interpreter's environment.

    >>> project_kernel_spec().argv[1:3]
    ['-m', 'ipykernel_launcher']
    """
    return KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="research (.venv)",
        language="python",
        env=dict(KERNEL_ENV),
    )


class IPCKernelManager(AsyncKernelManager):
    """The project's kernel, on Unix sockets in a private directory it removes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.workdir = Path(tempfile.mkdtemp(prefix="research-kernel-", dir=KERNEL_DIR))
        if sys.platform.startswith("linux"):
            # Linux's abstract socket names: no file to leave behind, no path length limit
            self.ip = f"@research-kernel-{os.getpid()}-{secrets.token_hex(8)}"
        else:
            self.ip = str(self.workdir / "k")
        self.connection_file = str(self.workdir / "kernel.json")
        self.process = None
        _live.add(self)

    @property
    def kernel_spec(self) -> KernelSpec:
        return project_kernel_spec()

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.process = getattr(self.provisioner, "process", None)  # kept past its shutdown
        if self.pid is not None and on_kernel_start is not None:
            on_kernel_start(self.pid)

    @property
    def pid(self) -> int | None:
        return getattr(self.process, "pid", None)

    @property
    def exit_code(self) -> int | None:
        """The kernel's exit status once it ended (negative: the signal that killed it)."""
        return self.process.poll() if self.process is not None else None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.remove_workdir()

    def remove_workdir(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        _live.discard(self)


def kill_kernels() -> None:
    """Kill every kernel this process started and remove their directories (on a stop)."""
    for km in list(_live):
        pid = km.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session
        km.remove_workdir()


@dataclass(frozen=True)
class Failure:
    """Where and why a notebook stopped: the code cell as numbered in the source notebook."""

    cell: int | None
    ename: str
    evalue: str

    def __str__(self) -> str:
        where = f"code cell {self.cell}" if self.cell is not None else "before any cell ran"
        what = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return f"{where}: {one_line(what)}"


def one_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of ``text``, shortened to ``limit`` characters."""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class InvalidNotebook(ValueError):
    """A notebook file that cannot be read as a notebook."""


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as papermill reads it, or :class:`InvalidNotebook`."""
    from papermill.iorw import load_notebook_node

    try:
        nb = load_notebook_node(str(path))
        nbformat.validate(nb)
    except Exception as e:  # not JSON, not a notebook, unreadable
        raise InvalidNotebook(f"not a valid notebook: {one_line(e)}") from None
    return nb


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


def source_cell_number(nb: nbformat.NotebookNode, index: int) -> int | None:
    """The number (from 1) among the source notebook's code cells of ``nb.cells[index]``.

    The cell papermill injects with the parameters is not in the source and does not count.
    """
    number = 0
    for cell in nb.cells[: index + 1]:
        injected = "injected-parameters" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and not injected:
            number += 1
    cell = nb.cells[index]
    return number if cell.cell_type == "code" and number else None


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


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the kernel died"
    if code < 0:
        try:
            return f"the kernel died (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f"the kernel died (signal {-code})"
    return f"the kernel died (exit code {code})"


def run(
    notebook: Path, parameters: dict, cwd: Path, timeout: float
) -> tuple[nbformat.NotebookNode, Failure | None]:
    """Execute ``notebook`` with ``parameters``; return the normalised result and any failure.

    Raises :class:`InvalidNotebook` when the file is not a notebook (nothing ran).

    ``timeout`` bounds the whole run in seconds (kernel start aside): the cell running when
    it is spent is stopped and named. Cells after a failing one do not run, as in papermill.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.engines import papermill_engines
    from papermill.parameterize import parameterize_notebook

    source = read_notebook(notebook)
    nb = parameterize_notebook(source, parameters, kernel_name=KERNEL_NAME, language="python")
    state: dict = {"running": None, "error": None}
    deadline = None

    def on_cell_start(cell, cell_index):
        nonlocal deadline
        if deadline is None:  # the clock starts with the first cell, after the kernel is up
            deadline = time.monotonic() + timeout
        state["running"] = cell_index

    def on_cell_error(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        state["error"] = (cell_index, content.get("ename", ""), content.get("evalue", ""))

    def remaining(cell) -> float:
        # nbclient waits this long for the cell's reply; 0 would mean "no limit"
        return max(deadline - time.monotonic(), 0.01) if deadline is not None else timeout

    kms: list[IPCKernelManager] = []

    class Manager(IPCKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            kms.append(self)

    failure = None
    try:
        papermill_engines.execute_notebook_with_engine(
            None,
            nb,
            kernel_name=KERNEL_NAME,
            input_path=None,
            output_path=None,
            progress_bar=False,
            log_output=False,
            start_timeout=START_TIMEOUT,
            kernel_manager_class=Manager,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(cwd)}},
            timeout_func=remaining,
            on_cell_start=on_cell_start,
            on_cell_error=on_cell_error,
        )
    except CellTimeoutError:
        failure = _at(nb, state["running"], "timed out", f"still running after {timeout:g} s")
    except DeadKernelError:
        code = kms[-1].exit_code if kms else None
        failure = _at(nb, state["running"], _describe_exit(code), "")
    except Exception as e:  # the kernel did not start, or nbclient gave up
        failure = _at(nb, state["running"], type(e).__name__, one_line(e))
    finally:
        for km in kms:
            km.remove_workdir()
    if failure is None and state["error"] is not None:
        index, ename, evalue = state["error"]
        if not (ename == "SystemExit" and evalue in ("", "0", "None")):  # papermill's rule
            failure = _at(nb, index, ename, evalue)
    return normalise(nb, source.metadata.get("kernelspec")), failure


def _at(nb: nbformat.NotebookNode, index: int | None, ename: str, evalue: str) -> Failure:
    return Failure(source_cell_number(nb, index) if index is not None else None, ename, evalue)
