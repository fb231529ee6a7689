"""Words and deeds on one time axis, as a tidy long frame ready for charts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from research.actors import Roles, attribute, check_ids
from research.load import Tables
from research.saydo import check_cases, deed_rows

#: Columns of :func:`timeline`, in order.
COLUMNS = (
    "date",
    "end",
    "when",
    "precision",
    "channel",
    "id",
    "case_id",
    "actor_id",
    "principal",
    "issue_id",
    "stance",
    "status",
    "kind",
    "label",
    "quote",
    "sources",
)


def timeline(
    tables: Tables,
    actors: Sequence[str] | str | None = None,
    issues: Sequence[str] | str | None = None,
    *,
    case: Sequence[str] | str | None = None,
    attribution: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """One row per position (``channel == "words"``) and per deed and issue (``"deeds"``).

    ``date`` is the first day it was said or can have happened (NaT for a
    deed with no known start), ``end`` the last day, ``when`` the date as
    written (at its precision), ``status`` the row's status from its
    citations, ``kind`` the claim of a position or the deed's action (``"not
    "`` + action when negated), ``label`` the summary, ``quote`` the first quote
    among a position's citations and ``sources`` the sources citing the row. ``actor_id`` is the
    speaker or the doers (';'-separated); ``principal`` whose words or deeds
    they count as. ``actors`` keeps rows by or about those actors or anyone on
    their chain of roles. Sorted by date, channel and id.

    Examples
    --------
    >>> import research
    >>> tl = research.timeline(research.load(), actors="IRN", case="russia-iran")
    >>> sorted(set(tl.channel))
    ['deeds', 'words']
    """
    roles = Roles.of(tables.roles, attribution)
    wanted = check_ids("actor", actors, tables.actors["actor_id"])
    wanted_issues = check_ids("issue", issues, tables.issues["issue_id"])
    cases = check_cases(tables, case)
    p, e = tables.positions, deed_rows(tables)
    if cases:
        p = p[p["case_id"].isin(cases)]
        e = e[e["case_id"].isin(cases)]
    p, e = p.reset_index(drop=True), e.reset_index(drop=True)

    def who(ids: pd.Series, start: pd.Series, end: pd.Series) -> tuple[list, list]:
        a = attribute(roles, ids, start, end)
        owners = [set() for _ in range(len(ids))]
        chains = [set() for _ in range(len(ids))]
        for row, owner, chain in zip(a["row"], a["owner"], a["chain"], strict=True):
            owners[row].add(owner)
            chains[row] |= chain
        return [";".join(sorted(o)) for o in owners], chains

    speakers = p["speaker_id"].astype(str) + (";" + p["subjects"].astype(str)).fillna("")
    p_owner, p_chain = who(p["speaker_id"], p["said_start"], p["said_end"])
    _, p_about = who(speakers, p["said_start"], p["said_end"])
    e_owner, e_chain = who(e["doers"], e["start"], e["end"])
    words = pd.DataFrame(
        {
            "date": p["said_start"],
            "end": p["said_end"],
            "when": p["said"],
            "precision": p["said_precision"].astype(str),
            "channel": "words",
            "id": p["position_id"],
            "case_id": p["case_id"],
            "actor_id": p["speaker_id"],
            "principal": p_owner,
            "issue_id": p["issue_id"],
            "stance": p["stance"],
            "status": p["status"].astype(str),
            "kind": p["claim"].astype(str),
            "label": p["summary"],
        }
    )
    action = e["action"].astype(str)
    deeds = pd.DataFrame(
        {
            "date": e["start"],
            "end": e["end"],
            "when": e["when"],
            "precision": e["precision"].astype(str),
            "channel": "deeds",
            "id": e["event_id"],
            "case_id": e["case_id"],
            "actor_id": e["doers"],
            "principal": e_owner,
            "issue_id": e["issue_id"],
            "stance": e["stance"],
            "status": e["status"].astype(str),
            "kind": np.where(e["negated"].fillna(False).to_numpy(bool), "not " + action, action),
            "label": e["summary"],
        }
    )
    cites = tables.citations
    quoted = cites[cites["quote"].notna() & cites["position_id"].notna()]
    quote_of = dict(zip(quoted["position_id"][::-1], quoted["quote"][::-1], strict=True))
    words["quote"] = p["position_id"].map(quote_of).astype("string")
    deeds["quote"] = pd.Series(pd.NA, index=deeds.index, dtype="string")
    sources_of = {}
    for key in ("position_id", "event_id"):
        c = cites[cites[key].notna()]
        for row_id, g in c.groupby(key, sort=False)["source_id"]:
            sources_of[row_id] = ", ".join(dict.fromkeys(g.astype(str)))
    words["sources"] = p["position_id"].map(sources_of)
    deeds["sources"] = e["event_id"].map(sources_of)
    tl = pd.concat([words, deeds], ignore_index=True)
    if wanted:
        chains = [*p_about, *e_chain]
        keep = np.array([not c.isdisjoint(wanted) for c in chains], dtype=bool)
        tl = tl[keep]
    if wanted_issues:
        tl = tl[tl["issue_id"].isin(wanted_issues)]
    tl = tl[list(COLUMNS)].sort_values(
        ["date", "channel", "id"], kind="stable", na_position="first"
    )
    for col in (
        "when",
        "precision",
        "channel",
        "status",
        "kind",
        "principal",
        "actor_id",
        "sources",
    ):
        tl[col] = tl[col].astype("string")
    return tl.reset_index(drop=True)
