"""Write the curated tables N times over: a large data directory that still validates.

Usage::

    .venv/bin/python benchmarks/scale_data.py --scale 100 OUT_DIR [--long-cell 10000]

Copy ``k`` (1 to N-1) of every statement, deed, citation and source gets the id
``<id>_x<k>``; its references (citations to their statement, deed and source,
``condition_event``, ``syndicated_from``, ``event_issues``) point at the rows of
the same copy, so every reference stays valid and every copy is cited exactly
as the original is. Actors, roles, issues and cases are shared: the reports
about an actor then hold N times its statements, each facing N times its
deeds — the large-data case of issue 11. Texts and dates are kept as they are.
``--long-cell L`` replaces the summary of the first deed and the title of the
second source in copy 1 with L characters and no space, the unbroken cell that
once made a page 93,809 px wide (the North Korea explore report lists that title
in a table).
These are synthetic copies for benchmarks and tests, never research data.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Tables copied per copy, with the id column each copy renames.
COPIED = {
    "sources": "source_id",
    "positions": "position_id",
    "events": "event_id",
    "citations": "citation_id",
}
#: Columns that refer to a copied table: (table, column) -> table referred to.
REFERENCES = {
    ("sources", "syndicated_from"): "sources",
    ("positions", "condition_event"): "events",
    ("event_issues", "event_id"): "events",
    ("citations", "position_id"): "positions",
    ("citations", "event_id"): "events",
    ("citations", "source_id"): "sources",
}


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def scale(src: Path, dst: Path, factor: int, *, long_cell: int = 0) -> dict[str, int]:
    """Write ``factor`` copies of ``src``'s rows to ``dst``; return rows per table.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "x3"
    >>> rows = scale(ROOT / "data", out, 3)
    >>> rows["events"] == 3 * scale(ROOT / "data", out, 1)["events"]
    True
    """
    if factor < 1:
        raise ValueError(f"--scale must be at least 1, not {factor}")
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)  # descriptor, rules, shared tables and curation notes
    counts = {}
    for table in sorted({*COPIED, *(t for t, _ in REFERENCES)}):
        fields, rows = _read(src / f"{table}.csv")
        out = []
        for k in range(factor):
            suffix = f"_x{k}" if k else ""
            for row in rows:
                new = dict(row)
                if table in COPIED:
                    new[COPIED[table]] += suffix
                for (t, column), _ in REFERENCES.items():
                    if t == table and new.get(column):
                        new[column] += suffix
                out.append(new)
        counts[table] = len(out)
        # the first deed's summary, the second source's title (a few North Korea rows cite it)
        at = {"events": ("summary", 0), "sources": ("title", 1)}.get(table)
        if long_cell and at and factor > 1:
            field, row = at
            out[len(rows) + row][field] = "".join("abcdefghij"[i % 10] for i in range(long_cell))
        _write(dst / f"{table}.csv", fields, out)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="directory to write (replaced if it exists)")
    p.add_argument("--scale", type=int, default=100, help="copies of every row (100)")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data", help="tables to copy")
    p.add_argument("--long-cell", type=int, default=0, help="an unbroken summary this long")
    args = p.parse_args(argv)
    counts = scale(args.data_dir, args.out, args.scale, long_cell=args.long_cell)
    print(", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
