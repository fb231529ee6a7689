"""A plain-Python say–do, written to be read rather than to be fast.

It states the rules of :mod:`research.saydo` once more as loops over positions
and events. The tests prove the vectorised engine equal to it on random tables;
the benchmark times both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace

import pandas as pd

from research.actors import resolve_attribution
from research.load import Tables
from research.saydo import (
    CONTRADICTS_AT,
    DECISIVE_STATUSES,
    EPS,
    REASONS,
    STATUS_ORDER,
    resolve_weights,
    select_positions,
)


def _when(value: object) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def _overlaps(ev_start, ev_end, win_start, win_end) -> bool:
    """Can a deed dated [ev_start, ev_end] fall in [win_start, win_end]? None is open."""
    if win_end is not None and ev_start is not None and ev_start > win_end:
        return False
    return not (win_start is not None and ev_end is not None and ev_end < win_start)


def _holds(role_start, role_end, start, end) -> bool:
    """Does a role [role_start, role_end] hold at some time in [start, end]? None is open."""
    if role_start is not None and end is not None and role_start > end:
        return False
    return not (role_end is not None and start is not None and role_end < start)


def _principals(roles: list, actor: str, start, end) -> set[str]:
    """Follow roles that hold in [start, end] upwards; the ends are the principals."""
    ups = [r for r in roles if r[0] == actor and _holds(r[2], r[3], start, end)]
    if not ups:
        return {actor}
    out: set[str] = set()
    for r in ups:
        out |= _principals(roles, r[1], start, end)
    return out


def _role_list(tables: Tables, attribution) -> list:
    """Roles of the kinds asked for as (actor, for, first day, last day)."""
    from research.dates import parse_part

    kinds = resolve_attribution(attribution)
    out = []
    for r in tables.roles.itertuples(index=False):
        if r.kind not in kinds:
            continue
        s = None if pd.isna(r.start) else pd.Timestamp(parse_part(r.start).start)
        e = None if pd.isna(r.end) else pd.Timestamp(parse_part(r.end).end)
        out.append((r.actor_id, r.for_id, s, e))
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
    w = resolve_weights(weights)
    roles = _role_list(tables, attribution)

    def owners(ids: str, start, end) -> set[str]:
        out: set[str] = set()
        for a in ids.split(";"):
            out |= _principals(roles, a, start, end) if group else {a}
        return out

    positions = select_positions(tables, actors, issues, start, end, case, attribution)
    stance_of = {
        (b.event_id, b.issue_id): int(b.stance) for b in tables.event_issues.itertuples(index=False)
    }
    events = list(tables.events.itertuples(index=False))
    rows = []
    for p in positions.itertuples(index=False):
        tested_ids = p.speaker_id if pd.isna(p.subjects) else p.subjects
        for principal in sorted(owners(tested_ids, _when(p.said_start), _when(p.said_end))):
            win_start, win_end = _when(p.window_start), _when(p.window_end)
            stated = int(p.stance)
            matched = []
            for e in events:
                if e.case_id != p.case_id or (e.event_id, p.issue_id) not in stance_of:
                    continue
                if principal not in owners(e.doers, _when(e.start), _when(e.end)):
                    continue
                if w[e.status] <= 0:
                    continue
                if _overlaps(_when(e.start), _when(e.end), win_start, win_end):
                    matched.append(
                        SimpleNamespace(**e._asdict(), stance=stance_of[(e.event_id, p.issue_id)])
                    )

            total_w = sum(w[e.status] for e in matched)
            deed = (
                sum(w[e.status] * int(e.stance) for e in matched) / total_w if total_w else math.nan
            )
            gap = stated - deed
            contradicting = [e for e in matched if abs(int(e.stance) - stated) >= CONTRADICTS_AT]
            agreeing = [e for e in matched if abs(int(e.stance) - stated) < CONTRADICTS_AT]
            decisive = [
                e for e in contradicting if e.precision != "range" and e.status in DECISIVE_STATUSES
            ]
            big_gap = not math.isnan(gap) and abs(gap) >= CONTRADICTS_AT - EPS

            if not matched:
                verdict, reason = "untested", REASONS["no_deeds"]
            elif decisive and big_gap:
                verdict, reason = "contradicted", REASONS["strong_contradiction"]
            elif decisive:
                verdict, reason = "mixed", REASONS["both_ways"]
            elif contradicting and agreeing:
                verdict, reason = "mixed", REASONS["weak_beside_agreeing"]
            elif contradicting:
                verdict, reason = "untested", REASONS["weak_only"]
            else:
                verdict, reason = "consistent", REASONS["all_agree"]

            deciding = decisive if verdict == "contradicted" else matched
            strongest = min((STATUS_ORDER.index(e.status) for e in deciding), default=None)
            rows.append(
                {
                    "position_id": p.position_id,
                    "principal": principal,
                    "n_deeds": len(matched),
                    "n_agreeing": len(agreeing),
                    "n_contradicting": len(contradicting),
                    "n_imprecise": sum(1 for e in matched if e.precision != "day"),
                    "deed_stance": deed,
                    "gap": gap,
                    "verdict": verdict,
                    "reason": reason,
                    "strongest_status": None if strongest is None else STATUS_ORDER[strongest],
                    "evidence_ids": tuple(e.event_id for e in deciding),
                }
            )
    columns = [
        "position_id", "principal", "n_deeds", "n_agreeing", "n_contradicting", "n_imprecise",
        "deed_stance", "gap", "verdict", "reason", "strongest_status", "evidence_ids",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
