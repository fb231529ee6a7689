"""Columns derived from the curated tables once they have passed validation.

Nothing here is typed in by a curator; each column follows from others by a
rule stated once, here:

* **Dates.** ``said``, ``window`` and ``when`` are written as precisely as the
  source gives them. Positions gain ``said_start``, ``said_end``,
  ``said_precision``, ``window_start`` and ``window_end``; events gain
  ``start``, ``end`` and ``precision`` (day, week, month, season, year or
  range). An open bound is missing (NaT). A window opened by a role
  (``window_from_role``) starts on the first day of that role's start.
  ``condition_start`` is the first day the deed that shows a condition came
  (``condition_event``) can have happened (NaT when none or no earliest date).
* **Status from citations.** A row's ``status`` is the strongest status among
  the citations that report it (confirmed, reported, alleged, disputed,
  rumoured, inferred, in that order; inferred is the author's own inference,
  not a report). It becomes ``disputed`` when a cited source
  denies it — unless, for a deed, the denial comes from the accused: a doer,
  or an actor tied to a doer by a role (a state's spokesperson denying its
  state's deed), whose denial is a statement to be tested, not evidence that
  the deed did not happen. A row cited only by such denials is ``disputed``.
  ``n_citations`` counts its citations.
* **Kind of position.** ``kind`` sorts positions as the analysis of words
  has so far: predictions are ``prediction``; assessments, statements about
  evidence, and anything said by an analyst, a medium or an organisation
  (:data:`OBSERVERS`) are ``analyst_assessment``; every other claim — a
  party's denial, description of its own conduct, pledge or request — is
  ``official_statement``, the words of the party itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research import dates

#: Kinds of actor whose words are observations, never a party's own position.
OBSERVERS = ("analyst", "media", "organisation")
#: Statuses from strongest to weakest.
STATUS_ORDER: tuple[str, ...] = (
    "confirmed",
    "reported",
    "alleged",
    "disputed",
    "rumoured",
    "inferred",
)


def spans(values: pd.Series, *, open_start: bool, open_end: bool) -> pd.DataFrame:
    """Parse written dates into first day, last day and precision (cached per text)."""
    cache: dict[str, dates.Span] = {}
    starts, ends, precisions = [], [], []
    for v in values.astype(object).tolist():
        if v is None or v is pd.NA:
            starts.append(None), ends.append(None), precisions.append(None)
            continue
        span = cache.get(v)
        if span is None:
            span = cache[v] = dates.parse(v, open_start=open_start, open_end=open_end)
        starts.append(span.start)
        ends.append(span.end)
        precisions.append(span.precision)
    index = values.index  # keep the caller's index: values may be a filtered subset
    return pd.DataFrame(
        {
            "start": pd.Series(pd.to_datetime(starts), index=index, dtype="datetime64[s]"),
            "end": pd.Series(pd.to_datetime(ends), index=index, dtype="datetime64[s]"),
            "precision": pd.Series(precisions, index=index, dtype=pd.StringDtype("pyarrow")),
        },
        index=index,
    )


def related(roles: pd.DataFrame) -> dict[str, set[str]]:
    """Each actor's circle: itself and everyone tied to it by roles of any kind and time."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(roles["actor_id"].astype(str), roles["for_id"].astype(str), strict=True):
        parent[find(a)] = find(b)
    circles: dict[str, set[str]] = {}
    for x in list(parent):
        circles.setdefault(find(x), set()).add(x)
    return {x: circles[find(x)] for x in parent}


def _status(
    citations: pd.DataFrame, key: str, ids: pd.Series, accused: dict[str, set[str]] | None
) -> tuple[pd.Series, pd.Series]:
    """Status of each row from its citations, by the rule in the module docstring."""
    c = citations[citations[key].notna()]
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    best: dict[str, int] = {}
    denied: set[str] = set()
    count: dict[str, int] = {}
    for row_id, status, denies, who in zip(
        c[key].astype(str), c["status"].astype(str), c["denies"], c["claimed_by"].astype(str),
        strict=True,
    ):  # fmt: skip
        count[row_id] = count.get(row_id, 0) + 1
        if bool(denies):
            if accused is None or who not in accused.get(row_id, set()):
                denied.add(row_id)
            continue
        best[row_id] = min(best.get(row_id, len(STATUS_ORDER)), rank[status])
    out = []
    for row_id in ids.astype(str):
        if row_id in denied or row_id not in best:
            out.append("disputed")
        else:
            out.append(STATUS_ORDER[best[row_id]])
    n = pd.Series([count.get(i, 0) for i in ids.astype(str)], index=ids.index, dtype="Int64")
    return pd.Series(pd.Categorical(out, categories=list(STATUS_ORDER)), index=ids.index), n


def _accused(events: pd.DataFrame, roles: pd.DataFrame) -> dict[str, set[str]]:
    circle = related(roles)
    out = {}
    for eid, doers in zip(events["event_id"].astype(str), events["doers"].astype(str), strict=True):
        people: set[str] = set()
        for d in doers.split(";"):
            people |= circle.get(d, {d})
        out[eid] = people
    return out


def _legacy_kind(positions: pd.DataFrame, actors: pd.DataFrame) -> pd.Series:
    claim = positions["claim"]
    c = claim.astype(str).to_numpy()
    observer = dict(
        zip(actors["actor_id"], actors["kind"].astype(str).isin(OBSERVERS), strict=True)
    )
    by_observer = positions["speaker_id"].map(observer).fillna(False).to_numpy(dtype=bool)
    kind = np.where(
        c == "prediction",
        "prediction",
        np.where(
            (c == "assessment") | (c == "evidence") | by_observer,
            "analyst_assessment",
            "official_statement",
        ),
    )
    return pd.Series(
        pd.Categorical(kind, categories=["official_statement", "analyst_assessment", "prediction"]),
        index=claim.index,
    )


def derive(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return the frames with the derived columns added to positions and events."""
    out = dict(frames)
    pos, ev = frames["positions"].copy(), frames["events"].copy()
    roles, cit = frames["roles"], frames["citations"]

    said = spans(pos["said"], open_start=False, open_end=False)
    pos["said_start"], pos["said_end"] = said["start"], said["end"]
    pos["said_precision"] = said["precision"]
    window = spans(pos["window"], open_start=True, open_end=True)
    pos["window_start"], pos["window_end"] = window["start"], window["end"]
    if pos["window_from_role"].notna().any():
        role_start = spans(roles["start"], open_start=False, open_end=False)["start"]
        first_day = dict(zip(roles["role_id"].astype(str), role_start, strict=True))
        from_role = pos["window_from_role"].astype(object)
        has = from_role.notna().to_numpy()
        starts = pos["window_start"].to_numpy().copy()
        starts[has] = [np.datetime64(first_day[r], "s") for r in from_role[has]]
        pos["window_start"] = pd.Series(starts, index=pos.index, dtype="datetime64[s]")
    pos["status"], pos["n_citations"] = _status(cit, "position_id", pos["position_id"], None)
    pos["kind"] = _legacy_kind(pos, frames["actors"])

    when = spans(ev["when"], open_start=True, open_end=False)
    ev["start"], ev["end"], ev["precision"] = when["start"], when["end"], when["precision"]
    first_day = pd.Series(ev["start"].to_numpy(), index=ev["event_id"].astype(str))
    cond = pos["condition_event"].astype(object)
    pos["condition_start"] = pd.Series(
        first_day.reindex(cond.where(cond.notna(), "")).to_numpy(),
        index=pos.index,
        dtype="datetime64[s]",
    )
    ev["status"], ev["n_citations"] = _status(cit, "event_id", ev["event_id"], _accused(ev, roles))
    out["positions"], out["events"] = pos, ev
    return out
