"""Benchmark the say–do verdicts in SQL (Ibis window functions, no pairs) against the
numpy fast path and against the pair-forming join, on DuckDB.

Usage::

    python benchmarks/bench_say_do_sql.py --positions 10000 --events 100000
        [--seed 0] [--repeat 3] [--threads 2] [--open-windows]
        [--actors 2000] [--issues 50] [--cases 3]

The tables are ``bench_say_do.build``'s seeded synthetic frames (the same
generator, seed and shape as ``bench_say_do.py``), built with
``research.Tables.from_frames``. Then, one after the other in one process:

``numpy_seconds``
    ``research.say_do(tables, evidence=False)``, best of ``--repeat``.
``inputs_seconds``
    ``research.saydo_sql.inputs(tables)``: the attribution step say_do runs
    too (positions and deeds expanded to integer keys), done once in numpy;
    both SQL formulations start from its two tables.
``register_seconds``
    the two tables copied into an in-memory DuckDB (``threads``, default 2).
``windows_seconds``
    the verdicts as one Ibis expression (:func:`research.saydo_sql.verdicts_expr`,
    ``formulation="windows"``: running sums over each key's deed starts, deed
    ends and window bounds, read at the bounds) compiled, run and fetched as a
    DataFrame, best of ``--repeat``.
``pairs_seconds``
    the same with ``formulation="pairs"``: windows joined to deeds on key and
    overlapping dates (DuckDB: a hash join on the key, dates as a residual
    filter), grouped per window and class.

``--open-windows`` opens every window at both ends (a prediction still starts
the day after it was said), so that each window meets every deed of its key:
the pairs then grow with windows x deeds per key, the sweep's rows do not.
Fewer ``--actors``, ``--issues`` and ``--cases`` put more deeds on each key.

Ratios: ``ratio_windows_vs_numpy`` = (inputs + windows) / numpy (the
end-to-end SQL call against say_do), ``ratio_windows_vs_pairs`` = windows /
pairs, ``ratio_query_vs_numpy`` = windows / numpy. Every column of both SQL
results is compared with say_do's on every row (floats within 1e-9 relative,
1e-12 absolute near 0): ``mismatches`` per formulation and column, and the
largest relative difference of each float column (over values of at least
1e-6: a deed stance of 0 that is 1e-16 on one side would say nothing). The last line printed is
one JSON object; the exit status is 1 when any row differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_say_do import build, from_frames  # noqa: E402

import research  # noqa: E402
from research import engines, saydo_sql  # noqa: E402

FLOATS = ("weight_agreeing", "weight_contradicting", "deed_stance", "gap")


def _best(fn, repeat: int) -> tuple[object, list[float]]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, times


def compare(got: pd.DataFrame, want: pd.DataFrame) -> tuple[dict, dict]:
    """Rows that differ per column, and the largest relative difference per float column."""
    bad, rel = {}, {}
    for c in saydo_sql.COLUMNS:
        a, b = got[c], want[c]
        both_na = (a.isna() & b.isna()).to_numpy()
        if c in FLOATS:
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            ok = np.isclose(x, y, rtol=1e-9, atol=1e-12) | both_na
            big = ~both_na & (np.abs(y) >= 1e-6)  # relative to values not next to 0
            r = np.abs(x[big] - y[big]) / np.abs(y[big])
            rel[c] = float(r.max()) if len(r) else 0.0
        else:
            ok = (a.astype(object).to_numpy() == b.astype(object).to_numpy()) | both_na
        bad[c] = int((~ok).sum())
    return bad, rel


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--positions", type=int, required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--actors", type=int, default=2000)
    p.add_argument("--issues", type=int, default=50)
    p.add_argument("--cases", type=int, default=3)
    p.add_argument(
        "--open-windows",
        action="store_true",
        help="open every position's window at both ends: pairs grow with deeds x windows",
    )
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    syn = build(
        args.positions,
        args.events,
        seed=args.seed,
        n_actors=args.actors,
        n_issues=args.issues,
        n_cases=args.cases,
    )
    tables, from_frames_seconds, _ = from_frames(syn)
    del syn
    if args.open_windows:
        pos = tables.positions
        never = pd.Series(pd.NaT, index=pos.index, dtype=pos["window_start"].dtype)
        tables = dataclasses.replace(
            tables, positions=pos.assign(window_start=never, window_end=never)
        )
    log(f"tables: {args.positions:,} positions x {args.events:,} events, "
        f"from_frames {from_frames_seconds:.2f} s")  # fmt: skip

    want, numpy_times = _best(lambda: research.say_do(tables, evidence=False), args.repeat)
    log(f"numpy say_do: {min(numpy_times):.3f} s ({len(want):,} rows)")

    t = time.perf_counter()
    i = saydo_sql.inputs(tables)
    inputs_seconds = time.perf_counter() - t
    log(f"inputs: {inputs_seconds:.3f} s ({len(i.windows):,} windows, {len(i.deeds):,} deeds)")

    con = engines.duckdb(threads=args.threads)
    t = time.perf_counter()
    con.create_table("windows", i.windows, overwrite=True)
    con.create_table("deeds", i.deeds, overwrite=True)
    register_seconds = time.perf_counter() - t
    windows, deeds = con.table("windows"), con.table("deeds")

    result = {}
    for formulation in ("windows", "pairs"):
        expr = saydo_sql.verdicts_expr(windows, deeds, None, formulation).order_by("row")
        t = time.perf_counter()
        sql = ibis.to_sql(expr, dialect="duckdb")
        compile_seconds = time.perf_counter() - t
        found, times = _best(lambda e=expr: con.execute(e), args.repeat)
        got = saydo_sql.assemble(i.rows, found)
        bad, rel = compare(got, want)
        result[formulation] = {
            "seconds": round(min(times), 4),
            "runs": [round(x, 4) for x in times],
            "compile_seconds": round(compile_seconds, 4),
            "sql_chars": len(sql),
            "mismatches": bad,
            "max_rel_diff": rel,
            "equal": not any(bad.values()),
        }
        log(f"{formulation}: {min(times):.3f} s, rows differing per column {bad}")

    numpy_seconds = min(numpy_times)
    out = {
        "benchmark": "say_do_sql",
        "positions": args.positions,
        "events": args.events,
        "seed": args.seed,
        "open_windows": args.open_windows,
        "actors": args.actors,
        "issues": args.issues,
        "cases": args.cases,
        "threads": args.threads,
        "rows": len(want),
        "windows": len(i.windows),
        "deeds": len(i.deeds),
        "pairs": int(want["n_deeds"].sum()),
        "from_frames_seconds": round(from_frames_seconds, 3),
        "numpy_seconds": round(numpy_seconds, 4),
        "numpy_runs": [round(x, 4) for x in numpy_times],
        "inputs_seconds": round(inputs_seconds, 4),
        "register_seconds": round(register_seconds, 4),
        "windows_seconds": result["windows"]["seconds"],
        "pairs_seconds": result["pairs"]["seconds"],
        "ratio_windows_vs_numpy": round(
            (inputs_seconds + result["windows"]["seconds"]) / numpy_seconds, 3
        ),
        "ratio_query_vs_numpy": round(result["windows"]["seconds"] / numpy_seconds, 3),
        "ratio_windows_vs_pairs": round(
            result["windows"]["seconds"] / result["pairs"]["seconds"], 3
        ),
        "formulations": result,
        "equal": all(r["equal"] for r in result.values()),
        "load": os.getloadavg()[0],
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "duckdb": __import__("duckdb").__version__,
            "ibis": ibis.__version__,
        },
    }
    log(
        f"SQL windows {out['windows_seconds']:.3f} s (+ inputs {inputs_seconds:.3f} s) | "
        f"pairs {out['pairs_seconds']:.3f} s | numpy {numpy_seconds:.3f} s | "
        f"windows+inputs / numpy {out['ratio_windows_vs_numpy']} | "
        f"windows / pairs {out['ratio_windows_vs_pairs']}"
    )
    print(json.dumps(out))
    return 0 if out["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
