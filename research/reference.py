"""A plain-Python say–do, written to be read rather than to be fast.

It states the rules of :mod:`research.saydo` once more as loops over positions
and events. The tests prove the vectorised engine equal to it on random tables;
the benchmark times both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from research.actors import principals
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


def say_do_reference(
    tables: Tables,
    actors=None,
    issues=None,
    start=None,
    end=None,
    weights: Mapping[str, float] | None = None,
    *,
    group: bool = True,
) -> pd.DataFrame:
    """Same rows and verdict columns as :func:`research.say_do` (without evidence)."""
    w = resolve_weights(weights)
    owner = principals(tables.actors) if group else {a: a for a in tables.actors["actor_id"]}
    positions = select_positions(tables, actors, issues, start, end)
    events = list(tables.events.itertuples(index=False))
    rows = []
    for p in positions.itertuples(index=False):
        win_start, win_end = _when(p.window_start), _when(p.window_end)
        stated = int(p.stance)
        tested = p.actor_id if pd.isna(p.subject_id) else p.subject_id
        matched = []
        for e in events:
            if owner[e.actor_id] != owner[tested] or e.issue_id != p.issue_id:
                continue
            if w[e.status] <= 0:
                continue
            if _overlaps(_when(e.start), _when(e.end), win_start, win_end):
                matched.append(e)

        total_w = sum(w[e.status] for e in matched)
        deed = sum(w[e.status] * int(e.stance) for e in matched) / total_w if total_w else math.nan
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
        "position_id", "n_deeds", "n_agreeing", "n_contradicting", "n_imprecise",
        "deed_stance", "gap", "verdict", "reason", "strongest_status", "evidence_ids",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
