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

from collections.abc import Callable

import numpy as np
import pandas as pd

from research import dates
from research.columnar import positions

STRING = pd.StringDtype("pyarrow")
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
    """Parse written dates into first day, last day and precision.

    Each distinct text is parsed once and its days spread over the rows that
    hold it; a missing text has no days and no precision.
    """
    codes, texts = pd.factorize(values)  # missing: -1
    parsed = [dates.parse(t, open_start=open_start, open_end=open_end) for t in texts]
    index = values.index  # keep the caller's index: values may be a filtered subset

    def days(bound: str) -> np.ndarray:
        # One more entry, missing, for the code -1.
        per_text = pd.to_datetime([getattr(span, bound) for span in parsed] + [None])
        return per_text.to_numpy().astype("datetime64[s]")[codes]

    precision = pd.array([span.precision for span in parsed] + [None], dtype=STRING)
    return pd.DataFrame(
        {
            "start": pd.Series(days("start"), index=index, dtype="datetime64[s]"),
            "end": pd.Series(days("end"), index=index, dtype="datetime64[s]"),
            "precision": pd.Series(precision.take(codes), index=index, dtype=STRING),
        },
        index=index,
    )


def _principal(roles: pd.DataFrame) -> dict[str, str]:
    """Each actor named in a role, mapped to one actor of its circle (the same for all)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(roles["actor_id"].astype(str), roles["for_id"].astype(str), strict=True):
        parent[find(a)] = find(b)
    return {x: find(x) for x in list(parent)}


def related(roles: pd.DataFrame) -> dict[str, set[str]]:
    """Each actor's circle: itself and everyone tied to it by roles of any kind and time."""
    principal = _principal(roles)
    circles: dict[str, set[str]] = {}
    for x, p in principal.items():
        circles.setdefault(p, set()).add(x)
    return {x: circles[p] for x, p in principal.items()}


def _status(
    citations: pd.DataFrame,
    key: str,
    ids: pd.Series,
    accused: Callable[[np.ndarray, list[str]], np.ndarray] | None,
) -> tuple[pd.Series, pd.Series]:
    """Status of each row from its citations, by the rule in the module docstring.

    ``accused(rows, claimants)`` says which denials come from the accused of
    the denied row (None: no denial is anyone's own).
    """
    # Each citation's row (-1: it cites a row of the other table). No copy of the
    # citations is filtered out: a missing key finds no row.
    at = positions(citations[key], ids)
    cited = at >= 0
    rank = pd.Categorical(citations["status"], categories=list(STATUS_ORDER)).codes
    denies = citations["denies"].to_numpy(dtype=bool)
    # The strongest status among the citations that report the row, not deny it.
    best = np.full(len(ids), len(STATUS_ORDER))
    reports = cited & ~denies
    np.minimum.at(best, at[reports], rank[reports])
    denials = np.flatnonzero(cited & denies)
    if accused is not None and len(denials):
        own = accused(at[denials], citations["claimed_by"].iloc[denials].astype(str).tolist())
        denials = denials[~own]
    disputed = best == len(STATUS_ORDER)
    disputed[at[denials]] = True
    codes = np.where(disputed, STATUS_ORDER.index("disputed"), best)
    status = pd.Categorical.from_codes(codes, categories=list(STATUS_ORDER))
    n = np.bincount(at[cited], minlength=len(ids))
    return pd.Series(status, index=ids.index), pd.Series(n, index=ids.index, dtype="Int64")


def _accused(events: pd.DataFrame, roles: pd.DataFrame) -> Callable:
    """Whether a denial of a deed comes from its accused: a doer, or an actor in a
    doer's circle. Worked out for the denials only, not for every deed."""
    principal = _principal(roles)

    def own(rows: np.ndarray, claimants: list[str]) -> np.ndarray:
        doers = events["doers"].iloc[rows].astype(str).tolist()
        return np.array(
            [
                any(principal.get(d, d) == principal.get(who, who) for d in deeds.split(";"))
                for deeds, who in zip(doers, claimants, strict=True)
            ],
            dtype=bool,
        )

    return own


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
    has = pos["window_from_role"].notna().to_numpy()
    if has.any():
        role_start = spans(roles["start"], open_start=False, open_end=False)["start"]
        at = positions(pos["window_from_role"][has], roles["role_id"])
        starts = pos["window_start"].to_numpy().copy()
        starts[has] = role_start.to_numpy()[at]
        pos["window_start"] = pd.Series(starts, index=pos.index, dtype="datetime64[s]")
    pos["status"], pos["n_citations"] = _status(cit, "position_id", pos["position_id"], None)
    pos["kind"] = _legacy_kind(pos, frames["actors"])

    when = spans(ev["when"], open_start=True, open_end=False)
    ev["start"], ev["end"], ev["precision"] = when["start"], when["end"], when["precision"]
    condition_start = np.full(len(pos), np.datetime64("NaT"), dtype="datetime64[s]")
    has = pos["condition_event"].notna().to_numpy()
    if has.any():  # the deeds' ids are looked up only when some position names one
        at = positions(pos["condition_event"][has], ev["event_id"])
        condition_start[has] = np.where(at >= 0, ev["start"].to_numpy()[at], np.datetime64("NaT"))
    pos["condition_start"] = pd.Series(condition_start, index=pos.index, dtype="datetime64[s]")
    ev["status"], ev["n_citations"] = _status(cit, "event_id", ev["event_id"], _accused(ev, roles))
    out["positions"], out["events"] = pos, ev
    return out
