"""The ``research`` command: ``validate`` a data directory, ``build`` the reports."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    from research.load import load, validate
    from research.schema import default_data_dir

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


def _build(args: argparse.Namespace) -> int:
    from research.build import BuildError, build

    try:
        return build(
            args.names or None,
            force=args.force,
            jobs=args.jobs,
            out=Path(args.out) if args.out else None,
            data_dir=Path(args.data_dir) if args.data_dir else None,
        )
    except BuildError as e:
        print(f"research build: {e}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="research", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a data directory; exit 1 listing every problem")
    v.add_argument("data_dir", nargs="?", help="directory of CSV files (default: bundled data/)")
    v.set_defaults(run=_validate)
    b = sub.add_parser("build", help="build the reports in reports.toml (unchanged ones skipped)")
    b.add_argument("names", nargs="*", metavar="NAME", help="reports to build (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    b.add_argument(
        "--jobs", type=int, default=os.cpu_count(), help="reports built at once (default: cores)"
    )
    b.add_argument("--out", help="output directory (default: reports/)")
    b.add_argument("--data-dir", help="build from this data directory instead of data/")
    b.set_defaults(run=_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
