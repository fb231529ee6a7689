"""Whole-process memory of the README's path at scale: load a data directory, then say_do.

Usage::

    .venv/bin/python benchmarks/bench_memory.py --positions 100000 --events 1000000
    .venv/bin/python benchmarks/bench_memory.py --positions 1000000 --events 10000000 \\
        --dir /tmp/bench-1M-10M

The synthetic tables of ``bench_say_do.build`` (same seed, same shapes) are written once
as a data directory of CSV files (``--dir``; reused when it already holds them), then a
fresh process does what a user's notebook does — ``research.load(DIR)``, then
``research.say_do(tables, evidence=False)``, then, unless ``--no-evidence``, the default
call with the deciding event ids — and reports its resident set after each step and the
whole process's peak (``ru_maxrss``: interpreter, imports, reading, validation, tables,
engine). The baseline in the same run is the size of the CSV files on disk: the
peak / bytes ratio says how many bytes of memory each byte of data costs. Issue 9's
target: a whole-process peak of at most 2 GB at 1M x 10M.

The LAST line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "bench_memory.json"  # what the directory holds: the arguments it was made with


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _text(values):
    """A frame column as the text a CSV file holds (the loader's reading of it)."""
    import pandas as pd

    if values.dtype == bool:
        return values.map({True: "true", False: "false"})
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    return values.astype(object).where(values.notna(), "")


def write(args) -> None:
    """Write the synthetic tables as a data directory (run in its own process)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pandas as pd
    from bench_say_do import build

    from research.schema import TABLE_ORDER, schema

    out = Path(args.dir)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    syn = build(
        args.positions, args.events, args.seed, args.actors, args.issues, args.cases, args.shape
    )
    for name in ("datapackage.json", "rules.json"):
        shutil.copyfile(ROOT / "data" / name, tmp / name)
    for table in TABLE_ORDER:
        t = schema()[table]
        df = syn.frames.get(table, pd.DataFrame(columns=list(t.columns)))
        text = pd.DataFrame(
            {c: _text(df[c]) if c in df.columns else "" for c in t.columns}, index=df.index
        )
        text.to_csv(tmp / t.path, index=False)
        syn.frames.pop(table, None)
    (tmp / MARK).write_text(json.dumps(_key(args), sort_keys=True))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def _key(args) -> dict:
    return {
        k: getattr(args, k)
        for k in ("positions", "events", "seed", "actors", "issues", "cases", "shape")
    }


def measure(args) -> None:
    """Load, then say_do, in this fresh process; print one JSON line."""
    import research

    report = {"start_rss_mb": round(_rss_mb(), 1)}
    t = time.perf_counter()
    tables = research.load(args.dir)
    report["load_seconds"] = round(time.perf_counter() - t, 2)
    report["after_load_rss_mb"] = round(_rss_mb(), 1)
    report["load_peak_rss_mb"] = round(_peak_mb(), 1)
    t = time.perf_counter()
    verdicts = research.say_do(tables, evidence=False)
    report["say_do_seconds"] = round(time.perf_counter() - t, 2)
    report["rows"] = len(verdicts)
    del verdicts
    report["say_do_peak_rss_mb"] = round(_peak_mb(), 1)
    if not args.no_evidence:
        t = time.perf_counter()
        verdicts = research.say_do(tables)
        report["evidence_seconds"] = round(time.perf_counter() - t, 2)
        report["evidence_ids"] = int(verdicts["evidence_ids"].map(len).sum())
        del verdicts
        report["evidence_peak_rss_mb"] = round(_peak_mb(), 1)
    report["whole_process_peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(report))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--positions", type=int, required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--actors", type=int, default=2000)
    p.add_argument("--issues", type=int, default=50)
    p.add_argument("--cases", type=int, default=3)
    p.add_argument("--shape", choices=("mixed", "events"), default="mixed")
    p.add_argument("--dir", help="data directory to write or reuse (default: under /tmp)")
    p.add_argument("--no-evidence", action="store_true", help="skip the default call")
    p.add_argument("--step", choices=("write", "measure"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.dir is None:
        args.dir = f"/tmp/research-bench-{args.positions}x{args.events}-{args.shape}-{args.seed}"
    return args


def _child(args, step: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, __file__, *sys.argv[1:], "--dir", args.dir, "--step", step]
    return subprocess.run(cmd, capture_output=True, text=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.step == "write":
        write(args)
        return 0
    if args.step == "measure":
        measure(args)
        return 0
    mark = Path(args.dir) / MARK
    if not mark.exists() or json.loads(mark.read_text()) != _key(args):
        print(f"writing {args.dir} ...", flush=True)
        t = time.perf_counter()
        proc = _child(args, "write")
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"written in {time.perf_counter() - t:.1f} s", flush=True)
    csv_mb = sum(f.stat().st_size for f in Path(args.dir).glob("*.csv")) / 2**20
    proc = _child(args, "measure")
    if proc.returncode:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report.update(_key(args), csv_mb=round(csv_mb, 1))
    report["peak_vs_csv_bytes"] = round(report["whole_process_peak_rss_mb"] / csv_mb, 2)
    report["load_average"] = round(os.getloadavg()[0], 2)
    print(
        f"{args.positions:,} positions x {args.events:,} events ({args.shape}): "
        f"CSV {csv_mb:,.0f} MB; load {report['load_seconds']} s, "
        f"RSS after load {report['after_load_rss_mb']:,.0f} MB "
        f"(peak {report['load_peak_rss_mb']:,.0f}); say_do {report['say_do_seconds']} s, "
        f"peak {report['say_do_peak_rss_mb']:,.0f} MB; whole process peak "
        f"{report['whole_process_peak_rss_mb']:,.0f} MB ({report['peak_vs_csv_bytes']}x the CSV)"
    )
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
