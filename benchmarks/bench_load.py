"""How long a warm ``research.load()`` takes, against plain ``pandas.read_csv``.

``research.load`` reads the nine CSV files of data model v2 (cases, sources,
actors, roles, issues, positions, events, event_issues, citations) with the csv
module, checks the descriptor, every cell, key, reference and every rule of
``rules.json``, builds typed DataFrames and derives dates and statuses. The
baseline in the same run is what a user would otherwise write: ``pd.read_csv``
of the same nine files, with no checks and no dtypes. The target is a warm load
of the bundled tables in at most 0.3 s.

Usage: ``python benchmarks/bench_load.py [--repeat N] [--data-dir DIR]``. The
last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import pandas as pd

import research
from research.schema import TABLE_ORDER, schema

TARGET_SECONDS = 0.3


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    data_dir = args.data_dir or Path(research.load().data_dir)  # also warms every import
    paths = [data_dir / schema()[t].path for t in TABLE_ORDER]

    load = best_of(lambda: research.load(data_dir), args.repeat)
    validate = best_of(lambda: research.validate(data_dir), args.repeat)
    baseline = best_of(lambda: [pd.read_csv(p) for p in paths], args.repeat)
    rows = sum(research.load(data_dir).counts().values())

    print(f"rows: {rows} in {len(paths)} tables ({data_dir})")
    print(f"research.load (warm, best of {args.repeat}): {load * 1000:.1f} ms")
    print(f"research.validate:                          {validate * 1000:.1f} ms")
    print(f"baseline pd.read_csv x{len(paths)}:                    {baseline * 1000:.1f} ms")
    print(
        f"ratio load / baseline: {load / baseline:.1f}x; target load <= {TARGET_SECONDS} s: "
        f"{'met' if load <= TARGET_SECONDS else 'MISSED'}"
    )
    result = {
        "rows": rows,
        "tables": len(paths),
        "repeat": args.repeat,
        "load_seconds": round(load, 5),
        "validate_seconds": round(validate, 5),
        "baseline_read_csv_seconds": round(baseline, 5),
        "ratio_vs_read_csv": round(load / baseline, 2),
        "target_seconds": TARGET_SECONDS,
        "met": load <= TARGET_SECONDS,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "pandas": pd.__version__,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
