"""The index page of a report folder: every report of ``reports.toml``, grouped by case.

The index shows what the folder really holds: a link to each report's last good page,
its one-line summary and parameters; a mark on each report whose latest build failed,
with the time and the one-line reason (the link to the last good page stays); and the
reports that were never built. Cases are headed by their title from ``cases.csv``.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from research.build import Report

OTHER = "Other reports"


def case_titles(data_dir: Path) -> dict[str, str]:
    """``{case_id: title}`` from the data's ``cases.csv`` ({} when there is none)."""
    try:
        with (Path(data_dir) / "cases.csv").open(newline="", encoding="utf-8") as f:
            return {row["case_id"]: row.get("title") or row["case_id"] for row in csv.DictReader(f)}
    except (OSError, KeyError, csv.Error):
        return {}


def index_entries(out: Path, reports: list[Report], data_dir: Path) -> list[dict]:
    """One entry per report: what ``out`` holds for it and how its latest build went."""
    from research.build import failure_record

    titles = case_titles(data_dir)
    entries = []
    for r in reports:
        nb = out / f"{r.name}.ipynb"
        meta = {}
        if nb.exists():
            try:
                meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"].get("research", {})
            except (ValueError, KeyError, AttributeError):
                meta = {}  # unreadable: listed without a summary rather than failing the build
        failure = failure_record(out, r.name)
        if r.problem is not None and failure is None:
            failure = {"time": "", "message": r.problem}  # a name no file may carry
        case = r.parameters.get("case") if isinstance(r.parameters.get("case"), str) else None
        entries.append(
            {
                "name": r.name,
                "title": r.title,
                "case": titles.get(case, case) if case else OTHER,
                "page": (out / f"{r.name}.html").exists() and nb.exists(),
                "summary": meta.get("summary", ""),
                "parameters": meta.get("parameters", r.parameters),
                "failure": failure,
            }
        )
    return entries


def _item(e: dict) -> str:
    name, title = html.escape(e["name"]), html.escape(e["title"])
    head = f'<a href="{name}.html">{title}</a>' if e["page"] else f"<span>{title}</span>"
    parts = [head]
    if e["failure"]:
        f = e["failure"]
        when = f" at {html.escape(f['time'])}" if f.get("time") else ""
        after = " The link shows the last good build." if e["page"] else " No good build yet."
        parts.append(
            f'<strong class="failed">Latest build failed{when}:</strong> '
            f"<span>{html.escape(f['message'])}</span>{after}"
        )
    elif not e["page"]:
        parts.append('<span class="muted">Not built yet.</span>')
    if e["summary"]:
        parts.append(f"<span>{html.escape(e['summary'])}</span>")
    params = html.escape(json.dumps(e["parameters"], ensure_ascii=False))
    parts.append(f'<span class="muted">parameters: {params}</span>')
    return "<li>" + "<br>".join(parts) + "</li>"


def index_html(entries: list[dict], meta: dict[str, str]) -> str:
    """The page listing every report under its case, with its summary and any failure."""
    from research.render import page

    cases: dict[str, list[dict]] = {}
    for e in entries:
        cases.setdefault(e["case"], []).append(e)
    body = "".join(
        f"<section><h2>{html.escape(case)}</h2><ul>{''.join(_item(e) for e in items)}</ul>"
        "</section>"
        for case, items in cases.items()
    )
    return page("Say and do: reports", meta, body)
