"""The ``research`` command line: ``validate`` now, ``build`` for reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from research.load import load, validate
from research.schema import default_data_dir


def _validate(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    problems = validate(data_dir)
    if problems:
        n = len(problems)
        print(f"{data_dir}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    tables = load(data_dir)
    print(f"{data_dir}: valid")
    width = max(len(name) for name, _ in tables)
    for name, df in tables:
        print(f"  {name:<{width}}  {len(df):>6} rows  {df.shape[1]:>3} columns")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="research", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a data directory; exit 1 listing every problem")
    v.add_argument("data_dir", nargs="?", help="directory of CSV files (default: bundled data/)")
    v.set_defaults(run=_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
