"""Small version-2 tables written in a few lines, for tests and benchmarks.

Everything a test does not care about is filled in honestly for a synthetic
fixture: one source, one citation per row (at the row's ``status``), a claim
kind, a voice. The tables go through :meth:`research.Tables.from_frames`, so
they pass the same checks as a data directory.
"""

from __future__ import annotations

import pandas as pd

import research

SOURCE = "synthetic"


def tables(
    *,
    actors: list[str],
    issues: list[str],
    positions: list[dict] = (),
    events: list[dict] = (),
    roles: list[dict] = (),
    cases: list[str] = ("c",),
) -> research.Tables:
    """Build tables; see the module docstring for the defaults.

    A position is a dict with ``position_id``, ``speaker_id``, ``issue_id``,
    ``stance``, ``said`` and ``window`` and optionally ``subjects``,
    ``counterpart``, ``claim``, ``condition``, ``condition_event``, ``case_id``,
    ``status``. An event has ``event_id``, ``doers``, ``when``, ``issues``
    (issue id -> stance) and optionally ``targets``, ``occurrence``,
    ``status``, ``case_id``, ``negated``. A role has ``actor_id``, ``for_id``
    and optionally ``kind``, ``start``, ``end``.
    """
    cases = list(cases)
    pos_rows, ev_rows, ei_rows, cit_rows = [], [], [], []
    for p in positions:
        pos_rows.append(
            {
                "position_id": p["position_id"],
                "case_id": p.get("case_id", cases[0]),
                "speaker_id": p["speaker_id"],
                "subjects": p.get("subjects"),
                "counterpart": p.get("counterpart"),
                "issue_id": p["issue_id"],
                "stance": p["stance"],
                "claim": p.get("claim", "own_conduct"),
                "voice": "own_words",
                "condition": p.get("condition"),
                "condition_event": p.get("condition_event"),
                "said": p["said"],
                "window": p.get("window", "../.."),
                "summary": "synthetic",
            }
        )
        cit_rows.append(
            {
                "citation_id": f"c_{p['position_id']}",
                "position_id": p["position_id"],
                "source_id": SOURCE,
                "claimed_by": p["speaker_id"],
                "status": p.get("status", "confirmed"),
                "denies": False,
            }
        )
    for e in events:
        ev_rows.append(
            {
                "event_id": e["event_id"],
                "case_id": e.get("case_id", cases[0]),
                "doers": e["doers"],
                "targets": e.get("targets"),
                "when": e["when"],
                "occurrence": e.get("occurrence", "once"),
                "action": "aid",
                "negated": e.get("negated", False),
                "summary": "synthetic",
            }
        )
        for issue, stance in e["issues"].items():
            ei_rows.append({"event_id": e["event_id"], "issue_id": issue, "stance": stance})
        cit_rows.append(
            {
                "citation_id": f"c_{e['event_id']}",
                "event_id": e["event_id"],
                "source_id": SOURCE,
                "claimed_by": actors[0],
                "status": e.get("status", "confirmed"),
                "denies": False,
            }
        )
    role_rows = [
        {
            "role_id": f"r{i}",
            "actor_id": r["actor_id"],
            "for_id": r["for_id"],
            "kind": r.get("kind", "official"),
            "start": r.get("start"),
            "end": r.get("end"),
            "source_id": SOURCE,
        }
        for i, r in enumerate(roles)
    ]

    def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=columns)

    return research.Tables.from_frames(
        cases=pd.DataFrame({"case_id": cases, "title": cases, "description": "synthetic"}),
        sources=pd.DataFrame(
            {
                "source_id": [SOURCE],
                "title": ["synthetic"],
                "outlet": ["tests"],
                "kind": ["dataset"],
            }
        ),
        actors=pd.DataFrame(
            {
                "actor_id": actors,
                "name": actors,
                "kind": ["state" if a.isupper() else "person" for a in actors],
                "source_id": SOURCE,
            }
        ),
        roles=frame(
            role_rows, ["role_id", "actor_id", "for_id", "kind", "start", "end", "source_id"]
        ),
        issues=pd.DataFrame(
            {
                "issue_id": issues,
                "name": issues,
                "description": "synthetic",
                "minus2": "-2",
                "plus2": "+2",
                "source_id": SOURCE,
            }
        ),
        positions=frame(
            pos_rows,
            ["position_id", "case_id", "speaker_id", "subjects", "counterpart", "issue_id"]
            + ["stance", "claim", "voice", "condition", "condition_event", "said", "window"]
            + ["summary"],
        ),
        events=frame(
            ev_rows,
            ["event_id", "case_id", "doers", "targets", "when", "occurrence", "action", "negated"]
            + ["summary"],
        ),
        event_issues=frame(ei_rows, ["event_id", "issue_id", "stance"]),
        citations=frame(
            cit_rows,
            ["citation_id", "position_id", "event_id", "source_id", "claimed_by", "status"]
            + ["denies"],
        ),
    )
