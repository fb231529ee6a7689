"""Words and deeds on one time axis, as a tidy long frame ready for charts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from research.actors import check_ids, principals
from research.load import Tables

#: Columns of :func:`timeline`, in order.
COLUMNS = (
    "date",
    "end",
    "precision",
    "channel",
    "id",
    "actor_id",
    "principal",
    "issue_id",
    "stance",
    "status",
    "kind",
    "label",
    "quote",
    "source_id",
)

_PERIOD_END = {
    "day": pd.offsets.Day(0),
    "month": pd.offsets.MonthEnd(0),
    "season": pd.offsets.MonthEnd(3),
    "year": pd.offsets.YearEnd(0),
}


def _said_end(said: pd.Series, precision: pd.Series) -> pd.Series:
    """Last day of the period a statement is dated to."""
    end = said.copy()
    for p, offset in _PERIOD_END.items():
        m = (precision == p).to_numpy()
        if m.any():
            end[m] = said[m] + offset
    return end


def timeline(
    tables: Tables,
    actors: Sequence[str] | str | None = None,
    issues: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """One row per position (``channel == "words"``) and per event (``"deeds"``).

    ``date`` is when it was said or first can have happened (a deed with no
    known start is placed at its end), ``end`` the last day it can have
    happened, ``status`` the deed's status (``"stated"`` for words), ``kind``
    the position kind or the deed's action (``"not "`` + action when negated),
    ``label`` the summary. ``actors`` keeps rows by those actors or by actors
    speaking for them. Sorted by date, channel and id.

    Examples
    --------
    >>> import research
    >>> tl = research.timeline(research.load(), actors="IRN")
    >>> sorted(set(tl.channel))
    ['deeds', 'words']
    """
    pmap = principals(tables.actors)
    wanted = check_ids("actor", actors, tables.actors["actor_id"])
    wanted_issues = check_ids("issue", issues, tables.issues["issue_id"])
    p, e = tables.positions, tables.events

    words = pd.DataFrame(
        {
            "date": p["said"],
            "end": _said_end(p["said"], p["said_precision"].astype(str)),
            "precision": p["said_precision"].astype(str),
            "channel": "words",
            "id": p["position_id"],
            "actor_id": p["actor_id"],
            "issue_id": p["issue_id"],
            "stance": p["stance"],
            "status": "stated",
            "kind": p["kind"].astype(str),
            "label": p["summary"],
            "quote": p["quote"],
            "source_id": p["source_id"],
        }
    )
    action = e["action"].astype(str)
    deeds = pd.DataFrame(
        {
            "date": e["start"].fillna(e["end"]),
            "end": e["end"],
            "precision": e["precision"].astype(str),
            "channel": "deeds",
            "id": e["event_id"],
            "actor_id": e["actor_id"],
            "issue_id": e["issue_id"],
            "stance": e["stance"],
            "status": e["status"].astype(str),
            "kind": np.where(e["negated"].fillna(False).to_numpy(bool), "not " + action, action),
            "label": e["summary"],
            "quote": pd.Series(pd.NA, index=e.index, dtype="string"),
            "source_id": e["source_id"],
        }
    )
    tl = pd.concat([words, deeds], ignore_index=True)
    tl["principal"] = tl["actor_id"].map(pmap).astype("string")
    if wanted:
        tl = tl[tl["actor_id"].isin(wanted) | tl["principal"].isin(wanted)]
    if wanted_issues:
        tl = tl[tl["issue_id"].isin(wanted_issues)]
    tl = tl[list(COLUMNS)].sort_values(["date", "channel", "id"], kind="stable")
    for col in ("precision", "channel", "status", "kind"):
        tl[col] = tl[col].astype("string")
    return tl.reset_index(drop=True)
