"""Build the reports declared in ``reports.toml``: incremental, parallel, atomic, stoppable.

For each report the build computes a fingerprint of everything its output
depends on — the notebook, its parameters, the data files, the package's
source and fonts, and the locked versions in ``uv.lock``. A report whose
fingerprint matches the one stored in its executed notebook is skipped
without starting a kernel; ``force`` rebuilds it anyway.

``reports.toml`` is checked entry by entry when it is read: a bad entry (a
parameter name that is not an identifier or that the notebook's ``parameters``
cell does not declare, a value that is not plain, a missing notebook) fails
that report alone, with one line naming the file, the report and the key.

Reports run in worker processes, each in its own session so that a Ctrl-C or
a signal to the build's process group reaches the build alone; the build then
stops every worker and kernel itself, removes its temporary files, writes the
index for what was really built and exits 130 (SIGINT) or 143 (SIGTERM).
Outputs are written to a private staging folder and renamed into place, so a
stopped or killed build never leaves a half-written file; a failed run is kept
as ``NAME.failed.ipynb`` when it ran at all, and the last good ``NAME.html``
and ``NAME.ipynb`` stay as they were. The build knows nothing of what a
notebook computes: a notebook may publish a one-line summary for the index
(:func:`research.present.summary`).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import keyword
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import deque
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_VERSION = "1"  # bump to invalidate every stored fingerprint

#: Exit codes of ``research build``.
EXIT_OK = 0  # every report built or unchanged
EXIT_FAILED = 1  # at least one report failed (the others were still built)
EXIT_INVALID = 2  # the request or the report list as a whole is invalid: nothing built
#: Stopped by a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: Seconds a report may run (its cells, from the first to the last) unless told otherwise.
DEFAULT_TIMEOUT = 1800.0
#: Seconds a stopped worker has to end its kernel before it is killed.
STOP_GRACE = 2.0

REPORT_KEYS = ("notebook", "title", "parameters", "timeout")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Report:
    """One entry of ``reports.toml``; ``problem`` says why it cannot be built, if so."""

    name: str
    notebook: Path
    title: str
    parameters: dict = field(default_factory=dict)
    timeout: float | None = None
    problem: str | None = None


class BuildError(ValueError):
    """A report list or a request that cannot be built at all (exit code 2)."""


# --- the report list ---------------------------------------------------------------------


def read_reports(path: Path = ROOT / "reports.toml") -> list[Report]:
    """Every entry of the report list, each checked on its own.

    A syntax error in the file raises :class:`BuildError` (one line, with its line and
    column); a bad entry comes back with ``problem`` set, so the others can still build.
    Parameters must be identifiers declared in the notebook's ``parameters`` cell and
    their values plain (strings, numbers, booleans, lists of them): never code.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BuildError(f"{path.name}: cannot read: {e.__class__.__name__}: {e}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BuildError(_toml_error(path, e)) from None
    entries = raw.get("reports", {})
    if not isinstance(entries, dict):
        raise BuildError(f"{path.name}: 'reports' must be a table of [reports.NAME] sections")
    declared: dict[Path, set[str] | str] = {}
    return [_report(path, name, entry, declared) for name, entry in entries.items()]


def _toml_error(path: Path, e: tomllib.TOMLDecodeError) -> str:
    """``file:line:column: invalid TOML: reason`` from tomllib's message."""
    message = str(e)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        return f"{path.name}:{m[1]}:{m[2]}: invalid TOML: {message[: m.start()]}"
    return f"{path.name}: invalid TOML: {message}"


def _report(path: Path, name: str, entry: object, declared: dict) -> Report:
    where = f"{path.name}: [reports.{name}]"

    def bad(problem: str, notebook: Path = ROOT, title: str = name) -> Report:
        return Report(name, notebook, title, {}, None, f"{where} {problem}")

    if not NAME.fullmatch(name):
        return bad("name: use letters, digits, - and _ (starting with a letter or digit)")
    if not isinstance(entry, dict):
        return bad("must be a table with notebook, title and parameters")
    unknown = [k for k in entry if k not in REPORT_KEYS]
    if unknown:
        return bad(f"{unknown[0]}: unknown key{_closest(unknown[0], REPORT_KEYS)}")
    title = entry.get("title", name)
    if not isinstance(title, str):
        return bad(f"title: {title!r} is not a string")
    notebook = entry.get("notebook")
    if not isinstance(notebook, str) or not (ROOT / notebook).is_file():
        return bad(f"notebook: {notebook!r} not found", title=title)
    nb_path = ROOT / notebook
    timeout = entry.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        return bad(f"timeout: {timeout!r} is not a number of seconds above 0", nb_path, title)
    params = entry.get("parameters", {})
    if not isinstance(params, dict):
        return bad(f"parameters: {params!r} is not a table", nb_path, title)
    if nb_path not in declared:
        try:
            declared[nb_path] = declared_parameters(nb_path)
        except ValueError as e:
            declared[nb_path] = str(e)
    names = declared[nb_path]
    if isinstance(names, str):
        return bad(f"notebook: {notebook}: {names}", nb_path, title)
    for key, value in params.items():
        if not IDENTIFIER.fullmatch(key) or keyword.iskeyword(key):
            reason = "is a Python keyword" if keyword.iskeyword(key) else "is not an identifier"
            return bad(
                f"parameters.{key}: {key!r} {reason} (letters, digits and _, not starting "
                f"with a digit){_closest(key, names, 'declared')}",
                nb_path,
                title,
            )
        if key not in names:
            return bad(
                f"parameters.{key}: {notebook} declares no parameter {key!r}"
                f"{_closest(key, names, 'declared')}",
                nb_path,
                title,
            )
        if not _plain(value):
            return bad(f"parameters.{key}: {value!r} is not a plain value", nb_path, title)
    return Report(name, nb_path, title, dict(params), float(timeout) if timeout else None)


def _closest(word: str, choices, what: str = "") -> str:
    """`` (closest declared: x)`` — the nearest of ``choices``, or '' when there are none."""
    choices = sorted(choices)
    if not choices:
        return " (the notebook declares no parameters)" if what == "declared" else ""
    best = difflib.get_close_matches(word, choices, n=1, cutoff=0.0) or choices[:1]
    label = f"closest {what}" if what else "closest"
    return f" ({label}: {best[0]})"


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the notebook's first cell tagged ``parameters`` (read, never run).

    Raises ValueError, in one line, when the file is not a notebook or the cell does not
    parse. A notebook without such a cell declares nothing.
    """
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(f"not a valid notebook: {reason}") from None
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or "parameters" not in cell.get("metadata", {}).get(
            "tags", []
        ):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(source)
        except SyntaxError as e:
            raise ValueError(f"its parameters cell (cell {i + 1}) does not parse: {e}") from None
        names = set()
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            else:
                targets = [getattr(node, "target", None)]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        return names
    return set()


def _plain(value: object) -> bool:
    """Strings, numbers, booleans and lists of them: values, never code or tables."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, str | int | float | bool)


# --- the engine ----------------------------------------------------------------------

#: research.engines.ENGINES, not imported: a build with nothing to do imports no Ibis.
ENGINES = ("duckdb", "spark", "bigquery")
ENGINE_KEYS = ("name", "options")
#: Notebook parameters the build fills in from the engine, when a notebook declares them.
ENGINE_PARAMETER, ENGINE_OPTIONS_PARAMETER = "engine", "engine_options"


@dataclass(frozen=True)
class Engine:
    """The engine a build names to its notebooks: ``--engine``, else ``[engine]``, else DuckDB."""

    name: str = "duckdb"
    options: dict = field(default_factory=dict)


def read_engine(path: Path = ROOT / "reports.toml", name: str | None = None) -> Engine:
    """The engine of a build: ``name`` (``--engine``) over the ``[engine]`` table of ``path``.

    ``[engine]`` holds ``name`` (``duckdb``, ``spark`` or ``bigquery``) and an optional
    ``options`` table for :func:`research.engines.connect`. ``options`` apply only to the
    engine the table names: an ``--engine`` that names another drops them. Raises
    :class:`BuildError` naming the file and key for anything else.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise BuildError(f"{path.name}: cannot read: {e.__class__.__name__}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise BuildError(_toml_error(path, e)) from None
    table = raw.get("engine", {})
    if not isinstance(table, dict):
        raise BuildError(f"{path.name}: 'engine' must be a table: [engine] name = \"duckdb\"")
    unknown = [k for k in table if k not in ENGINE_KEYS]
    if unknown:
        raise BuildError(f"{path.name}: [engine] {unknown[0]}: unknown key"
                         f"{_closest(unknown[0], ENGINE_KEYS)}")  # fmt: skip
    configured = table.get("name", Engine.name)
    options = table.get("options", {})
    for where, value in ((f"{path.name}: [engine] name", configured), ("--engine", name)):
        if value is not None and value not in ENGINES:
            raise BuildError(f"{where}: {value!r} is not an engine; known: {', '.join(ENGINES)}")
    if not isinstance(options, dict) or not all(_plain(v) for v in options.values()):
        raise BuildError(f"{path.name}: [engine] options: must be a table of plain values")
    if name is not None and name != configured:
        return Engine(name)
    return Engine(configured, dict(options))


def unit_parameters(report: Report, engine: Engine) -> dict:
    """A report's parameters with the engine added, for notebooks that declare it.

    A notebook declaring an ``engine`` parameter receives the engine's name, one declaring
    ``engine_options`` its options; a report whose own parameters set them keeps its own
    values. The engine reaches a notebook in no other way.
    """
    params = dict(report.parameters)
    declared = declared_parameters(report.notebook)
    for key, value in ((ENGINE_PARAMETER, engine.name), (ENGINE_OPTIONS_PARAMETER, engine.options)):
        if key in declared and key not in params:
            params[key] = value
    return params


# --- fingerprints ---------------------------------------------------------------------


#: Folder of a data directory holding event data that reports read (``events/gdelt``).
EVENTS_DIR = "events"


def data_files(data_dir: Path) -> list[Path]:
    """The data package, its rules, every table it declares, the evidence snapshots and
    the event data files."""
    package = data_dir / "datapackage.json"
    if not package.exists():
        package = ROOT / "data" / "datapackage.json"
    names = [r["path"] for r in json.loads(package.read_text(encoding="utf-8"))["resources"]]
    names = ["rules.json", *names]
    tables = [package, *(data_dir / n for n in names if (data_dir / n).exists())]
    # Evidence an engine returned (research.snapshots): a new snapshot rebuilds the reports.
    snapshots = data_dir / "snapshots"
    kept = sorted(snapshots.glob("[!.]*.parquet")) + sorted(snapshots.glob("[!.]*.json"))
    # Event data reports read (data/events/gdelt): a new export rebuilds them too.
    events = sorted(p for p in (data_dir / EVENTS_DIR).rglob("*") if p.is_file())
    return tables + kept + events


def data_fingerprint(data_dir: Path) -> str:
    h = hashlib.sha256()
    for f in data_files(data_dir):
        name = f.relative_to(data_dir).as_posix() if f.is_relative_to(data_dir) else f.name
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def code_files() -> list[Path]:
    """Package source and shipped fonts: what a report's bytes can depend on."""
    pkg = ROOT / "research"
    # Source and fonts only: stray editor or cache files must not change a fingerprint.
    files = [*pkg.rglob("*.py"), *(p for p in (pkg / "fonts").iterdir() if p.is_file())]
    lock = ROOT / "uv.lock"
    return sorted(files) + ([lock] if lock.exists() else [])


def fingerprint(report: Report, data_dir: Path, code: str) -> str:
    """SHA-256 of notebook + parameters + data + code + locked versions."""
    h = hashlib.sha256(f"research-build/{BUILD_VERSION}\0".encode())
    h.update(json.dumps([report.name, report.title, report.parameters], sort_keys=True).encode())
    h.update(report.notebook.read_bytes())
    h.update(data_fingerprint(data_dir).encode())
    h.update(code.encode())
    return h.hexdigest()


def code_fingerprint() -> str:
    h = hashlib.sha256()
    for f in code_files():
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def stored_fingerprint(out: Path, name: str) -> str | None:
    """The fingerprint recorded in ``out/NAME.ipynb``, if both outputs exist."""
    nb, page = out / f"{name}.ipynb", out / f"{name}.html"
    if not (nb.exists() and page.exists()):
        return None
    try:
        meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
        return meta.get("research", {}).get("fingerprint")
    except (ValueError, KeyError):
        return None


# --- files ---------------------------------------------------------------------------


def write_atomic(path: Path, data: str | bytes, tmp_dir: Path | None = None) -> None:
    """Write to a temporary file (beside ``path``, or in ``tmp_dir`` on the same file
    system), then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    where = tmp_dir if tmp_dir is not None else path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=where)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _relative(path: Path) -> str:
    """A path as reports show it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def failure_record(out: Path, name: str) -> dict | None:
    """What ``out/NAME.failed.json`` says about the report's latest failed build, if any."""
    try:
        record = json.loads((out / f"{name}.failed.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _record_failure(out: Path, name: str, message: str, kept: str | None) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    record = {"report": name, "time": when, "message": message, "kept": kept}
    write_atomic(out / f"{name}.failed.json", json.dumps(record, indent=1) + "\n")


def _clear_failure(out: Path, name: str) -> None:
    for suffix in (".failed.ipynb", ".failed.json"):
        (out / f"{name}{suffix}").unlink(missing_ok=True)


@contextmanager
def _signals_blocked(*signums):
    """Hold these signals until the block is done (a stop never splits two renames)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --- one report (runs in a worker process) --------------------------------------------


def _build_one(
    report: Report,
    out: Path,
    data_dir: Path | None,
    fp: str,
    staging: Path,
    timeout: float,
) -> dict:
    import nbformat

    from research import __version__
    from research.execute import InvalidNotebook, run, summary_of
    from research.render import report_html

    started = time.perf_counter()
    params = dict(report.parameters)
    if data_dir is not None:
        params["data_dir"] = _relative(data_dir)

    def result(state: str, error: str | None = None, kept: str | None = None) -> dict:
        seconds = time.perf_counter() - started
        return {
            "name": report.name,
            "state": state,
            "error": error,
            "kept": kept,
            "seconds": seconds,
        }

    try:
        nb, failure = run(report.notebook, params, ROOT, timeout)
    except InvalidNotebook as e:
        return result("failed", f"{_relative(report.notebook)}: {e}")
    effective = data_dir if data_dir is not None else ROOT / "data"
    nb.metadata["research"] = {
        "report": report.name,
        "title": report.title,
        "notebook": _relative(report.notebook),
        "parameters": params,
        "data_fingerprint": data_fingerprint(effective),
        "fingerprint": fp,
        "version": __version__,
        "summary": summary_of(nb),
    }
    text = nbformat.writes(nb) + "\n"
    if failure is not None:
        kept = f"{report.name}.failed.ipynb"
        write_atomic(out / kept, text, staging)
        return result("failed", str(failure), kept)
    meta = {
        "Parameters": json.dumps(params, sort_keys=True) if params else "(defaults)",
        "Data fingerprint": nb.metadata["research"]["data_fingerprint"][:16],
        "Build fingerprint": fp[:16],
        "Package version": f"research {__version__}",
    }
    page = report_html(nb, report.title, meta)
    # The page first, the notebook (which holds the fingerprint) last: a build stopped in
    # between rebuilds this report next time instead of trusting a stale page.
    with _signals_blocked(signal.SIGTERM, signal.SIGHUP):
        write_atomic(out / f"{report.name}.html", page, staging)
        write_atomic(out / f"{report.name}.ipynb", text, staging)
        (out / f"{report.name}.failed.ipynb").unlink(missing_ok=True)
    return result("built")


def _worker(result_fd: int) -> None:
    """A worker process: build the reports sent as JSON lines on stdin, one at a time,
    answering on ``result_fd``. It ignores Ctrl-C (the build decides when to stop); on
    SIGTERM, or when the build that started it dies, it kills its kernel and exits."""
    from research import execute

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum, frame):
        execute.kill_kernels()
        os._exit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    _exit_with_parent()
    answers = os.fdopen(result_fd, "w", encoding="utf-8")

    def send(**message) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    execute.on_kernel_start = lambda pid: send(event="kernel", pid=pid)
    for line in sys.stdin:
        task = json.loads(line)
        report = Report(task["name"], Path(task["notebook"]), task["title"], task["parameters"])
        execute.KERNEL_DIR = task["kernel_dir"]
        send(event="started", name=report.name)
        data_dir = Path(task["data_dir"]) if task["data_dir"] else None
        try:
            res = _build_one(
                report,
                Path(task["out"]),
                data_dir,
                task["fp"],
                Path(task["staging"]),
                task["timeout"],
            )
        except Exception as e:  # rendering or writing failed: still one line, still this report
            from research.execute import one_line

            res = {
                "name": report.name,
                "state": "failed",
                "error": f"{type(e).__name__}: {one_line(e)}",
                "kept": None,
                "seconds": 0.0,
            }
        send(event="done", result=res)


def _exit_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when the build that started it dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the build was gone before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


_WORKER_CODE = "import sys; from research.build import _worker; _worker(int(sys.argv[1]))"


class _Worker:
    """The build's handle on one worker process and the report it is running."""

    def __init__(self, number: int, tmp: Path):
        read_end, write_end = os.pipe()
        path = [str(ROOT), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
        self.log_path = tmp / f"worker-{number}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(write_end)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=(write_end,),
                start_new_session=True,  # signals to the build's group do not reach it
                cwd=ROOT,
                env=env,
            )
        os.close(write_end)
        self.fd = read_end
        self.buffer = b""
        self.task: str | None = None  # the report in hand
        self.since = 0.0
        self.limit = 0.0
        self.kernel: int | None = None

    def send(self, task: dict) -> None:
        self.task, self.since, self.kernel = task["name"], time.monotonic(), None
        self.limit = task["timeout"] + 60 + 30  # kernel start and a margin: the backstop
        self.proc.stdin.write((json.dumps(task) + "\n").encode())
        self.proc.stdin.flush()

    def messages(self) -> list[dict] | None:
        """Complete messages now readable; None when the worker closed its end (it died)."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        """Ask the worker to kill its kernel and exit (SIGTERM)."""
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)

    def kill(self) -> None:
        """Kill the worker's session and the kernel it was running, at once."""
        for pgid in (self.proc.pid, self.kernel if self.task else None):
            if pgid is not None:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)

    def close(self) -> None:
        with suppress(OSError):
            self.proc.stdin.close()
        with suppress(OSError):
            os.close(self.fd)

    def why_dead(self) -> str:
        code = self.proc.wait()
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        try:
            tail = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            tail = ""
        last = tail.splitlines()[-1].strip() if tail else ""
        return f"the build's worker died ({how})" + (f": {last}" if last else "")


# --- the whole build ---------------------------------------------------------------


class _Progress:
    """One status line per change: every report's state and a count."""

    DONE = ("built", "unchanged", "failed")

    def __init__(self, names: list[str], stream=None):
        self.state = dict.fromkeys(names, "queued")
        self.stream = stream if stream is not None else sys.stderr

    def set(self, name: str, state: str) -> None:
        self.state[name] = state
        done = sum(s in self.DONE for s in self.state.values())
        bar_width = 20
        filled = round(bar_width * done / max(len(self.state), 1))
        bar = "#" * filled + "." * (bar_width - filled)
        states = "  ".join(f"{n}:{s}" for n, s in self.state.items())
        print(f"[{bar}] {done}/{len(self.state)}  {states}", file=self.stream, flush=True)


class _Stop:
    """The first stop signal received while the build runs."""

    def __init__(self):
        self.signum: int | None = None

    def __call__(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum


@contextmanager
def _catching(stop: _Stop):
    """Turn SIGINT, SIGTERM and SIGHUP into a request to stop (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@dataclass(frozen=True)
class Unit:
    """One report as a build sees it: what it runs and whether its outputs are current.

    ``report`` carries the parameters the notebook will receive (the engine added where
    declared); ``fingerprint`` is None when ``problem`` says why it cannot be built.
    """

    report: Report
    fingerprint: str | None
    up_to_date: bool
    problem: str | None


def _chosen(reports: list[Report], names: list[str] | None) -> list[Report]:
    """The named reports in the order asked (each once), or all; unknown names fail together."""
    by_name = {r.name: r for r in reports}
    unknown = [n for n in names or [] if n not in by_name]
    if unknown:
        hints = [
            f"{n!r} (closest: {', '.join(difflib.get_close_matches(n, by_name, n=2, cutoff=0.3))})"
            for n in unknown
        ]
        raise BuildError(f"unknown report {'; '.join(hints)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in dict.fromkeys(names)] if names else reports


def _units(chosen: list[Report], out: Path, data_dir: Path | None, engine: Engine) -> list[Unit]:
    """Each chosen report with its effective parameters, fingerprint and state."""
    effective_data = Path(data_dir) if data_dir is not None else ROOT / "data"
    code = code_fingerprint()
    units = []
    for r in chosen:
        problem = r.problem
        if problem is None:
            declared = declared_parameters(r.notebook)
            if data_dir is not None and "data_dir" not in declared:
                problem = (
                    f"{_relative(r.notebook)} declares no parameter 'data_dir', "
                    "so --data-dir cannot reach it"
                )
        if problem is not None:
            units.append(Unit(r, None, False, problem))
            continue
        r = replace(r, parameters=unit_parameters(r, engine))
        fp = fingerprint(r, effective_data, code)
        units.append(Unit(r, fp, stored_fingerprint(out, r.name) == fp, None))
    return units


def _check_request(jobs, timeout) -> None:
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise BuildError(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    if timeout is not None and not timeout > 0:
        raise BuildError(f"--timeout must be a number of seconds above 0, not {timeout!r}")


#: Version of the JSON that :func:`plan` returns; bumped when a field changes meaning.
PLAN_SCHEMA = 1


def plan(
    names: list[str] | None = None,
    *,
    out: Path | None = None,
    data_dir: Path | None = None,
    reports_file: Path = ROOT / "reports.toml",
    engine: str | None = None,
) -> dict:
    """The report units :func:`build` would make, without building (or writing) anything.

    Each unit is one report of ``reports.toml``, built on its own by
    ``research build --report NAME`` (given the same ``--engine``, ``--out``,
    ``--data-dir`` and ``--reports``), so an orchestrator can run one task per unit.
    The fingerprint is the build's own (:func:`fingerprint`): notebook, parameters,
    data (with the evidence snapshots), the package's code and the locked versions.

    Returns (``research plan --json`` prints it with sorted keys)::

        {
          "schema": 1,
          "reports_file": "reports.toml",     # paths relative to the repository when inside it
          "out": "reports",
          "data_dir": "data",
          "engine": {"name": "duckdb", "options": {}},
          "code_fingerprint": "<sha256>",     # research/ source, fonts and uv.lock
          "data_fingerprint": "<sha256>",     # data package, tables, rules, snapshots
          "units": [                          # in reports.toml order
            {
              "name": "russia-iran-say_do-IRN",
              "title": "...",
              "notebook": "notebooks/say_do.ipynb",
              "parameters": {...},            # as the notebook receives them
              "outputs": {"html": "reports/NAME.html", "ipynb": "reports/NAME.ipynb"},
              "fingerprint": "<sha256>",      # null when the unit is invalid
              "up_to_date": true,             # outputs hold this fingerprint: build skips it
              "problem": null,                # why it cannot be built, if so
              "command": ["research", "build", "--report", "NAME", ...]
            }
          ]
        }

    Raises :class:`BuildError` as :func:`build` does (unknown names listing the known
    ones, an invalid report list or engine).
    """
    reports = read_reports(reports_file)
    chosen = _chosen(reports, names)
    chosen_engine = read_engine(reports_file, engine)
    out_dir = Path(out) if out is not None else ROOT / "reports"
    effective_data = Path(data_dir) if data_dir is not None else ROOT / "data"
    command = ["research", "build"]
    if engine is not None:
        command += ["--engine", engine]
    for flag, value, default in (
        ("--out", out, None),
        ("--data-dir", data_dir, None),
        ("--reports", reports_file, ROOT / "reports.toml"),
    ):
        if value is not None and Path(value) != default:
            command += [flag, _relative(Path(value))]
    units = []
    for u in _units(chosen, out_dir, data_dir, chosen_engine):
        r = u.report
        units.append(
            {
                "name": r.name,
                "title": r.title,
                "notebook": _relative(r.notebook),
                "parameters": r.parameters,
                "outputs": {
                    "html": _relative(out_dir / f"{r.name}.html"),
                    "ipynb": _relative(out_dir / f"{r.name}.ipynb"),
                },
                "fingerprint": u.fingerprint,
                "up_to_date": u.up_to_date,
                "problem": u.problem,
                "command": [*command, "--report", r.name],
            }
        )
    return {
        "schema": PLAN_SCHEMA,
        "reports_file": _relative(Path(reports_file)),
        "out": _relative(out_dir),
        "data_dir": _relative(effective_data),
        "engine": {"name": chosen_engine.name, "options": chosen_engine.options},
        "code_fingerprint": code_fingerprint(),
        "data_fingerprint": data_fingerprint(effective_data),
        "units": units,
    }


def build(
    names: list[str] | None = None,
    *,
    force: bool = False,
    jobs: int | None = None,
    out: Path | None = None,
    data_dir: Path | None = None,
    reports_file: Path = ROOT / "reports.toml",
    timeout: float | None = None,
    engine: str | None = None,
) -> int:
    """Build reports; return the exit code: 0 every report built or unchanged, 1 at least
    one failed (the others were still built), 128 + the signal's number when stopped.

    ``names`` builds exactly those units (``research build --report NAME``, the entry point
    an orchestrator calls per unit of :func:`plan`): other reports' outputs are not
    touched, and the index is rewritten from what the output folder holds for every report.
    ``engine`` (``--engine``) overrides the ``[engine]`` table of ``reports_file``; it
    reaches only notebooks that declare an ``engine`` parameter (:func:`unit_parameters`).

    Raises :class:`BuildError` (exit code 2, nothing built) for an unreadable or invalid
    report list or engine, an unknown report name (listing the known ones), or
    ``jobs``/``timeout`` below 1 job or 1 s. ``timeout`` is each report's limit in seconds
    unless ``reports.toml`` gives one.
    """
    _check_request(jobs, timeout)
    reports = read_reports(reports_file)
    chosen = _chosen(reports, names)
    chosen_engine = read_engine(reports_file, engine)
    out = Path(out) if out is not None else ROOT / "reports"
    out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out, ".build-")
    _remove_abandoned(Path(tempfile.gettempdir()), "research-build-")
    effective_data = Path(data_dir) if data_dir is not None else ROOT / "data"

    todo, results = [], []
    progress = _Progress([r.name for r in chosen])
    for u in _units(chosen, out, data_dir, chosen_engine):
        r = u.report
        if u.problem is not None:
            results.append(_failed(out, r.name, u.problem))
            progress.set(r.name, "failed")
        elif not force and u.up_to_date:
            _clear_failure(out, r.name)  # the last good outputs are the current ones
            results.append({"name": r.name, "state": "unchanged", "seconds": 0.0})
            progress.set(r.name, "unchanged")
        else:
            todo.append((r, u.fingerprint))

    stop = _Stop()
    with _catching(stop):  # a second signal while the index is written changes nothing
        if todo:
            results += _run(todo, out, data_dir, jobs, timeout, progress, stop)
        _write_index(out, reports, effective_data)
    if stop.signum is not None:
        return _interrupted(stop.signum, results, todo, out)
    return _summarise(results, out)


def _failed(out: Path, name: str, error: str, kept: str | None = None, seconds=0.0) -> dict:
    if NAME.fullmatch(name):  # never a file for a name that could leave the folder
        _record_failure(out, name, error, kept)
    return {"name": name, "state": "failed", "error": error, "kept": kept, "seconds": seconds}


def _run(todo, out, data_dir, jobs, timeout, progress, stop) -> list[dict]:
    """Run the reports in worker processes; on a stop, stop them all and return at once."""
    system_tmp = Path(tempfile.gettempdir())
    host = _host()  # builds on several machines may share ``out``
    staging = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-{host}-", dir=out))
    tmp = Path(tempfile.mkdtemp(prefix=f"research-build-{os.getpid()}-{host}-", dir=system_tmp))
    queue = deque(todo)
    workers: list[_Worker] = []
    results: list[dict] = []
    n_workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    selector = selectors.DefaultSelector()
    try:
        while (queue or any(w.task for w in workers)) and stop.signum is None:
            for w in workers:  # hand out work
                if w.task is None and queue:
                    r, fp = queue.popleft()
                    w.send(_task(r, fp, out, data_dir, staging, tmp, timeout))
            while queue and len(workers) < n_workers and stop.signum is None:
                w = _Worker(len(workers), tmp)
                workers.append(w)
                selector.register(w.fd, selectors.EVENT_READ, w)
                r, fp = queue.popleft()
                w.send(_task(r, fp, out, data_dir, staging, tmp, timeout))
            for key, _ in selector.select(timeout=0.2):
                w = key.data
                messages = w.messages()
                if messages is None:  # the worker died
                    selector.unregister(w.fd)
                    workers.remove(w)
                    w.close()
                    if w.task:
                        why = w.why_dead()
                        results.append(_failed(out, w.task, why, seconds=_since(w)))
                        progress.set(w.task, "failed")
                    continue
                for m in messages:
                    if m["event"] == "started":
                        progress.set(m["name"], "running")
                    elif m["event"] == "kernel":
                        w.kernel = m["pid"]
                    elif m["event"] == "done":
                        res = m["result"]
                        w.task = None
                        if res["state"] == "failed":
                            res = _failed(
                                out, res["name"], res["error"], res["kept"], res["seconds"]
                            )
                        else:
                            (out / f"{res['name']}.failed.json").unlink(missing_ok=True)
                        results.append(res)
                        progress.set(res["name"], res["state"])
            now = time.monotonic()
            for w in [w for w in workers if w.task and now - w.since > w.limit]:
                w.stop()  # the backstop: the worker did not answer in time
                _wait_or_kill([w])
                selector.unregister(w.fd)
                workers.remove(w)
                w.close()
                message = (
                    f"timed out after {now - w.since:.0f} s; "
                    "its worker did not answer and was stopped"
                )
                results.append(_failed(out, w.task, message, seconds=now - w.since))
                progress.set(w.task, "failed")
        if stop.signum is not None:
            for w in workers:
                w.stop()
            _wait_or_kill(workers)
            for w in workers:
                if w.task:
                    results.append({"name": w.task, "state": "stopped", "seconds": _since(w)})
            results += [{"name": r.name, "state": "not started", "seconds": 0.0} for r, _ in queue]
    finally:
        for w in workers:
            w.close()
        _wait_or_kill(workers, grace=10.0)
        selector.close()
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def _since(w: _Worker) -> float:
    return time.monotonic() - w.since


def _wait_or_kill(workers: list[_Worker], grace: float = STOP_GRACE) -> None:
    """Give workers ``grace`` seconds to exit, then kill them and their kernels."""
    deadline = time.monotonic() + grace
    for w in workers:
        with suppress(subprocess.TimeoutExpired):
            w.proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        w.kill()  # its session: anything it started that is still there
        w.proc.wait()


def _host() -> str:
    """This machine's name as a staging folder carries it (letters, digits, . and _)."""
    import socket

    return re.sub(r"[^A-Za-z0-9._]", "_", socket.gethostname()) or "localhost"


def _remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove the folders ``PREFIX<pid>-<host>-*`` of builds killed outright on this machine
    (their process is gone). A folder another machine's build holds in a shared output
    folder is left alone: its process id means nothing here."""
    here = _host()
    for p in folder.glob(f"{prefix}*-*"):
        m = re.fullmatch(re.escape(prefix) + r"(\d+)-([^-]+)-.*", p.name)
        if m and m[2] == here and p.is_dir() and not _alive(int(m[1])):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _task(r: Report, fp: str, out, data_dir, staging, tmp, timeout) -> dict:
    return {
        "name": r.name,
        "notebook": str(r.notebook),
        "title": r.title,
        "parameters": r.parameters,
        "fp": fp,
        "out": str(out),
        "data_dir": str(data_dir) if data_dir is not None else None,
        "staging": str(staging),
        "kernel_dir": str(tmp),
        "timeout": r.timeout or timeout or DEFAULT_TIMEOUT,
    }


def _write_index(out: Path, reports: list[Report], data_dir: Path) -> None:
    """Rewrite ``out/index.html`` from what ``out`` holds for every report.

    The index is derived from the folder, never from this build's results alone, so a
    build of one unit lists the others as they are. Builds of different units into the
    same folder (an orchestrator's parallel tasks) take turns: the folder is locked while
    it is read and the page written, so the last one to finish sees every unit.
    """
    import fcntl

    from research import __version__
    from research.index import index_entries, index_html

    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        page = index_html(
            index_entries(out, reports, data_dir), {"Package version": f"research {__version__}"}
        )
        index = out / "index.html"
        if not index.exists() or index.read_text(encoding="utf-8") != page:
            write_atomic(index, page)
    finally:
        os.close(fd)  # releases the lock


def _summarise(results: list[dict], out: Path) -> int:
    order = {"failed": 0, "built": 1, "unchanged": 2}
    results.sort(key=lambda r: (order.get(r["state"], 3), r["name"]))
    width = max((len(r["name"]) for r in results), default=0)
    print(f"reports in {_relative(out)}/:", file=sys.stderr)
    for r in results:
        line = f"  {r['name']:<{width}}  {r['state']:<9}  {r['seconds']:6.1f} s"
        if r["state"] == "failed":
            line += f"  {r['error']}"
            if r.get("kept") and (out / r["kept"]).exists():
                line += f"  (kept as {r['kept']})"
        print(line, file=sys.stderr)
    counts = {s: sum(r["state"] == s for r in results) for s in ("built", "unchanged", "failed")}
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)
    return EXIT_FAILED if counts["failed"] else EXIT_OK


def _interrupted(signum: int, results: list[dict], todo, out: Path) -> int:
    """One line saying what a stop left behind; the exit code 128 + the signal's number."""
    counts = {}
    for r in results:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    done = ", ".join(f"{v} {k}" for k, v in counts.items())
    print(
        f"research build: stopped by {signal.Signals(signum).name}: {done}; "
        f"{_relative(out)}/index.html lists what was built",
        file=sys.stderr,
    )
    return 128 + signum
