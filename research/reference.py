"""A plain-Python say–do, written to be read rather than to be fast.

It states the rules once more as loops over positions and deeds, from the
declarations in :mod:`research.verdicts` and nothing of the fast engine
(:mod:`research.saydo`): which positions are asked for, whose deeds test them
at which date, which claims deeds can test, and which verdict follows. The
tests prove the vectorised engine equal to it on random tables; the
benchmark times both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from types import SimpleNamespace

import pandas as pd

from research.actors import resolve_attribution
from research.dates import parse_part
from research.load import Tables
from research.verdicts import (
    CONTRADICTS_AT,
    DECIDES_AT,
    DEFAULT_WEIGHTS,
    EPS,
    REASONS,
)
from research.verdicts import STATUS_ORDER as STATUSES


def _when(value: object) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def _overlaps(start, end, lo, hi) -> bool:
    """Can something dated [start, end] fall in [lo, hi]? None is open."""
    if hi is not None and start is not None and start > hi:
        return False
    return not (lo is not None and end is not None and end < lo)


def share(occurrence: str, start, end, lo, hi) -> float:
    """How much of a deed dated [start, end] falls in the window [lo, hi] (None is open).

    A deed that went on ``throughout`` its dates counts in full when they meet
    the window. One that happened ``once``, at a time equally likely to be any
    of its days, counts by the chance that it fell inside: the days inside
    over all its days. With no earliest date (``../B``) that chance is taken
    at the limit of an ever earlier start: 1 for a window open at the start
    too, 0 for a window with a first day.
    """
    if not _overlaps(start, end, lo, hi):
        return 0.0
    if occurrence == "throughout":
        return 1.0
    if start is None:
        return 1.0 if lo is None else 0.0
    first = start if lo is None else max(start, lo)
    last = end if hi is None else min(end, hi)
    return ((last - first).days + 1) / ((end - start).days + 1)


def _roles(tables: Tables, attribution) -> list[tuple]:
    """Roles of the kinds asked for as (actor, for, first day, last day)."""
    kinds = resolve_attribution(attribution)
    out = []
    for r in tables.roles.itertuples(index=False):
        if r.kind in kinds:
            s = None if pd.isna(r.start) else pd.Timestamp(parse_part(r.start).start)
            e = None if pd.isna(r.end) else pd.Timestamp(parse_part(r.end).end)
            out.append((r.actor_id, r.for_id, s, e))
    return out


def _walk(roles: list, actor: str, start, end) -> tuple[set[str], set[str]]:
    """(principals, everyone met): follow roles that hold in [start, end] upwards."""
    ups = [r for r in roles if r[0] == actor and _overlaps(r[2], r[3], start, end)]
    if not ups:
        return {actor}, {actor}
    ends, met = set(), {actor}
    for r in ups:
        e, m = _walk(roles, r[1], start, end)
        ends |= e
        met |= m
    return ends, met


def _selected(tables: Tables, roles: list, actors, issues, start, end, case) -> list:
    """The positions asked for, in table order."""
    as_list = lambda x: None if x is None else [x] if isinstance(x, str) else list(x)  # noqa: E731
    actors, issues, cases = as_list(actors), as_list(issues), as_list(case)
    out = []
    for p in tables.positions.itertuples(index=False):
        if cases and p.case_id not in cases:
            continue
        if issues and p.issue_id not in issues:
            continue
        if start is not None and p.said_start < pd.Timestamp(start):
            continue
        if end is not None and p.said_start > pd.Timestamp(end):
            continue
        if actors:
            who = [p.speaker_id] + ([] if pd.isna(p.subjects) else p.subjects.split(";"))
            met = set()
            for a in who:
                met |= _walk(roles, a, _when(p.said_start), _when(p.said_end))[1]
            if not met & set(actors):
                continue
        out.append(p)
    return out


def say_do_reference(
    tables: Tables,
    actors=None,
    issues=None,
    start=None,
    end=None,
    weights: Mapping[str, float] | None = None,
    *,
    case=None,
    attribution=None,
    group: bool = True,
) -> pd.DataFrame:
    """Same rows and verdict columns as :func:`research.say_do` (without evidence)."""
    w = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (weights or {}).items()}}
    roles = _roles(tables, attribution)

    def owners(ids: str, start, end) -> set[str]:
        out: set[str] = set()
        for a in ids.split(";"):
            out |= _walk(roles, a, start, end)[0] if group else {a}
        return out

    stance_of = {
        (b.event_id, b.issue_id): int(b.stance) for b in tables.event_issues.itertuples(index=False)
    }
    events = list(tables.events.itertuples(index=False))
    rows = []
    for p in _selected(tables, roles, actors, issues, start, end, case):
        tested = p.speaker_id if pd.isna(p.subjects) else p.subjects
        said = (_when(p.said_start), _when(p.said_end))
        # About relations with a counterpart: one row per principal of it too.
        sides = [None] if pd.isna(p.counterpart) else sorted(owners(p.counterpart, *said))
        for principal in sorted(owners(tested, *said)):
            for other in sides:
                rows.append(_verdict(p, principal, other, events, stance_of, w, owners))
    columns = [
        "position_id", "principal", "counterpart_principal", "n_deeds", "n_agreeing",
        "n_contradicting", "n_imprecise", "weight_agreeing", "weight_contradicting",
        "deed_stance", "gap", "verdict", "reason",
        "strongest_status", "evidence_ids",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _verdict(p, principal: str, other, events: list, stance_of: dict, w: dict, owners) -> dict:
    """One position tested against one principal's deeds (toward ``other``, when given)."""
    lo, hi = _when(p.window_start), _when(p.window_end)
    conditional = p.claim in ("prediction", "pledge") and not pd.isna(p.condition)
    if p.claim == "prediction":
        after = pd.Timestamp(p.said_end) + timedelta(days=1)  # only deeds after it was said
        lo = after if lo is None or after > lo else lo
    if conditional and _when(p.condition_start) is not None:
        came = _when(p.condition_start)  # only deeds once the condition came
        lo = came if lo is None or came > lo else lo
    if p.claim in ("request", "evidence"):
        untestable = f"not_testable_{p.claim}"
    elif conditional and pd.isna(p.condition_event):
        untestable = "not_testable_condition"
    else:
        untestable = None
    stated = int(p.stance)
    matched = []
    empty = lo is not None and hi is not None and lo > hi
    for e in events:
        if untestable or empty or e.case_id != p.case_id:
            continue
        if (e.event_id, p.issue_id) not in stance_of:
            continue
        if principal not in owners(e.doers, _when(e.start), _when(e.end)):
            continue
        if other is not None:  # a deed between the two: the other is a party to it
            parties = e.doers if pd.isna(e.targets) else f"{e.doers};{e.targets}"
            if other not in owners(parties, _when(e.start), _when(e.end)) - {principal}:
                continue
        weight = w[e.status] * share(e.occurrence, _when(e.start), _when(e.end), lo, hi)
        if weight > 0:
            stance = stance_of[(e.event_id, p.issue_id)]
            matched.append(SimpleNamespace(**e._asdict(), stance=stance, weight=weight))

    total_w = sum(e.weight for e in matched)
    deed = sum(e.weight * e.stance for e in matched) / total_w if total_w else math.nan
    gap = stated - deed
    contradicting = [e for e in matched if abs(e.stance - stated) >= CONTRADICTS_AT]
    agreeing = [e for e in matched if abs(e.stance - stated) < CONTRADICTS_AT]
    against = sum(e.weight for e in contradicting)
    for_ = sum(e.weight for e in agreeing)

    if untestable:
        verdict, reason = "not_testable", REASONS[untestable]
    elif not matched:
        verdict, reason = "untested", REASONS["no_deeds"]
    elif against >= DECIDES_AT - EPS and for_ >= DECIDES_AT - EPS:
        verdict, reason = "mixed", REASONS["both_ways"]
    elif against >= DECIDES_AT - EPS:
        verdict, reason = "contradicted", REASONS["firm_contradiction"]
    elif for_ >= DECIDES_AT - EPS:
        verdict, reason = "consistent", REASONS["firm_agreement"]
    else:
        verdict, reason = "untested", REASONS["weak_only"]

    deciding = {"contradicted": contradicting, "consistent": agreeing}.get(verdict, matched)
    strongest = min((STATUSES.index(e.status) for e in deciding), default=None)
    return {
        "position_id": p.position_id,
        "principal": principal,
        "counterpart_principal": other,
        "n_deeds": len(matched),
        "n_agreeing": len(agreeing),
        "n_contradicting": len(contradicting),
        "n_imprecise": sum(1 for e in matched if e.precision != "day"),
        "weight_agreeing": for_,
        "weight_contradicting": against,
        "deed_stance": deed,
        "gap": gap,
        "verdict": verdict,
        "reason": reason,
        "strongest_status": None if strongest is None else STATUSES[strongest],
        "evidence_ids": tuple(e.event_id for e in deciding),
    }
