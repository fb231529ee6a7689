"""Build the reports declared in ``reports.toml``: incremental, parallel, atomic.

For each report the build computes a fingerprint of everything its output
depends on — the notebook, its parameters, the data files, the package's
source and fonts, and the locked versions in ``uv.lock``. A report whose
fingerprint matches the one stored in its executed notebook is skipped
without starting a kernel; ``force`` rebuilds it anyway.

Each report runs in its own process. Outputs are written to a temporary file
and renamed into place, so a killed build never leaves a half-written file;
a failed run is kept as ``NAME.failed.ipynb`` and the last good ``NAME.html``
and ``NAME.ipynb`` stay as they were. The build knows nothing of what a
notebook computes: a notebook may publish a one-line summary for the index
(:func:`research.present.summary`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_VERSION = "1"  # bump to invalidate every stored fingerprint


@dataclass(frozen=True)
class Report:
    """One entry of ``reports.toml``."""

    name: str
    notebook: Path
    title: str
    parameters: dict = field(default_factory=dict)


class BuildError(ValueError):
    """A report list or a request that cannot be built."""


def read_reports(path: Path = ROOT / "reports.toml") -> list[Report]:
    """Parse the report list; parameters must be plain values, never code."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    reports = []
    for name, entry in raw.get("reports", {}).items():
        if not name.replace("-", "").replace("_", "").isalnum():
            raise BuildError(f"{path.name}: report name {name!r}: use letters, digits, - and _")
        params = entry.get("parameters", {})
        for key, value in params.items():
            if not _plain(value):
                raise BuildError(f"{path.name}: [{name}] {key}: {value!r} is not a plain value")
        notebook = entry.get("notebook")
        if not notebook or not (ROOT / notebook).is_file():
            raise BuildError(f"{path.name}: [{name}] notebook {notebook!r} not found")
        reports.append(Report(name, ROOT / notebook, entry.get("title", name), dict(params)))
    return reports


def _plain(value: object) -> bool:
    """Strings, numbers, booleans and lists of them: values, never code or tables."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, str | int | float | bool)


def data_files(data_dir: Path) -> list[Path]:
    """The data package, its rules and every table it declares."""
    package = data_dir / "datapackage.json"
    if not package.exists():
        package = ROOT / "data" / "datapackage.json"
    names = [r["path"] for r in json.loads(package.read_text(encoding="utf-8"))["resources"]]
    names = ["rules.json", *names]
    return [package, *(data_dir / n for n in names if (data_dir / n).exists())]


def data_fingerprint(data_dir: Path) -> str:
    h = hashlib.sha256()
    for f in data_files(data_dir):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
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


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


# --- one report (runs in a worker process) --------------------------------------------


def _build_one(report: Report, out: Path, data_dir: Path | None, fp: str) -> dict:
    import nbformat

    from research import __version__
    from research.execute import run, summary_of
    from research.render import report_html

    started = time.perf_counter()
    params = dict(report.parameters)
    if data_dir is not None:
        params["data_dir"] = _relative(data_dir)
    with tempfile.TemporaryDirectory(prefix=f".{report.name}.", dir=out) as tmp:
        executed = Path(tmp) / f"{report.name}.ipynb"
        failure = run(report.notebook, executed, params, ROOT)
        nb = nbformat.read(executed, as_version=4)
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
            write_atomic(out / f"{report.name}.failed.ipynb", text)
            return {
                "name": report.name,
                "state": "failed",
                "error": str(failure),
                "seconds": time.perf_counter() - started,
            }
        meta = {
            "Parameters": json.dumps(params, sort_keys=True) if params else "(defaults)",
            "Data fingerprint": nb.metadata["research"]["data_fingerprint"][:16],
            "Build fingerprint": fp[:16],
            "Package version": f"research {__version__}",
        }
        page = report_html(nb, report.title, meta)
    write_atomic(out / f"{report.name}.ipynb", text)
    write_atomic(out / f"{report.name}.html", page)
    (out / f"{report.name}.failed.ipynb").unlink(missing_ok=True)
    return {"name": report.name, "state": "built", "seconds": time.perf_counter() - started}


# --- the whole build ---------------------------------------------------------------


class _Progress:
    """One status line per change: every report's state and a count."""

    def __init__(self, names: list[str], stream=None):
        self.state = dict.fromkeys(names, "queued")
        self.stream = stream if stream is not None else sys.stderr

    def set(self, name: str, state: str) -> None:
        self.state[name] = state
        done = sum(s not in ("queued", "running") for s in self.state.values())
        bar_width = 20
        filled = round(bar_width * done / max(len(self.state), 1))
        bar = "#" * filled + "." * (bar_width - filled)
        states = "  ".join(f"{n}:{s}" for n, s in self.state.items())
        print(f"[{bar}] {done}/{len(self.state)}  {states}", file=self.stream, flush=True)


def build(
    names: list[str] | None = None,
    *,
    force: bool = False,
    jobs: int | None = None,
    out: Path | None = None,
    data_dir: Path | None = None,
    reports_file: Path = ROOT / "reports.toml",
) -> int:
    """Build reports; return the process exit code (0 when none failed)."""
    from research import __version__
    from research.render import index_html

    reports = read_reports(reports_file)
    by_name = {r.name: r for r in reports}
    unknown = [n for n in names or [] if n not in by_name]
    if unknown:
        import difflib

        hints = [
            f"{n!r} (closest: {', '.join(difflib.get_close_matches(n, by_name, n=2, cutoff=0.3))})"
            for n in unknown
        ]
        raise BuildError(f"unknown report {'; '.join(hints)}; known: {', '.join(by_name)}")
    chosen = [by_name[n] for n in names] if names else reports
    out = Path(out) if out is not None else ROOT / "reports"
    out.mkdir(parents=True, exist_ok=True)
    effective_data = Path(data_dir) if data_dir is not None else ROOT / "data"

    code = code_fingerprint()
    todo, results = [], []
    for r in chosen:
        fp = fingerprint(r, effective_data, code)
        if not force and stored_fingerprint(out, r.name) == fp:
            results.append({"name": r.name, "state": "unchanged", "seconds": 0.0})
        else:
            todo.append((r, fp))

    progress = _Progress([r.name for r in chosen])
    for res in results:
        progress.set(res["name"], "unchanged")
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {}
            for r, fp in todo:
                futures[pool.submit(_build_one, r, out, data_dir, fp)] = r.name
                progress.set(r.name, "running")
            for fut in as_completed(futures):
                try:
                    res = fut.result()
                except Exception as e:  # the worker itself died
                    res = {"name": futures[fut], "state": "failed", "error": repr(e), "seconds": 0}
                results.append(res)
                progress.set(res["name"], res["state"])

    _write_index(out, reports, index_html, __version__)
    return _summarise(results, out)


def _write_index(out: Path, reports: list[Report], index_html, version: str) -> None:
    entries = []
    for r in reports:
        nb = out / f"{r.name}.ipynb"
        if not nb.exists():
            continue
        try:
            meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"].get("research", {})
        except (ValueError, KeyError, AttributeError):
            meta = {}  # unreadable: listed without a summary rather than failing the build
        entries.append(
            {
                "name": r.name,
                "title": r.title,
                "summary": meta.get("summary", ""),
                "parameters": meta.get("parameters", {}),
            }
        )
    page = index_html(entries, {"Package version": f"research {version}"})
    index = out / "index.html"
    if not index.exists() or index.read_text(encoding="utf-8") != page:
        write_atomic(index, page)


def _summarise(results: list[dict], out: Path) -> int:
    order = {"failed": 0, "built": 1, "unchanged": 2}
    results.sort(key=lambda r: (order.get(r["state"], 3), r["name"]))
    width = max((len(r["name"]) for r in results), default=0)
    print(f"reports in {_relative(out)}/:", file=sys.stderr)
    for r in results:
        line = f"  {r['name']:<{width}}  {r['state']:<9}  {r['seconds']:6.1f} s"
        if r["state"] == "failed":
            line += f"  {r['error']}  (kept as {r['name']}.failed.ipynb)"
        print(line, file=sys.stderr)
    failed = [r for r in results if r["state"] == "failed"]
    counts = {s: sum(r["state"] == s for r in results) for s in ("built", "unchanged", "failed")}
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)
    return 1 if failed else 0
