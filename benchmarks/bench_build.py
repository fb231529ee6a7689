"""Benchmark ``research build`` against plain papermill + nbconvert, and a no-change build.

Usage::

    .venv/bin/python benchmarks/bench_build.py [--jobs N] [--skip-make] [--keep]

Measures, in one run, all as wall time of subprocesses run from the venv's ``bin/``:

``cold_seconds``
    ``research build --force --out TMP --jobs N`` into a fresh directory (N: the cores
    this process may use, unless ``--jobs``).
``sequential_papermill_seconds``
    For every report in ``reports.toml``, one after another: ``papermill NB OUT -p KEY VALUE
    ... -k python3`` (cwd: the repository, as the build runs notebooks; the kernel gets the
    build's environment, ``research.execute.KERNEL_ENV``, so charts are rendered the same
    way), then ``jupyter nbconvert --to html --no-input OUT``. ``ratio`` is
    ``cold_seconds / sequential_papermill_seconds`` (target: at most 0.8 on 2 cores).
``noop_tmp_seconds``
    right after the cold build, ``research build --out TMP`` again into the same directory:
    nothing changed, so it must report every report unchanged (target: at most 2 s). This
    never writes to ``reports/``.
``noop_seconds``
    (skipped with ``--skip-make``) ``make reports`` twice in a row in the repository; the
    second is timed and must report every report unchanged, or make must find nothing to do
    (target: at most 2 s). ``make reports`` builds into ``reports/``, so when those are out
    of date the first run builds them (rewriting tracked files there). When the environment
    stamp ``.venv/.synced`` is out of date, make runs with ``-o .venv/.synced`` so that the
    benchmark never re-syncs or installs anything (``make_args`` in the JSON says so).
    ``noop_build_seconds``: then one direct no-change ``research build`` (no make), for
    comparison.

With ``--scale N`` it measures the large-data build instead (issue 11): the curated tables
written N times over by ``benchmarks/scale_data.py`` (new ids, every reference valid, one
10,000-character unbroken summary) into a temporary directory, ``research validate`` on
them, then ``research build --force --data-dir DIR --out TMP --jobs N`` of every report:

``scaled_per_report``
    each report's state and seconds in its worker (target: built, under 120 s each), and
    its page's weight in bytes.
``scaled_build_seconds``, ``validate_seconds``, ``table_rows``
    wall time of the whole build and of the validation, and the rows of each copied table.

Human-readable lines come first; the LAST line is one JSON object. The exit status is 1
when a check fails (a build or notebook fails, or the second ``make reports`` rebuilds
something); a missed target is reported in ``targets_met`` without failing the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RATIO_TARGET = 0.8
NOOP_TARGET = 2.0
#: Seconds a report may take to build from tables 100 times the curated ones.
SCALED_TARGET = 120.0


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run(cmd: list[str], *, env: dict | None = None, cwd: Path = ROOT) -> tuple[float, str, int]:
    """Run ``cmd``; return (wall seconds, stdout + stderr, exit status)."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, proc.stdout + proc.stderr, proc.returncode


def tail(text: str, n: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-n:])


def summary_states(output: str) -> dict[str, tuple[str, float]]:
    """``{report: (state, seconds)}`` from the summary ``research build`` prints."""
    found = {}
    for m in re.finditer(r"^  (\S+)\s+(built|unchanged|failed)\s+([\d.]+) s", output, re.M):
        found[m[1]] = (m[2], float(m[3]))
    return found


def inputs_stamp() -> tuple[float, str | None]:
    """Newest modification time among the build's inputs, and that file.

    A report's fingerprint covers the data, the package's source, the notebooks,
    ``reports.toml`` and ``uv.lock``; when one of them changes while the benchmark
    runs, a "no-change" build rightly rebuilds, and the run says so.
    """
    newest, which = 0.0, None
    roots = [ROOT / "data", ROOT / "research", ROOT / "notebooks"]
    files = [ROOT / "reports.toml", ROOT / "uv.lock"]
    for root in roots:
        files += [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in files:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime > newest:
            newest, which = mtime, str(path.relative_to(ROOT))
    return newest, which


def papermill_args(parameters: dict) -> list[str]:
    """``-p KEY VALUE`` for strings papermill keeps as strings; ``-y`` YAML (JSON) otherwise."""
    args, typed = [], {}
    for key, value in parameters.items():
        as_is = isinstance(value, str) and value not in ("True", "False", "None")
        if as_is and not re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", value):
            args += ["-p", key, value]
        else:
            typed[key] = value
    return args + (["-y", json.dumps(typed)] if typed else [])


def machine() -> dict:
    def proc(name: str, pattern: str) -> str | None:
        path = Path("/proc") / name
        m = re.search(pattern, path.read_text(encoding="utf-8"), re.M) if path.exists() else None
        return m[1].strip() if m else None

    mem_kb = proc("meminfo", r"^MemTotal:\s+(\d+) kB")
    versions = {}
    for pkg in ("research", "papermill", "nbconvert", "jupyter_client", "ipykernel"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    return {
        "cores": cores(),
        "cpu_count": os.cpu_count(),
        "cpu": proc("cpuinfo", r"^model name\s*:(.*)$") or platform.processor(),
        "mem_gb": round(int(mem_kb) / 1024**2, 1) if mem_kb else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=cores(), help="reports built at once (cores)")
    p.add_argument("--skip-make", action="store_true", help="do not time `make reports`")
    p.add_argument("--keep", action="store_true", help="keep the temporary output directories")
    p.add_argument(
        "--scale", type=int, default=0, help="build from the curated tables N times over instead"
    )
    args = p.parse_args(argv)
    if args.scale:
        return scaled(args.scale, args.jobs, args.keep)

    from research.execute import KERNEL_ENV

    reports = tomllib.loads((ROOT / "reports.toml").read_text(encoding="utf-8"))["reports"]
    info = machine()
    load_before = os.getloadavg()
    stamp_before = inputs_stamp()
    print(
        f"machine: {info['cores']} cores ({info['cpu']}), {info['mem_gb']} GB, "
        f"Python {info['python']}; load average {load_before[0]:.2f}"
    )
    checks: dict[str, bool] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench_build."))
    try:
        # (a) one cold, parallel build of every report
        cold_out = tmp / "cold"
        cmd = [str(BIN / "research"), "build", "--force", "--out", str(cold_out)]
        cold, output, rc = run([*cmd, "--jobs", str(args.jobs)])
        states = summary_states(output)
        checks["cold_build_ok"] = rc == 0 and all(
            (cold_out / f"{name}.html").exists() for name in reports
        )
        print(f"(a) cold build, --jobs {args.jobs}: {cold:.1f} s (exit {rc})")
        for name, (state, secs) in states.items():
            print(f"      {name:<14} {state:<9} {secs:6.1f} s in its worker")
        if not checks["cold_build_ok"]:
            print(tail(output))
        # the same build again into the same temporary directory: nothing changed, so every
        # report must be skipped (this never touches reports/, unlike (c))
        noop_tmp, output, rc = run([str(BIN / "research"), "build", "--out", str(cold_out)])
        noop_tmp_states = summary_states(output)
        checks["noop_tmp_skipped_all"] = (
            rc == 0
            and set(noop_tmp_states) == set(reports)
            and all(s == "unchanged" for s, _ in noop_tmp_states.values())
        )
        print(
            f"    no-change research build into the same directory: {noop_tmp:.2f} s "
            f"({'every report unchanged' if checks['noop_tmp_skipped_all'] else 'NOT all skipped'})"
        )
        if not checks["noop_tmp_skipped_all"]:
            print(tail(output))

        # (b) plain papermill, then nbconvert, one report after another
        env = {**os.environ, **KERNEL_ENV}
        seq_dir = tmp / "sequential"
        seq_dir.mkdir()
        sequential, per_report, seq_ok = 0.0, {}, True
        for name, entry in reports.items():
            out = seq_dir / f"{name}.ipynb"
            cmd = [str(BIN / "papermill"), entry["notebook"], str(out)]
            cmd += papermill_args(entry.get("parameters", {}))
            cmd += ["-k", "python3", "--no-progress-bar"]
            t_pm, output, rc = run(cmd, env=env)
            seq_ok &= rc == 0
            if rc:
                print(f"    papermill {name} failed (exit {rc}):\n{tail(output)}")
            t_nb, output, rc = run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)]
            )
            seq_ok &= rc == 0 and out.with_suffix(".html").exists()
            if rc:
                print(f"    nbconvert {name} failed (exit {rc}):\n{tail(output)}")
            per_report[name] = {"papermill": round(t_pm, 2), "nbconvert": round(t_nb, 2)}
            sequential += t_pm + t_nb
            print(f"      {name:<14} papermill {t_pm:5.1f} s + nbconvert {t_nb:5.1f} s")
        checks["sequential_ok"] = seq_ok
        ratio = cold / sequential if sequential else None
        print(f"(b) sequential papermill + nbconvert: {sequential:.1f} s")
        print(f"    ratio cold / sequential: {ratio:.2f}" if ratio else "    ratio: n/a")

        # (c) `make reports` twice; the second must skip everything
        noop = first = noop_build = None
        make_args: list[str] = []
        if not args.skip_make and shutil.which("make"):
            if run(["make", "-q", ".venv/.synced"])[2] != 0:
                make_args = ["-o", ".venv/.synced"]
                print("    note: .venv/.synced is out of date; running make with -o .venv/.synced")
            first, output, rc = run(["make", *make_args, "reports"])
            checks["make_reports_ok"] = rc == 0
            first_states = summary_states(output)
            built = sum(s == "built" for s, _ in first_states.values())
            print(f"(c) make reports, first run: {first:.1f} s ({built} built; exit {rc})")
            if rc:
                print(tail(output))
            noop, output, rc = run(["make", *make_args, "reports"])
            noop_states = summary_states(output)
            checks["noop_skipped_all"] = rc == 0 and (
                # research build ran and skipped every report, or make itself found
                # nothing to do (a Makefile rule that tracks the build's inputs)
                (
                    set(noop_states) == set(reports)
                    and all(s == "unchanged" for s, _ in noop_states.values())
                )
                or (not noop_states and "Nothing to be done" in output)
            )
            print(
                f"    make reports, second run: {noop:.2f} s "
                f"({'every report unchanged' if checks['noop_skipped_all'] else 'NOT all skipped'})"
            )
            if not checks["noop_skipped_all"]:
                print(tail(output))
            # the same no-change build without make: what `research build` itself costs
            noop_build, output, rc = run([str(BIN / "research"), "build"])
            noop_build_states = summary_states(output)
            checks["noop_build_skipped_all"] = (
                rc == 0
                and set(noop_build_states) == set(reports)
                and all(s == "unchanged" for s, _ in noop_build_states.values())
            )
            print(f"    research build, no change (no make): {noop_build:.2f} s")
    finally:
        if args.keep:
            print(f"outputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    targets = {"ratio": ratio is not None and ratio <= RATIO_TARGET}
    if noop is not None:
        targets["noop"] = noop <= NOOP_TARGET
    targets["noop_tmp"] = noop_tmp <= NOOP_TARGET
    load_after = os.getloadavg()
    stamp_after = inputs_stamp()
    inputs_changed = stamp_after[0] > stamp_before[0]
    if inputs_changed:
        print(
            f"note: the build's inputs changed during the run ({stamp_after[1]}); "
            "no-change builds then rebuild, and timings mix two trees"
        )
    for key, target in (("ratio", RATIO_TARGET), ("noop", NOOP_TARGET), ("noop_tmp", NOOP_TARGET)):
        if key in targets:
            value = {"ratio": ratio, "noop": noop, "noop_tmp": noop_tmp}[key]
            verdict = "met" if targets[key] else "MISSED"
            print(f"target {key}: {value:.2f} <= {target}: {verdict}")
    failed = [k for k, ok in checks.items() if not ok]
    if failed:
        print(f"FAILED checks: {', '.join(failed)}")
    result = {
        "cold_seconds": round(cold, 2),
        "sequential_papermill_seconds": round(sequential, 2),
        "ratio": round(ratio, 3) if ratio is not None else None,
        "noop_seconds": round(noop, 3) if noop is not None else None,
        "noop_tmp_seconds": round(noop_tmp, 3),
        "make_reports_first_seconds": round(first, 2) if first is not None else None,
        "noop_build_seconds": round(noop_build, 3) if noop_build is not None else None,
        "jobs": args.jobs,
        "reports": len(reports),
        "cold_per_report": {n: {"state": s, "seconds": t} for n, (s, t) in states.items()},
        "sequential_per_report": per_report,
        "make_args": make_args,
        "checks": checks,
        "targets": {"ratio_max": RATIO_TARGET, "noop_max_seconds": NOOP_TARGET},
        "targets_met": targets,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "inputs_changed_during_run": inputs_changed,
        "machine": info,
    }
    print(json.dumps(result, sort_keys=True))
    return 1 if failed else 0


def scaled(factor: int, jobs: int, keep: bool) -> int:
    """The large-data build: every report from the curated tables ``factor`` times over."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale_data import scale

    reports = tomllib.loads((ROOT / "reports.toml").read_text(encoding="utf-8"))["reports"]
    info = machine()
    load_before = os.getloadavg()
    print(
        f"machine: {info['cores']} cores ({info['cpu']}), {info['mem_gb']} GB, "
        f"Python {info['python']}; load average {load_before[0]:.2f}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_build_scaled."))
    checks: dict[str, bool] = {}
    try:
        data, out = tmp / "data", tmp / "reports"
        rows = scale(ROOT / "data", data, factor, long_cell=10_000)
        print(f"tables x{factor}: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
        validate, output, rc = run([str(BIN / "research"), "validate", str(data)])
        checks["scaled_data_valid"] = rc == 0
        print(f"research validate: {validate:.1f} s (exit {rc})")
        if rc:
            print(tail(output))
        cmd = [str(BIN / "research"), "build", "--force", "--data-dir", str(data)]
        built, output, rc = run([*cmd, "--out", str(out), "--jobs", str(jobs)])
        states = summary_states(output)
        per_report = {}
        for name in reports:
            state, secs = states.get(name, ("missing", float("nan")))
            page = out / f"{name}.html"
            weight = page.stat().st_size if page.exists() else None
            per_report[name] = {"state": state, "seconds": secs, "page_bytes": weight}
            print(
                f"      {name:<38} {state:<9} {secs:6.1f} s in its worker, page "
                + (f"{weight / 1e6:.2f} MB" if weight is not None else "missing")
            )
        checks["scaled_build_ok"] = rc == 0 and all(
            r["state"] == "built" for r in per_report.values()
        )
        print(f"scaled build, --jobs {jobs}: {built:.1f} s (exit {rc})")
        if not checks["scaled_build_ok"]:
            print(tail(output, 30))
    finally:
        if keep:
            print(f"outputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    slowest = max((r["seconds"] for r in per_report.values()), default=float("nan"))
    targets = {"per_report": slowest < SCALED_TARGET}
    verdict = "met" if targets["per_report"] else "MISSED"
    print(f"target per report: slowest {slowest:.1f} s < {SCALED_TARGET:.0f} s: {verdict}")
    failed = [k for k, ok in checks.items() if not ok]
    if failed:
        print(f"FAILED checks: {', '.join(failed)}")
    result = {
        "scale": factor,
        "table_rows": rows,
        "validate_seconds": round(validate, 2),
        "scaled_build_seconds": round(built, 2),
        "scaled_per_report": per_report,
        "jobs": jobs,
        "checks": checks,
        "targets": {"per_report_max_seconds": SCALED_TARGET},
        "targets_met": targets,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": info,
    }
    print(json.dumps(result, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
