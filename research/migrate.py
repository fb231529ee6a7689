"""Bring an older data directory up to the current model (version 2.2).

Version 2.1 lacked the table ``code_issues`` (which CAMEO event codes bear on
which issue); version 2.0 also lacked two optional columns of ``positions``:
``counterpart`` and ``condition_event``. :func:`migrate` copies their tables
with the missing columns left empty and ``code_issues`` header only (nothing
to review). The rest of this docstring is about version 1.

Version 1 had five tables — sources, actors, issues, positions, events — with
one source per row, a timeless ``speaks_for`` link and dates stored as bounds
plus a precision. :func:`migrate` writes the nine version-2 tables into a new
directory, mechanically and without guessing facts:

* every row becomes part of one case (``case``);
* ``speaks_for`` becomes a timeless role; its kind is ``official`` for a
  person and ``state_organ`` for anything else (review it);
* a position's or event's source, status, wording, quote and claimant become
  its one citation;
* an event's issue and stance become its one row in ``event_issues``;
* dates are rewritten at their precision (``2024-01-01`` at year precision
  becomes ``2024``); a ``range`` deed becomes ``START/END`` (``../END`` with
  no start) happening ``once``;
* the kind of claim cannot be read from version 1: analysts' assessments
  become ``assessment``, predictions ``prediction``, official statements
  ``own_conduct``; ``voice`` is ``own_words`` when there is a quote, else
  ``described``.

Every choice that needs a curator's eye is returned as a note, one per row.
The result validates, or the migration fails without writing anything.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

from research.schema import TABLE_ORDER, bundled_datapackage, bundled_rules, schema

V1_TABLES = ("sources", "actors", "issues", "positions", "events")
#: Version-2 models this one reads, each with the tables added since it.
ADDED_SINCE = {"2.0.0": ("code_issues",), "2.1.0": ("code_issues",)}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _at_precision(day: str, precision: str) -> str:
    """A v1 first-day date written at its precision."""
    if not day:
        return ""
    d = date.fromisoformat(day)
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if precision == "season":
        return f"{d.year:04d}-{20 + (d.month // 3 if d.month != 12 else 4)}"
    return day


def _bound(day: str) -> str:
    return day or ".."


def migrate(src: str | Path, dest: str | Path, case: str = "main") -> list[str]:
    """Write the v2 tables for the v1 directory ``src`` into ``dest``.

    Returns one note per choice a curator should review. ``dest`` must not
    exist; nothing is written unless the result validates.
    """
    src, dest = Path(src), Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} exists; give a new directory")
    if _version(src) in ADDED_SINCE:
        return _from_v2(src, dest, _version(src))
    missing = [t for t in V1_TABLES if not (src / f"{t}.csv").exists()]
    if missing:
        raise FileNotFoundError(f"{src}: not a version-1 directory (missing {', '.join(missing)})")
    v1 = {t: _read(src / f"{t}.csv") for t in V1_TABLES}
    marks = {"actors": "speaks_for", "positions": "said_precision", "events": "actor_id"}
    for table, column in marks.items():
        with (src / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), [])
        if column not in header:
            raise FileNotFoundError(
                f"{src}: not a version-1 directory ({table}.csv has no {column} column)"
            )
    notes: list[str] = []
    out: dict[str, list[dict[str, str]]] = {t: [] for t in TABLE_ORDER}
    first_source = v1["sources"][0]["source_id"] if v1["sources"] else ""
    out["cases"].append(
        {
            "case_id": case,
            "title": case,
            "description": f"Migrated from the version-1 tables in {src.name}.",
            "notes": "",
        }
    )
    for s in v1["sources"]:
        out["sources"].append({**s, "syndicated_from": "", "stored_copy": ""})
    for a in v1["actors"]:
        out["actors"].append(
            {k: a[k] for k in ("actor_id", "name", "kind", "aliases", "source_id", "notes")}
        )
        if a.get("speaks_for"):
            kind = "official" if a["kind"] == "person" else "state_organ"
            out["roles"].append(
                {
                    "role_id": f"{a['actor_id']}_for_{a['speaks_for']}".lower(),
                    "actor_id": a["actor_id"],
                    "for_id": a["speaks_for"],
                    "kind": kind,
                    "title": a.get("role", ""),
                    "start": "",
                    "end": "",
                    "source_id": a["source_id"] or first_source,
                    "notes": "Migrated from speaks_for; no dates.",
                }
            )
            notes.append(f"roles: {a['actor_id']} -> {a['speaks_for']}: kind {kind}, no dates")
    out["issues"] = v1["issues"]
    claims = {"analyst_assessment": "assessment", "prediction": "prediction"}
    for p in v1["positions"]:
        pid = p["position_id"]
        claim = claims.get(p["kind"], "own_conduct")
        if claim == "own_conduct":
            notes.append(f"positions: {pid}: claim set to own_conduct; review")
        out["positions"].append(
            {
                "position_id": pid,
                "case_id": case,
                "speaker_id": p["actor_id"],
                "subjects": p.get("subject_id", ""),
                "issue_id": p["issue_id"],
                "stance": p["stance"],
                "claim": claim,
                "voice": "own_words" if p.get("quote") else "described",
                "condition": "",
                "said": _at_precision(p["said"], p["said_precision"]),
                "window": f"{_bound(p['window_start'])}/{_bound(p['window_end'])}",
                "window_from_role": "",
                "window_note": p.get("window_note", ""),
                "summary": p["summary"],
                "notes": p.get("notes", ""),
            }
        )
        out["citations"].append(
            {
                "citation_id": f"{pid}_c1",
                "position_id": pid,
                "event_id": "",
                "source_id": p["source_id"],
                "claimed_by": p["actor_id"],
                "status": "reported",
                "denies": "false",
                "source_wording": p.get("source_wording", ""),
                "quote": p.get("quote", ""),
                "notes": "",
            }
        )
    for e in v1["events"]:
        eid, precision = e["event_id"], e["precision"]
        if precision == "range" or precision == "day" and e["start"] != e["end"]:
            when = f"{_bound(e['start'])}/{e['end']}"
            notes.append(f"events: {eid}: range read as happening once; review (or throughout)")
        else:
            when = _at_precision(e["start"], precision)
        out["events"].append(
            {
                "event_id": eid,
                "case_id": case,
                "doers": e["actor_id"],
                "targets": e.get("target_id", ""),
                "when": when,
                "occurrence": "once",
                "action": e["action"],
                "negated": e["negated"],
                "summary": e["summary"],
                "notes": e.get("notes", ""),
            }
        )
        out["event_issues"].append(
            {"event_id": eid, "issue_id": e["issue_id"], "stance": e["stance"], "notes": ""}
        )
        out["citations"].append(
            {
                "citation_id": f"{eid}_c1",
                "position_id": "",
                "event_id": eid,
                "source_id": e["source_id"],
                "claimed_by": e["claimed_by"],
                "status": e["status"],
                "denies": "false",
                "source_wording": e.get("source_wording", ""),
                "quote": "",
                "notes": "",
            }
        )
    _write_checked(dest, out)
    return notes


def _version(src: Path) -> str | None:
    """The model version a data directory declares, if it has a readable descriptor."""
    try:
        return json.loads((src / "datapackage.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def _from_v2(src: Path, dest: Path, version: str) -> list[str]:
    """Copy a version-2.0 or 2.1 directory: columns added since left empty, tables
    added since header only."""
    added = ADDED_SINCE[version]
    tables = [t for t in schema().tables if t.name not in added]
    missing = [t.path for t in tables if not (src / t.path).exists()]
    if missing:
        raise FileNotFoundError(
            f"{src}: not a version-{version[:3]} directory (missing {', '.join(missing)})"
        )
    _write_checked(dest, {t.name: _read(src / t.path) for t in tables})
    return []


def _write_checked(dest: Path, rows: dict[str, list[dict[str, str]]]) -> None:
    """Write the tables into ``dest`` only if they validate; nothing otherwise."""
    from research.load import DataError, validate

    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        work = Path(tmp) / "data"
        write_tables(work, rows)
        problems = validate(work)
        if problems:
            raise DataError(problems)
        shutil.move(str(work), dest)


def write_tables(directory: Path, rows: dict[str, list[dict[str, str]]]) -> None:
    """Write the descriptor, the rules and every table (columns in schema order)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundled_datapackage(), directory / "datapackage.json")
    shutil.copyfile(bundled_rules(), directory / "rules.json")
    for table in schema().tables:
        with (directory / table.path).open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(table.columns), lineterminator="\n")
            w.writeheader()
            for r in rows.get(table.name, []):
                w.writerow({c: r.get(c, "") or "" for c in table.columns})
