"""Benchmark the pair-free say–do engine (data model v2) against a plain-Python reference
and DuckDB, and time the validation that building the tables costs.

Usage::

    python benchmarks/bench_say_do.py --positions 100000 --events 1000000 [--seed 0]
        [--cases 3] [--shape mixed|events] [--reference-limit 10000]
        [--reference-budget 60] [--no-duckdb] [--no-rss]

The script generates seeded synthetic version-2 tables with numpy (nine frames:
cases, sources, actors, roles, issues, positions, events, event_issues,
citations), builds them with ``research.Tables.from_frames`` (which writes every
cell out as text and runs every check ``research validate`` runs, then derives
dates and statuses: timed on its own as ``from_frames_seconds``), runs
``research.say_do(tables, evidence=False)`` on them (``seconds``) and the
default call with the deciding event ids (``evidence_seconds``), checks them
against

* ``research.reference.say_do_reference`` (plain loops) when there are at most
  ``--reference-limit`` positions and the reference, timed on a short prefix of
  the positions and extrapolated, would finish within ``--reference-budget``
  seconds (the prefix itself is always checked when it runs), and
* hand-written DuckDB SQL computing the same rows and columns (``duckdb_sql``),
  in two formulations that differ only in how positions meet deeds:

  ``hash``
      one query: principals resolved through the roles table by a recursive
      CTE, then each position LEFT JOINed to the deeds of its (case,
      principal, issue) whose dates overlap its window (a hash join on the
      three columns with the overlap as a residual filter), grouped by
      (position, principal);
  ``folded``
      the same, with the key folded into the days (key * 2**22 + day), so
      that two inequalities alone (deed start <= window end, deed end >=
      window start) say "same key and overlapping": DuckDB plans them as an
      IEJoin. DuckDB plans no IEJoin in a query holding a recursive CTE or a
      CTE it materialises, so the principals are made into a temporary table
      first (timed with the query).

  The faster is the baseline (``baseline_seconds``, ``ratio`` = ``seconds`` /
  ``baseline_seconds``). Per pair the query computes the weight (status
  weight x the deed's share of the window: 1 for a deed that went on
  throughout; overlapping days / its days for one that happened once; for
  one with an open start, 1 when the window's start is open, else 0), counts
  a pair whose weight is above 0, and per row sums the weights agreeing and
  contradicting (stances 2 or more apart); the verdict is the first of
  not_testable (request, evidence, a conditional prediction or pledge), no
  deeds, both sides >= 0.75 (mixed), contradicting >= 0.75 (contradicted),
  agreeing >= 0.75 (consistent), else untested. The strongest status and
  the evidence ids (``list`` aggregates, in a run of the faster formulation
  with the lists, ``duckdb_evidence_seconds``) come from the deciding side:
  contradicting deeds for contradicted, agreeing for consistent, all counted
  ones otherwise. Every column is compared with say_do's (floats within
  1e-9 relative), the evidence ids as a set per row,

and times them all. Human-readable lines come first; the LAST line printed is
one JSON object (see ``main`` for its keys). The exit status is 1 when any check
fails.


Synthetic shape (``--actors`` 2,000, ``--issues`` 50, ``--cases`` 3 by default)
-----------------------------------------------------------------------------
Actors and roles
    10% states (ids ``AAA``, ``AAB``, ...), 30% government bodies, each an organ
    of a state (a role of kind ``state_organ``), 35% people acting for a body
    (60%) or a state, 5% spokespeople acting for a person (chains up to three
    links: spokesperson -> minister -> ministry -> state), and 20% armed groups,
    organisations, media, analysts, alliances and blocs, a fifth of them
    factions acting for another of these. Every link but an organ's is a role of
    kind ``official``; no role has dates (timeless), so every row's principals
    are the ends of its actors' chains. About 30% of actors are principals.
Cases and issues
    ``--cases`` cases; every position and deed falls in one, uniformly, and a
    position meets only deeds of its own case. ``--issues`` issues; each draw
    picks an issue with Zipf-like weights (1 / (rank + 2) ** 0.8).
Events (deeds) and event_issues
    Doer activity is skewed: weights 1 / (rank + 3) ** 1.05 over a random
    ranking with ten states at the top. 10% of deeds have a second doer (drawn
    the same way; ``doers`` ``a;b``) and, independently, 10% bear on a second
    issue (two ``event_issues`` rows with their own stances). Days fall over ten
    years, 2015-2024, with a density growing linearly in time. ``when`` is
    written at precision day 60% (``2024-09-23``), ISO week 3% (``2024-W39``),
    month 13% (``2024-09``), season 5% (``2024-23``, EDTF numbering,
    meteorological seasons), year 7% (``2024``) or range 12% (``A/B`` between
    two days, spans log-uniform from 2 weeks to 3 years around the day; a
    quarter of them open at the start, ``../B``). Stance on each issue: a base
    per (principal of the first doer, issue), uniform on -2..2, plus noise (0
    with 70%, +-1 with 12% each, +-2 with 3% each), clipped. Also: occurrence
    (``throughout`` 10%), action (uniform over the 16 PLOVER types), negated
    (10%), one target (30%). Ids ``e00000000``.
Event-data-shaped deeds (``--shape events``)
    The same draws, then every deed has one doer and one target, is dated to
    a day, happened ``once``, and is ``confirmed`` (46%) or ``reported`` (54%),
    as rows of an event data set (ACLED, GDELT) would be.
Positions (words)
    Speakers are drawn with weight (actor's deed weight) ** 0.7, tripled for
    people. ``said`` is a day uniform over 2015 to mid-2025, written at
    precision day 85%, month 10%, season 2%, year 3%. ``window`` is written
    ``START/END`` in days: looking back [said - L, said] 55%, a promise [said,
    said + L] 20%, around [said - L/2, said + L/2] 10%, open start
    (``../said``) 7%, open end (``said/..``) 6%, open both ways (``../..``) 2%;
    L log-uniform from 1 day to 5 years. Claim: own_conduct 35%, denial 15%,
    pledge 10%, request 10%, assessment 20%, prediction 10%; a fifth of the
    predictions and pledges have a ``condition`` (none on record: not testable;
    drawn from a stream of their own, so that no other column changes); an
    assessment is said by an analyst or outlet and, 70% of the time, is about a
    busy doer (``subjects``, drawn with the deed weights), 15% of those about two.
    Stance: the (principal, issue) base plus a per-(principal, issue)
    "hypocrisy" offset (0 with 60%, +-1 and +-2 with 10% each) plus the deed
    noise, clipped, for the principal of the first tested actor (subject, else
    speaker). Ids ``p0000000``.
Citations and sources
    One citation per position and per deed, at the row's status (deeds:
    confirmed 30%, reported 35%, alleged 20%, rumoured 7%, disputed 8%), from
    one of (positions + events) / 20 sources, never a denial; so each row's
    derived status is its citation's. Ids ``cp0000000`` and ``ce00000000``.

Every column handed to ``from_frames`` holds text (or integers and booleans),
as a curator's CSV would; the DuckDB baseline instead gets the generator's own
integer codes (actors, cases, issues, days since 1970, open bounds as
sentinels), lists already exploded to one row per doer, subject and issue, so
it does no string or date parsing. That favours DuckDB; ``say_do`` parses
nothing either (``from_frames`` did it), but starts from the ``;``-lists.

Peak memory
-----------
Unless ``--no-rss`` is given, a child process (this script with
``--child-rss``) generates the same frames, records its resident set, resets
the kernel's high-water mark (``/proc/self/clear_refs``) and runs
``from_frames`` (``from_frames_peak_rss_mb``); then it drops the frames,
collects garbage, hands freed heap back to the system (``malloc_trim``),
records its resident set again (``rss_before_mb``: the tables and the
interpreter), resets the mark and runs ``say_do`` once. ``peak_rss_mb`` is the
high-water mark during ``say_do`` (tables included); ``say_do_rss_increase_mb``
is ``peak_rss_mb - rss_before_mb``, the memory the engine itself needs on top
of its input; ``child_process_peak_rss_mb`` is the whole child's peak (the
largest of the three stages: on Linux, resetting the mark resets ``ru_maxrss``
too).
Where the high-water mark cannot be reset, the peaks are the whole child's and
``hwm_reset`` is false.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import hashlib
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

import research
from research import verdicts as _verdicts
from research.derive import STATUS_ORDER
from research.verdicts import CONTRADICTS_AT, DEFAULT_WEIGHTS, EPS, REASONS

#: Weighted evidence that settles a side (research.verdicts.DECIDES_AT, 0.75).
DECIDES_AT = getattr(_verdicts, "DECIDES_AT", 0.75)

DAY0 = np.datetime64("2015-01-01", "D")
SPAN = int((np.datetime64("2025-01-01", "D") - DAY0).astype(np.int64))  # ten years of deeds
SAID_SPAN = SPAN + 182  # words run half a year past the last deed
PRECISIONS = ("day", "week", "month", "season", "year", "range")
PRECISION_P = (0.60, 0.03, 0.13, 0.05, 0.07, 0.12)
SAID_PRECISIONS = (0, 2, 3, 4)  # day, month, season, year
SAID_PRECISION_P = (0.85, 0.10, 0.02, 0.03)
STATUS_P = {
    "confirmed": 0.30,
    "reported": 0.35,
    "alleged": 0.20,
    "rumoured": 0.07,
    "disputed": 0.08,
}
CLAIMS = ("own_conduct", "denial", "pledge", "request", "assessment", "prediction")
CLAIM_P = (0.35, 0.15, 0.10, 0.10, 0.20, 0.10)
ACTIONS = (
    "agree", "consult", "support", "concede", "cooperate", "aid", "retreat", "request",
    "accuse", "reject", "threaten", "protest", "sanction", "mobilize", "coerce", "assault",
)  # fmt: skip
NOISE = np.array([-2, -1, 0, 1, 2])
NOISE_P = (0.03, 0.12, 0.70, 0.12, 0.03)
HYPOCRISY_P = (0.10, 0.10, 0.60, 0.10, 0.10)
TWO_DOERS = 0.10  # share of deeds with a second doer
TWO_ISSUES = 0.10  # share of deeds that bear on a second issue
TWO_SUBJECTS = 0.15  # share of assessments about someone that are about two
CONDITIONAL = 0.20  # share of predictions and pledges with a condition (none on record)
SHAPES = ("mixed", "events")
EVENT_STATUSES = ("confirmed", "reported")  # the only statuses of event-shaped deeds
OPEN_LO = -(2**62)  # open window/event bounds in the DuckDB query
OPEN_HI = 2**62
EPOCH_OFFSET = int(DAY0.astype(np.int64))  # DAY0 in days since 1970


# --- synthetic tables ------------------------------------------------------------------


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """Object array of ``prefix`` + zero-padded numbers, built without a Python list."""
    chars = np.empty((n, len(prefix) + width), dtype=np.uint32)
    for i, c in enumerate(prefix):
        chars[:, i] = ord(c)
    x = np.arange(n, dtype=np.uint64)
    for k in range(width):
        q = x // 10
        chars[:, -1 - k] = x - q * 10 + 48
        x = q
    return chars.view(f"U{len(prefix) + width}").ravel().astype(object)


def _state_ids(n: int) -> list[str]:
    letters = [chr(65 + i) for i in range(26)]
    return [letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26] for i in range(n)]


def _draw(rng: np.random.Generator, p, n: int) -> np.ndarray:
    """Indices drawn with probabilities ``p`` (inverse CDF; fast for large n)."""
    cdf = np.cumsum(np.asarray(p, dtype=float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n)).astype(np.int64)


def _second(rng: np.random.Generator, first: np.ndarray, share: float, draw) -> np.ndarray:
    """A second, different value for a ``share`` of rows (-1 elsewhere)."""
    out = np.full(len(first), -1, dtype=np.int64)
    rows = np.flatnonzero(rng.random(len(first)) < share)
    other = draw(len(rows))
    keep = other != first[rows]
    out[rows[keep]] = other[keep]
    return out


def _join(a: np.ndarray, b: np.ndarray, sep: str = ";") -> np.ndarray:
    """Element-wise ``a + sep + b`` for arrays of text."""
    return np.strings.add(np.strings.add(a.astype(str), sep), b.astype(str))


def _day_text(days: np.ndarray) -> np.ndarray:
    """Days since DAY0 as ``YYYY-MM-DD``."""
    return (DAY0 + days).astype("datetime64[D]").astype(str)


def _written(days: np.ndarray, precision: np.ndarray, rng_lo=None, rng_hi=None, open_lo=None):
    """Write each day at its precision (codes into PRECISIONS).

    Returns the text (object array) and the first and last day it can mean, as
    days since DAY0; a range runs over [rng_lo, rng_hi] (``../B`` where open_lo).
    """
    n = len(days)
    text = np.empty(n, dtype=object)
    first = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    for code, name in enumerate(PRECISIONS):
        rows = np.flatnonzero(precision == code)
        if not rows.size:
            continue
        d = DAY0 + days[rows]
        if name == "day":
            lo, hi, t = d, d, _day_text(days[rows])
        elif name == "week":  # ISO week: Monday to Sunday, the year of its Thursday
            dn = d.astype(np.int64)
            monday = dn - (dn + 3) % 7  # 1970-01-01 was a Thursday
            thursday = (monday + 3).astype("datetime64[D]")
            year = thursday.astype("datetime64[Y]")
            week = (thursday - year.astype("datetime64[D]")).astype(np.int64) // 7 + 1
            lo, hi = monday.astype("datetime64[D]"), (monday + 6).astype("datetime64[D]")
            t = _join(year.astype(str), np.strings.zfill(week.astype(str), 2), "-W")
        elif name == "month":
            month = d.astype("datetime64[M]")
            lo, hi, t = month, (month + 1).astype("datetime64[D]") - 1, month.astype(str)
        elif name == "season":  # Dec-Feb is winter of December's year (EDTF 24)
            month = d.astype("datetime64[M]")
            first_month = month - (month.astype(np.int64) % 12 - 2) % 3
            number = 21 + (first_month.astype(np.int64) % 12 - 2) // 3
            lo, hi = first_month, (first_month + 3).astype("datetime64[D]") - 1
            t = _join(first_month.astype("datetime64[Y]").astype(str), number.astype(str), "-")
        elif name == "year":
            year = d.astype("datetime64[Y]")
            lo, hi, t = year, (year + 1).astype("datetime64[D]") - 1, year.astype(str)
        else:
            a, b = rng_lo[rows], rng_hi[rows]
            lo, hi = DAY0 + a, DAY0 + b
            t = _join(_day_text(a), _day_text(b), "/")
            opened = open_lo[rows]
            t[opened] = np.strings.add("../", _day_text(b[opened]))
        text[rows] = t.astype(object)
        first[rows] = (np.asarray(lo, dtype="datetime64[D]") - DAY0).astype(np.int64)
        last[rows] = (np.asarray(hi, dtype="datetime64[D]") - DAY0).astype(np.int64)
    return text, first, last


def _actors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Actor ids, kinds and the parent each acts for (-1: none)."""
    n_states = max(1, n // 10)
    n_bodies = int(n * 0.30)
    n_people = int(n * 0.35)
    n_spokes = int(n * 0.05)
    n_other = max(0, n - n_states - n_bodies - n_people - n_spokes)
    parent = np.full(n, -1, dtype=np.int64)
    kind = np.empty(n, dtype=object)
    ids = np.empty(n, dtype=object)
    s0, b0 = 0, n_states
    p0 = b0 + n_bodies
    k0 = p0 + n_people
    o0 = k0 + n_spokes
    ids[s0:b0] = _state_ids(n_states)
    kind[s0:b0] = "state"
    ids[b0:p0] = [f"body{i:04d}" for i in range(n_bodies)]
    kind[b0:p0] = "government_body"
    parent[b0:p0] = rng.integers(0, n_states, n_bodies)
    ids[p0:k0] = [f"person{i:04d}" for i in range(n_people)]
    kind[p0:k0] = "person"
    to_body = rng.random(n_people) < 0.6
    parent[p0:k0] = np.where(
        to_body & (n_bodies > 0),
        b0 + rng.integers(0, max(n_bodies, 1), n_people),
        rng.integers(0, n_states, n_people),
    )
    ids[k0:o0] = [f"spokes{i:04d}" for i in range(n_spokes)]
    kind[k0:o0] = "person"
    if n_people:
        parent[k0:o0] = p0 + rng.integers(0, n_people, n_spokes)
    other_kinds = np.array(["armed_group", "organisation", "media", "analyst", "alliance", "bloc"])
    ids[o0:] = [f"group{i:04d}" for i in range(n_other)]
    kind[o0:] = other_kinds[rng.integers(0, len(other_kinds), n_other)]
    for i in range(1, n_other):  # factions act for an earlier group
        if rng.random() < 0.2:
            parent[o0 + i] = o0 + rng.integers(0, i)
    return ids, kind, parent


def _principals(parent: np.ndarray) -> np.ndarray:
    principal = np.arange(len(parent))
    while True:
        up = parent[principal]
        has = up >= 0
        if not has.any():
            return principal
        principal = np.where(has, up, principal)


def _new_position_columns() -> tuple[str, ...]:
    """``counterpart`` and ``condition_event``, when the engine's schema has them."""
    try:
        from research.schema import schema

        table = next(t for t in schema().tables if t.name == "positions")
        return tuple(c for c in ("counterpart", "condition_event") if c in table.columns)
    except (ImportError, StopIteration, AttributeError):
        return ()


_NEW_POSITION_COLUMNS = _new_position_columns()


@dataclass
class Synthetic:
    """The frames for ``from_frames``, the integer tables for DuckDB, and labels."""

    frames: dict[str, pd.DataFrame]
    duck: dict[str, pd.DataFrame]
    position_ids: np.ndarray  # position id by DuckDB ``pid``
    actor_by_rank: np.ndarray  # actor id by DuckDB actor code (the ids' sort order)
    generate_seconds: float


def build(
    n_positions: int,
    n_events: int,
    seed: int = 0,
    n_actors: int = 2000,
    n_issues: int = 50,
    n_cases: int = 3,
    shape: str = "mixed",
) -> Synthetic:
    """Seeded synthetic v2 frames of the shape the module docstring describes.

    ``shape="events"`` makes every deed event-data-shaped (one doer, one target,
    dated to a day, ``once``, confirmed or reported); the random draws are the
    same, so every other column is as in the default ``"mixed"`` shape.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    event_shaped = shape == "events"
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    ids, kind, parent = _actors(rng, n_actors)
    principal = _principals(parent)
    rank = np.empty(n_actors, dtype=np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(n_actors)
    issue_ids = np.array([f"issue{i:02d}" for i in range(n_issues)], dtype=object)
    case_ids = np.array([f"case{i}" for i in range(n_cases)], dtype=object)
    n_sources = max(1, (n_events + n_positions) // 20)
    source_ids = _ids("src", n_sources, 7)

    # Activity: a random ranking with ten states on top; Zipf-like weights.
    states = np.flatnonzero(kind == "state")
    top = rng.choice(states, size=min(10, len(states)), replace=False)
    rest = rng.permutation(np.setdiff1d(np.arange(n_actors), top))
    order = np.empty(n_actors, dtype=np.int64)
    order[np.concatenate([top, rest])] = np.arange(n_actors)
    ev_weight = 1.0 / (order + 3.0) ** 1.05
    pos_weight = ev_weight**0.7 * np.where(kind == "person", 3.0, 1.0)
    issue_weight = 1.0 / (rng.permutation(n_issues) + 2.0) ** 0.8
    base = rng.integers(-2, 3, size=(n_actors, n_issues), dtype=np.int64)
    hypocrisy = NOISE[_draw(rng, HYPOCRISY_P, n_actors * n_issues)].reshape(n_actors, n_issues)
    analysts = np.flatnonzero(np.isin(kind, ["analyst", "media"]))

    def doers_draw(k: int) -> np.ndarray:
        return _draw(rng, ev_weight, k)

    def issues_draw(k: int) -> np.ndarray:
        return _draw(rng, issue_weight, k)

    # --- events and event_issues ---
    m = n_events
    e_case = rng.integers(0, n_cases, m)
    doer1 = doers_draw(m)
    doer2 = _second(rng, doer1, TWO_DOERS, doers_draw)
    if event_shaped:
        doer2[:] = -1
    issue1 = issues_draw(m)
    issue2 = _second(rng, issue1, TWO_ISSUES, issues_draw)
    day = (SPAN * np.sqrt(rng.random(m))).astype(np.int64)  # density grows over time
    prec = _draw(rng, PRECISION_P, m)
    if event_shaped:
        prec[:] = PRECISIONS.index("day")
    span = _log_uniform(rng, 14, 3 * 365, m)
    range_lo = day - span // 2
    open_start = (prec == PRECISIONS.index("range")) & (rng.random(m) < 0.25)
    when, ev_first, ev_last = _written(day, prec, range_lo, range_lo + span, open_start)
    del span, range_lo
    status_p = [0.0 if event_shaped and s not in EVENT_STATUSES else p for s, p in STATUS_P.items()]
    status = _draw(rng, status_p, m)
    two = np.flatnonzero(doer2 >= 0)
    doers = ids[doer1]
    doers[two] = _join(ids[doer1[two]], ids[doer2[two]]).astype(object)
    targeted = rng.random(m) < 0.3
    targets = np.where(targeted | event_shaped, ids[rng.integers(0, n_actors, m)], None)
    claimed = doer1.copy()
    if len(analysts):  # 30% of deeds are claimed by an analyst or outlet
        other = rng.random(m) >= 0.7
        claimed[other] = analysts[rng.integers(0, len(analysts), int(other.sum()))]
    event_ids = _ids("e", m, 8)
    throughout = (rng.random(m) < 0.1) & (not event_shaped)
    events = pd.DataFrame(
        {
            "event_id": event_ids,
            "case_id": pd.Categorical.from_codes(e_case, categories=case_ids),
            "doers": doers,
            "targets": targets,
            "when": when,
            "occurrence": np.where(throughout, "throughout", "once").astype(object),
            "action": pd.Categorical.from_codes(
                rng.integers(0, len(ACTIONS), m), categories=list(ACTIONS)
            ),
            "negated": rng.random(m) < 0.1,
            "summary": "synthetic deed",
        }
    )
    del doers, targets, when
    # One event_issues row per (deed, issue), grouped by deed.
    ei_event = np.concatenate([np.arange(m), np.flatnonzero(issue2 >= 0)])
    ei_issue = np.concatenate([issue1, issue2[issue2 >= 0]])
    ei_order = np.argsort(ei_event, kind="stable")
    ei_event, ei_issue = ei_event[ei_order], ei_issue[ei_order]
    ei_noise = NOISE[_draw(rng, NOISE_P, len(ei_event))]
    ei_stance = np.clip(base[principal[doer1[ei_event]], ei_issue] + ei_noise, -2, 2)
    event_issues = pd.DataFrame(
        {
            "event_id": event_ids[ei_event],
            "issue_id": pd.Categorical.from_codes(ei_issue, categories=issue_ids),
            "stance": ei_stance.astype(np.int8),
        }
    )

    # --- positions ---
    n = n_positions
    p_case = rng.integers(0, n_cases, n)
    speaker = _draw(rng, pos_weight, n)
    claim = _draw(rng, CLAIM_P, n)
    assess = np.flatnonzero(claim == CLAIMS.index("assessment"))
    subject1 = np.full(n, -1, dtype=np.int64)
    if len(analysts) and len(assess):  # said by an analyst or outlet, mostly about a doer
        speaker[assess] = analysts[rng.integers(0, len(analysts), len(assess))]
        about = assess[rng.random(len(assess)) < 0.7]
        subject1[about] = doers_draw(len(about))
    subject2 = np.full(n, -1, dtype=np.int64)
    about = np.flatnonzero(subject1 >= 0)
    subject2[about] = _second(rng, subject1[about], TWO_SUBJECTS, doers_draw)
    tested1 = np.where(subject1 >= 0, subject1, speaker)
    p_issue = issues_draw(n)
    said_day = rng.integers(0, SAID_SPAN, n)
    said_prec = np.asarray(SAID_PRECISIONS)[_draw(rng, SAID_PRECISION_P, n)]
    said, _, said_last = _written(said_day, said_prec)
    length = _log_uniform(rng, 1, 5 * 365, n)
    kind_of_window = _draw(rng, (0.55, 0.20, 0.10, 0.07, 0.06, 0.02), n)
    lo = np.choose(
        kind_of_window, [said_day - length, said_day, said_day - length // 2] + [said_day] * 3
    )
    hi = np.choose(
        kind_of_window, [said_day, said_day + length, said_day + length // 2] + [said_day] * 3
    )
    lo_open = np.isin(kind_of_window, (3, 5))
    hi_open = np.isin(kind_of_window, (4, 5))
    window = _join(
        np.where(lo_open, "..", _day_text(lo)), np.where(hi_open, "..", _day_text(hi)), "/"
    ).astype(object)
    p_principal = principal[tested1]
    p_noise = NOISE[_draw(rng, NOISE_P, n)]
    p_stance = np.clip(
        base[p_principal, p_issue] + hypocrisy[p_principal, p_issue] + p_noise, -2, 2
    ).astype(np.int8)
    subjects = np.where(subject1 >= 0, ids[np.maximum(subject1, 0)], None)
    both = np.flatnonzero(subject2 >= 0)
    subjects[both] = _join(ids[subject1[both]], ids[subject2[both]]).astype(object)
    position_ids = _ids("p", n, 7)
    # Conditions come from a stream of their own, so every other column stays as it was.
    conditional = np.isin(claim, [CLAIMS.index("prediction"), CLAIMS.index("pledge")]) & (
        np.random.default_rng([seed, 1]).random(n) < CONDITIONAL
    )
    positions = pd.DataFrame(
        {
            "position_id": position_ids,
            "case_id": pd.Categorical.from_codes(p_case, categories=case_ids),
            "speaker_id": ids[speaker],
            "subjects": subjects,
            "issue_id": pd.Categorical.from_codes(p_issue, categories=issue_ids),
            "stance": p_stance,
            "claim": pd.Categorical.from_codes(claim, categories=list(CLAIMS)),
            "voice": np.where(rng.random(n) < 0.8, "own_words", "described").astype(object),
            "condition": np.where(conditional, "synthetic condition", None),
            "said": said,
            "window": window,
            "summary": "synthetic position",
        }
    )
    for column in _NEW_POSITION_COLUMNS:  # columns of a newer schema, left empty
        positions[column] = None
    del subjects, said, window

    # --- citations: one per row, at its status ---
    p_status = _draw(rng, list(STATUS_P.values()), n)
    citations = pd.DataFrame(
        {
            "citation_id": np.concatenate([_ids("cp", n, 7), _ids("ce", m, 8)]),
            "position_id": np.concatenate([position_ids, np.full(m, None, dtype=object)]),
            "event_id": np.concatenate([np.full(n, None, dtype=object), event_ids]),
            "source_id": source_ids[rng.integers(0, n_sources, n + m)],
            "claimed_by": np.concatenate([ids[speaker], ids[claimed]]),
            "status": pd.Categorical.from_codes(
                np.concatenate([p_status, status]), categories=list(STATUS_P)
            ),
            "denies": np.zeros(n + m, dtype=bool),
        }
    )

    # --- registries ---
    child = np.flatnonzero(parent >= 0)
    roles = pd.DataFrame(
        {
            "role_id": _ids("r", len(child), 5),
            "actor_id": ids[child],
            "for_id": ids[parent[child]],
            "kind": np.where(kind[child] == "government_body", "state_organ", "official"),
            "source_id": source_ids[rng.integers(0, n_sources, len(child))],
        }
    )
    frames = {
        "cases": pd.DataFrame(
            {"case_id": case_ids, "title": case_ids, "description": "synthetic case"}
        ),
        "sources": pd.DataFrame(
            {
                "source_id": source_ids,
                "title": "synthetic source",
                "outlet": "synthetic outlet",
                "kind": "news_report",
            }
        ),
        "actors": pd.DataFrame(
            {
                "actor_id": ids,
                "name": np.array([f"Actor {a}" for a in ids], dtype=object),
                "kind": kind,
                "source_id": source_ids[rng.integers(0, n_sources, n_actors)],
            }
        ),
        "roles": roles,
        "issues": pd.DataFrame(
            {
                "issue_id": issue_ids,
                "name": issue_ids,
                "description": "synthetic issue",
                "minus2": "against",
                "plus2": "for",
                "source_id": source_ids[rng.integers(0, n_sources, n_issues)],
            }
        ),
        "positions": positions,
        "events": events,
        "event_issues": event_issues,
        "citations": citations,
    }

    # Integer tables for the DuckDB baseline, from the generator's own codes (not from
    # the engine). Actors are coded by their ids' sort order, so that ordering by code
    # orders principals as say_do does; days count from 1970; open bounds are sentinels.
    def days(values: np.ndarray, open_mask: np.ndarray, sentinel: int) -> np.ndarray:
        out = values + EPOCH_OFFSET
        out[open_mask] = sentinel
        return out

    has_two = subject2 >= 0
    duck = {
        "actors": pd.DataFrame({"actor": np.arange(n_actors, dtype=np.int64)}),
        "roles": pd.DataFrame({"actor_id": rank[child], "for_id": rank[parent[child]]}),
        "positions": pd.DataFrame(
            {
                "pid": np.arange(n, dtype=np.int64),
                "case_id": p_case,
                "issue": p_issue,
                "lo": days(lo, lo_open, OPEN_LO),
                "hi": days(hi, hi_open, OPEN_HI),
                "stance": p_stance,
                "claim": pd.Categorical.from_codes(claim, categories=list(CLAIMS)),
                "conditional": conditional,
                "said_last": said_last + EPOCH_OFFSET,
            }
        ),
        "position_tested": pd.DataFrame(
            {
                "pid": np.concatenate([np.arange(n), np.flatnonzero(has_two)]),
                "actor": np.concatenate([rank[tested1], rank[subject2[has_two]]]),
            }
        ),
        "events": pd.DataFrame(
            {
                "eid": np.arange(m, dtype=np.int64),
                "case_id": e_case,
                "ev_start": days(ev_first, open_start, OPEN_LO),
                "ev_end": days(ev_last, np.zeros(m, dtype=bool), OPEN_HI),
                "status": pd.Categorical.from_codes(status, categories=list(STATUS_P)),
                "precision": pd.Categorical.from_codes(prec, categories=list(PRECISIONS)),
                "throughout": throughout,
            }
        ),
        "event_doers": pd.DataFrame(
            {
                "eid": np.concatenate([np.arange(m), two]),
                "actor": np.concatenate([rank[doer1], rank[doer2[two]]]),
            }
        ),
        "event_issues": pd.DataFrame(
            {"eid": ei_event, "issue": ei_issue, "stance": ei_stance.astype(np.int8)}
        ),
    }
    actor_by_rank = np.empty(n_actors, dtype=object)
    actor_by_rank[rank] = ids
    return Synthetic(frames, duck, position_ids, actor_by_rank, time.perf_counter() - t0)


@contextlib.contextmanager
def _stopwatch(parts: dict[str, float]):
    """Time the two big steps inside ``from_frames``: the checks and the derived columns.

    Wraps ``research.load._check_all`` (every cell, key, reference and rule) and
    ``research.derive.derive`` while the block runs; what remains of
    ``from_frames`` is writing cells out as text and building the typed frames.
    """
    import importlib

    # research.load is also the name of a function: import the modules by their paths.
    load_module = importlib.import_module("research.load")
    derive_module = importlib.import_module("research.derive")
    originals = {
        "checks": (load_module, "_check_all"),
        "derive": (derive_module, "derive"),
    }
    saved = {name: getattr(mod, attr) for name, (mod, attr) in originals.items()}

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    for name, (mod, attr) in originals.items():
        setattr(mod, attr, timed(name, saved[name]))
    try:
        yield parts
    finally:
        for name, (mod, attr) in originals.items():
            setattr(mod, attr, saved[name])


def from_frames(syn: Synthetic) -> tuple[research.Tables, float, dict[str, float]]:
    """``Tables.from_frames`` on the synthetic frames: (tables, seconds, parts)."""
    parts: dict[str, float] = {}
    gc.collect()
    with _stopwatch(parts):
        t = time.perf_counter()
        tables = research.Tables.from_frames(**syn.frames)
        seconds = time.perf_counter() - t
    parts["text_and_frames"] = seconds - sum(parts.values())
    return tables, seconds, parts


# --- DuckDB baselines -----------------------------------------------------------------

#: Two ways to join each position's window to the deeds of its (case, principal, issue):
#: ``hash`` joins on the three columns and filters the overlap; ``folded`` folds the key
#: into the days (key * 2**DAY_BITS + day), so that the overlap test alone (two
#: inequalities, no equality) says both "same key" and "dates overlap", which DuckDB
#: plans as a range join (IEJoin).
FORMULATIONS = ("hash", "folded")
DAY_BITS = 22  # 2**22 days (11,000 years) per key in a folded bound
#: The verdict rules, first match wins: (code, verdict, reason key). Codes 1-3 are the
#: claims deeds cannot test (``untestable`` in the query).
RULES = (
    (1, "not_testable", "not_testable_request"),
    (2, "not_testable", "not_testable_evidence"),
    (3, "not_testable", "not_testable_condition"),
    (4, "untested", "no_deeds"),
    (5, "mixed", "both_ways"),
    (6, "contradicted", "firm_contradiction"),
    (7, "consistent", "firm_agreement"),
    (8, "untested", "weak_only"),
)


#: Each actor's principal: the end of its chain of roles (a recursive CTE).
PRINCIPALS = """up(actor, cur) AS (
    SELECT actor, actor FROM actors
    UNION
    SELECT up.actor, roles.for_id FROM up JOIN roles ON roles.actor_id = up.cur
),
principal_of AS (
    SELECT actor, cur AS principal FROM up
    WHERE NOT EXISTS (SELECT 1 FROM roles WHERE roles.actor_id = up.cur)
)"""


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_sql(
    weights: dict[str, float],
    formulation: str = "hash",
    evidence: bool = False,
    n_actors: int = 2000,
    n_issues: int = 50,
) -> list[str]:
    """The statements of one formulation; the last gives one row per (position, principal).

    Principals through roles (a recursive CTE), each position LEFT JOINed to the
    deeds of its (case, principal, issue) whose dates overlap its window, grouped
    by (position, principal): the counted pairs (weight > 0, the weight being the
    status weight x the deed's share of the window), the weights on each side,
    the verdict by the first rule that holds, the strongest status and, with
    ``evidence``, the deciding event ids (``list`` aggregates) on the deciding
    side.
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}")
    w_case = " ".join(f"WHEN '{s}' THEN CAST({float(w)!r} AS DOUBLE)" for s, w in weights.items())
    rank_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUS_ORDER))
    at = f"{DECIDES_AT - EPS!r}"  # a side decides at DECIDES_AT, with tolerance EPS
    verdict = " ".join(f"WHEN {c} THEN '{v}'" for c, v, _ in RULES)
    reason = " ".join(f"WHEN {c} THEN {_sql_text(REASONS.get(k, k))}" for c, _, k in RULES)
    big = 2**DAY_BITS
    base = EPOCH_OFFSET - big // 2  # day numbers of the folded bounds start here

    def fold(day: str, open_value: int, open_code: int) -> str:
        key = f"((case_id * {n_actors} + principal) * {n_issues} + issue)"
        inside = f"least(greatest({day} - {base}, 1), {big - 2})"
        return f"{key} * {big} + CASE WHEN {day} = {open_value} THEN {open_code} ELSE {inside} END"

    if formulation == "hash":
        pos_keys = deed_keys = ""
        join = (
            "d.case_id = p.case_id AND d.principal = p.principal AND d.issue = p.issue\n"
            "       AND d.ev_start <= p.hi AND d.ev_end >= p.lo\n"
            "       AND p.untestable = 0 AND p.lo <= p.hi"
        )
    else:
        # A row deeds cannot test gets bounds no folded deed can meet.
        never = "untestable > 0 OR lo > hi"
        pos_keys = (
            f",\n           CASE WHEN {never} THEN {2**62} ELSE {fold('lo', OPEN_LO, 0)} END"
            " AS lo_key,"
            f"\n           CASE WHEN {never} THEN -1 ELSE {fold('hi', OPEN_HI, big - 1)} END"
            " AS hi_key"
        )
        deed_keys = (
            f",\n           {fold('ev_start', OPEN_LO, 0)} AS s_key,"
            f"\n           {fold('ev_end', OPEN_HI, big - 1)} AS e_key"
        )
        join = "d.s_key <= p.hi_key AND d.e_key >= p.lo_key"
    lists = (
        ",\n           list(eid) FILTER (WHERE weight > 0 AND contra) AS ids_contra,"
        "\n           list(eid) FILTER (WHERE weight > 0 AND NOT contra) AS ids_agree,"
        "\n           list(eid) FILTER (WHERE weight > 0) AS ids_all"
        if evidence
        else ""
    )
    evidence_column = (
        ",\n       CASE WHEN rule = 6 THEN ids_contra WHEN rule = 7 THEN ids_agree"
        "\n            WHEN rule IN (5, 8) THEN ids_all ELSE CAST([] AS BIGINT[]) END"
        " AS evidence_ids"
        if evidence
        else ""
    )
    query = f"""
{"WITH RECURSIVE " + PRINCIPALS + "," if formulation == "hash" else "WITH"}
tested AS (
    SELECT DISTINCT t.pid, pr.principal
    FROM position_tested AS t JOIN principal_of AS pr ON pr.actor = t.actor
),
pos AS (
    -- A prediction meets only deeds after it was said. Not testable: 1 a request,
    -- 2 a statement about evidence, 3 a conditional prediction or pledge.
    SELECT *{pos_keys}
    FROM (
        SELECT p.pid, t.principal, p.case_id, p.issue, p.stance AS stated, p.hi,
               CASE WHEN p.claim = 'prediction' THEN greatest(p.lo, p.said_last + 1)
                    ELSE p.lo END AS lo,
               CASE WHEN p.claim = 'request' THEN 1
                    WHEN p.claim = 'evidence' THEN 2
                    WHEN p.conditional AND p.claim IN ('prediction', 'pledge') THEN 3
                    ELSE 0 END AS untestable
        FROM positions AS p JOIN tested AS t ON t.pid = p.pid
    )
),
deed_principals AS (
    SELECT DISTINCT d.eid, pr.principal
    FROM event_doers AS d JOIN principal_of AS pr ON pr.actor = d.actor
),
deeds AS (
    SELECT *{deed_keys}
    FROM (
        SELECT e.eid, e.case_id, dp.principal, ei.issue, e.ev_start, e.ev_end, ei.stance,
               CASE e.status {w_case} ELSE 0.0 END AS w,
               CASE e.status {rank_case} END AS status_rank,
               e.throughout, e.precision <> 'day' AS imprecise
        FROM events AS e
        JOIN deed_principals AS dp ON dp.eid = e.eid
        JOIN event_issues AS ei ON ei.eid = e.eid
    )
    WHERE w > 0
),
pairs AS (
    -- Weight: status weight x share of the deed in the window. Throughout: 1; once:
    -- the share of its days inside; once with an open start: 1 if the window's
    -- start is open too, else 0. NULL where no deed meets the row.
    SELECT p.pid, p.principal, p.stated, p.untestable, d.eid, d.stance, d.status_rank,
           d.imprecise, abs(d.stance - p.stated) >= {CONTRADICTS_AT} AS contra,
           d.w * CASE
               WHEN d.throughout THEN 1.0
               WHEN d.ev_start = {OPEN_LO} THEN CASE WHEN p.lo = {OPEN_LO} THEN 1.0 ELSE 0.0 END
               ELSE CAST(least(d.ev_end, p.hi) - greatest(d.ev_start, p.lo) + 1 AS DOUBLE)
                    / CAST(d.ev_end - d.ev_start + 1 AS DOUBLE)
           END AS weight
    FROM pos AS p LEFT JOIN deeds AS d
      ON {join}
),
counted AS (
    -- A pair counts when its weight is above 0: the test sits in each aggregate's
    -- FILTER, not in a WHERE that DuckDB would push into the join's conditions.
    SELECT pid, principal, stated, untestable,
           count(*) FILTER (WHERE weight > 0) AS n_deeds,
           count(*) FILTER (WHERE weight > 0 AND contra) AS n_contradicting,
           count(*) FILTER (WHERE weight > 0 AND imprecise) AS n_imprecise,
           coalesce(sum(weight) FILTER (WHERE weight > 0 AND NOT contra), 0.0)
               AS weight_agreeing,
           coalesce(sum(weight) FILTER (WHERE weight > 0 AND contra), 0.0)
               AS weight_contradicting,
           sum(weight * stance) FILTER (WHERE weight > 0)
               / sum(weight) FILTER (WHERE weight > 0) AS deed_stance,
           min(status_rank) FILTER (WHERE weight > 0) AS rank_all,
           min(status_rank) FILTER (WHERE weight > 0 AND contra) AS rank_contra,
           min(status_rank) FILTER (WHERE weight > 0 AND NOT contra) AS rank_agree{lists}
    FROM pairs
    GROUP BY pid, principal, stated, untestable
),
verdicts AS (
    SELECT *,
           CASE
               WHEN untestable > 0 THEN untestable
               WHEN n_deeds = 0 THEN 4
               WHEN weight_contradicting >= {at} AND weight_agreeing >= {at} THEN 5
               WHEN weight_contradicting >= {at} THEN 6
               WHEN weight_agreeing >= {at} THEN 7
               ELSE 8
           END AS rule
    FROM counted
)
SELECT pid, principal, n_deeds, n_deeds - n_contradicting AS n_agreeing, n_contradicting,
       n_imprecise, weight_agreeing, weight_contradicting,
       deed_stance, stated - deed_stance AS gap,
       CASE rule {verdict} END AS verdict,
       CASE rule {reason} END AS reason,
       CASE WHEN rule = 6 THEN rank_contra WHEN rule = 7 THEN rank_agree ELSE rank_all END
           AS strongest_status{evidence_column}
FROM verdicts
ORDER BY pid, principal
"""
    if formulation == "hash":
        return [query]
    # DuckDB plans no IEJoin in a query with a recursive CTE (nor beside a CTE it
    # materialises): the principals are a table made first.
    return [
        f"CREATE OR REPLACE TEMP TABLE principal_of AS WITH RECURSIVE {PRINCIPALS}\n"
        "SELECT * FROM principal_of",
        query,
    ]


def _unmask(result: dict) -> dict:
    """NULLs (deed stance of untested rows, their strongest status) arrive masked."""
    for name, values in result.items():
        if isinstance(values, np.ma.MaskedArray):
            if values.dtype.kind == "f":
                result[name] = values.filled(np.nan)
            else:
                data = values.data.astype(object)
                data[np.ma.getmaskarray(values)] = None
                result[name] = data
    return result


def _connect(syn: Synthetic):
    """An in-memory DuckDB (2 threads, no progress bar) with the integer tables registered."""
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    for name, frame in syn.duck.items():
        con.register(name, frame)
    return con


def _statements(syn: Synthetic, formulation: str, evidence: bool) -> list[str]:
    n_issues = 1 + int(
        max(syn.duck["positions"]["issue"].max(), syn.duck["event_issues"]["issue"].max())
    )
    return duckdb_sql(DEFAULT_WEIGHTS, formulation, evidence, len(syn.actor_by_rank), n_issues)


def run_duckdb(
    syn: Synthetic, repeat: int, formulation: str, evidence: bool = False
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Time one formulation ``repeat`` times; its rows with the labels say_do prints."""
    con = _connect(syn)
    statements = _statements(syn, formulation, evidence)
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        for sql in statements[:-1]:
            con.execute(sql)
        result = con.execute(statements[-1]).fetchnumpy()
        times.append(time.perf_counter() - t)
    con.close()
    result = _unmask(result)
    # Codes back to the labels say_do prints.
    result["position_id"] = syn.position_ids[np.asarray(result["pid"], dtype=np.int64)]
    result["principal"] = syn.actor_by_rank[np.asarray(result["principal"], dtype=np.int64)]
    result["strongest_status"] = np.array(
        [None if r is None else STATUS_ORDER[int(r)] for r in result["strongest_status"]],
        dtype=object,
    )
    return result, times


def duckdb_join_operators(syn: Synthetic, formulation: str) -> list[str]:
    """The join operators in DuckDB's plan for a formulation (from EXPLAIN)."""
    con = _connect(syn)
    *first, sql = _statements(syn, formulation, False)
    for statement in first:
        con.execute(statement)
    plan = "\n".join(str(row[1]) for row in con.execute("EXPLAIN " + sql).fetchall())
    con.close()
    names = ("IE Join", "Piecewise Merge Join", "Hash Join", "Nested Loop Join", "Blockwise NL")
    return sorted({name for name in names if name in plan})


# --- checks --------------------------------------------------------------------------


COUNTS = ("n_deeds", "n_agreeing", "n_contradicting", "n_imprecise")
LABELS = ("verdict", "reason", "strongest_status", "position_id", "principal")
FLOATS = ("weight_agreeing", "weight_contradicting", "deed_stance", "gap")
DUCKDB_COLUMNS = [
    "position_id", "principal", *COUNTS, *FLOATS, "verdict", "reason", "strongest_status",
]  # fmt: skip
REFERENCE_COLUMNS = DUCKDB_COLUMNS


def _float_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-12)


def _labels(values) -> np.ndarray:
    s = pd.Series(values).astype(object)
    return s.where(s.notna(), None).to_numpy()


def compare(fast: pd.DataFrame, other, columns: list[str]) -> dict:
    """Per-column mismatch counts between the fast result and a baseline."""
    bad = {}
    for col in columns:
        if col not in fast or col not in other:
            bad[col] = "missing"
            continue
        a, b = fast[col].to_numpy(), np.asarray(other[col])
        if len(a) != len(b):
            bad[col] = f"length {len(a)} != {len(b)}"
            continue
        if col in FLOATS:
            ok = _float_equal(a, b)
        elif col in LABELS:
            ok = _labels(a) == _labels(b)
        else:
            ok = a.astype(np.int64) == np.asarray(b).astype(np.int64)
        if not ok.all():
            bad[col] = int((~ok).sum())
    return bad


def _id_numbers(ids: np.ndarray) -> np.ndarray:
    """Event ids ``e00000123`` as the generator's numbers (its ``eid``)."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    return np.strings.slice(ids.astype(str), 1, None).astype(np.int64)


def say_do_evidence(lists) -> tuple[np.ndarray, np.ndarray]:
    """Per row the number of evidence ids, and every id as a number, row after row."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(itertools.chain.from_iterable(lists), dtype=object, count=lengths.sum())
    return lengths, _id_numbers(flat)


def duckdb_evidence(lists) -> tuple[np.ndarray, np.ndarray]:
    """The same from DuckDB's ``list(eid)`` column (an array per row)."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    flat = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists if len(x)] or [[]])
    return lengths, flat.astype(np.int64)


def compare_evidence(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> int:
    """Rows whose sets of evidence ids differ (order within a row does not matter)."""
    (len_a, ids_a), (len_b, ids_b) = a, b
    if len(len_a) != len(len_b):
        return max(len(len_a), len(len_b))
    bad = len_a != len_b
    if bad.any():
        return int(bad.sum())  # sets of other sizes; the rest are not compared
    row = np.repeat(np.arange(len(len_a)), len_a)
    sa, sb = ids_a[np.lexsort((ids_a, row))], ids_b[np.lexsort((ids_b, row))]
    return int(len(np.unique(row[sa != sb])))


# --- timing helpers ------------------------------------------------------------------


def _fast(tables: research.Tables) -> pd.DataFrame:
    return research.say_do(tables, evidence=False)


def _time_fast(tables: research.Tables, repeat: int) -> tuple[pd.DataFrame, list[float]]:
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        result = _fast(tables)
        times.append(time.perf_counter() - t)
    return result, times


def _with_positions(tables: research.Tables, k: int) -> research.Tables:
    return dataclasses.replace(tables, positions=tables.positions.iloc[:k].reset_index(drop=True))


def run_reference(tables: research.Tables, limit: int, budget: float, log) -> dict:
    """Time the reference on a prefix, extrapolate, and run it whole when affordable."""
    from research.reference import say_do_reference

    n_pos, n_ev = len(tables.positions), len(tables.events)
    out = {"reference_seconds": None, "equal_reference": None, "reference_estimate_seconds": None}
    if n_pos > limit:
        log(f"reference: skipped ({n_pos:,} positions > --reference-limit {limit:,})")
        out["reference_skipped"] = "positions over --reference-limit"
        return out
    k = int(max(1, min(n_pos, math.ceil(5_000_000 / max(n_ev, 1)))))
    t = time.perf_counter()
    say_do_reference(_with_positions(tables, 0))
    fixed = time.perf_counter() - t
    prefix = _with_positions(tables, k)
    t = time.perf_counter()
    slow = say_do_reference(prefix)
    t_k = time.perf_counter() - t
    bad = compare(_fast(prefix), slow, REFERENCE_COLUMNS)
    estimate = fixed + max(t_k - fixed, 0.0) * n_pos / k
    out["reference_estimate_seconds"] = round(estimate, 3)
    out["reference_prefix"] = {
        "positions": k,
        "rows": len(slow),
        "seconds": round(t_k, 4),
        "fixed_seconds": round(fixed, 4),
        "equal": not bad,
        "mismatches": bad,
    }
    log(
        f"reference: prefix of {k:,} positions ({len(slow):,} rows) took {t_k:.2f} s "
        f"(fixed {fixed:.2f} s), equal={not bad} {bad or ''}; "
        f"full run estimated at {estimate:,.1f} s"
    )
    if estimate > budget:
        log(f"reference: skipped (estimate {estimate:,.0f} s > --reference-budget {budget:g} s)")
        out["reference_skipped"] = "estimate over --reference-budget"
        return out
    if k < n_pos:  # else the prefix was the whole run
        t = time.perf_counter()
        slow = say_do_reference(tables)
        t_k = time.perf_counter() - t
        bad = compare(_fast(tables), slow, REFERENCE_COLUMNS)
    out["reference_seconds"] = t_k
    out["equal_reference"] = not bad
    out["reference_mismatches"] = bad
    log(f"reference: {out['reference_seconds']:.2f} s, equal={not bad} {bad or ''}")
    return out


# --- peak memory in a child ----------------------------------------------------------


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _ru_maxrss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)


def _trim() -> None:
    gc.collect()
    try:  # hand freed heap back to the system so that the next step cannot reuse it unseen
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak resident set size (VmHWM)
        return True
    except OSError:
        return False


def _peak_mb(reset: bool) -> float:
    hwm = _proc_status_kb("VmHWM")
    return hwm / 1024 if (reset and hwm is not None) else _ru_maxrss_mb()


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def child_rss(args) -> None:
    syn = build(
        args.positions, args.events, args.seed, args.actors, args.issues, args.cases, args.shape
    )
    _trim()
    frames_rss = _proc_status_kb("VmRSS")
    generation_peak = _ru_maxrss_mb()  # resetting the high-water mark also resets ru_maxrss
    reset = _reset_hwm()
    tables, ff_seconds, _ = from_frames(syn)
    ff_peak = _peak_mb(reset)
    del syn
    _trim()
    before = _proc_status_kb("VmRSS")
    reset = _reset_hwm() and reset
    t = time.perf_counter()
    result = _fast(tables)
    seconds = time.perf_counter() - t
    report = {
        "frames_rss_mb": _mb(frames_rss),
        "from_frames_peak_rss_mb": round(ff_peak, 1),
        "rss_before_mb": _mb(before),
        "peak_rss_mb": round(_peak_mb(reset), 1),
        "child_process_peak_rss_mb": round(max(generation_peak, ff_peak, _peak_mb(reset)), 1),
        "hwm_reset": reset,
        "child_from_frames_seconds": round(ff_seconds, 3),
        "child_seconds": round(seconds, 3),
        "rows": len(result),
    }
    print(json.dumps(report))


def measure_rss(args, log) -> dict:
    cmd = [
        sys.executable, os.path.abspath(__file__),
        "--positions", str(args.positions), "--events", str(args.events),
        "--seed", str(args.seed), "--actors", str(args.actors), "--issues", str(args.issues),
        "--cases", str(args.cases), "--shape", args.shape, "--child-rss",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"rss child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return {"peak_rss_mb": None, "rss_child_error": proc.returncode}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if report["rss_before_mb"] is not None:
        report["say_do_rss_increase_mb"] = round(report["peak_rss_mb"] - report["rss_before_mb"], 1)
    log(
        f"memory child: from_frames peak {report['from_frames_peak_rss_mb']:,.0f} MB "
        f"(frames before: {report['frames_rss_mb']:,.0f} MB; "
        f"{report['child_from_frames_seconds']:.1f} s); "
        f"say_do peak {report['peak_rss_mb']:,.0f} MB "
        f"(tables+interpreter before: {report['rss_before_mb']:,.0f} MB, "
        f"increase {report.get('say_do_rss_increase_mb', float('nan')):,.0f} MB; "
        f"{report['child_seconds']:.2f} s); "
        f"whole child {report['child_process_peak_rss_mb']:,.0f} MB"
    )
    return report


def engine_version() -> dict:
    """Which code ran: hashes of the modules timed (the tree may be edited between runs)."""
    import importlib

    out = {}
    for name in ("saydo", "actors", "load", "rules", "derive"):
        # research.load is also the name of a function: import the module by its path.
        try:
            mod = importlib.import_module(f"research.{name}")
        except ImportError:
            continue
        with open(mod.__file__, "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()[:12]
    # The commit of the engine imported, and whether its package differs from it.
    where = os.path.dirname(os.path.dirname(os.path.abspath(research.__file__)))
    try:
        git = ["git", "-C", where]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "research"], capture_output=True)
        if head.returncode == 0:
            out["commit"] = head.stdout.decode().strip()
            out["research_modified"] = bool(dirty.stdout.strip())
    except OSError:
        pass
    return out


def machine() -> dict:
    import duckdb

    cpu = mem = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None
            )
        with open("/proc/meminfo") as f:
            kb = next((int(ln.split()[1]) for ln in f if ln.startswith("MemTotal:")), None)
            mem = None if kb is None else round(kb / 1024**2, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": mem,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


# --- main ----------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--positions", type=int, required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--actors", type=int, default=2000)
    p.add_argument("--issues", type=int, default=50)
    p.add_argument("--cases", type=int, default=3)
    p.add_argument(
        "--reference-limit", type=int, default=10_000,
        help="run the plain-Python reference only up to this many positions (default 10,000)",
    )  # fmt: skip
    p.add_argument(
        "--reference-budget", type=float, default=60.0,
        help="skip the reference when its extrapolated run exceeds this many seconds (60)",
    )  # fmt: skip
    p.add_argument(
        "--repeat", type=int, default=None, help="timed runs of each (default 3, 1 above 1M events)"
    )
    p.add_argument(
        "--shape", choices=SHAPES, default="mixed",
        help="deeds as in the module docstring (mixed) or event-data-shaped (events)",
    )  # fmt: skip
    p.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB baselines")
    p.add_argument("--no-rss", action="store_true", help="skip the peak-RSS child process")
    p.add_argument(
        "--no-evidence",
        action="store_true",
        help="skip the calls with evidence (at 1M x 10M its lists hold 146M ids)",
    )
    p.add_argument("--child-rss", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by (position, principal), the order of the DuckDB query's ORDER BY."""
    return frame.sort_values(["position_id", "principal"], kind="stable").reset_index(drop=True)


def run_baselines(syn: Synthetic, fast_cols: pd.DataFrame, evidence, repeat: int, log) -> dict:
    """Every DuckDB formulation, timed and compared with say_do; then the fastest
    with the evidence lists, compared with say_do's ``evidence_ids``."""
    out: dict = {"formulations": {}, "failures": []}
    fast_pairs = int(fast_cols["n_deeds"].sum())
    for formulation in FORMULATIONS:
        operators = duckdb_join_operators(syn, formulation)
        duck, times = run_duckdb(syn, repeat, formulation)
        pairs = int(np.sum(duck["n_deeds"]))
        bad = compare(fast_cols, duck, DUCKDB_COLUMNS)
        equal = not bad and pairs == fast_pairs
        if not equal:
            out["failures"].append(f"duckdb {formulation}")
        out["formulations"][formulation] = {
            "seconds": round(min(times), 4),
            "runs": [round(t, 4) for t in times],
            "pairs": pairs,
            "equal": equal,
            "mismatches": bad or None,
            "join_operators": operators,
        }
        log(
            f"duckdb {formulation} ({', '.join(operators)}): {min(times):.3f} s "
            f"(runs: {', '.join(f'{t:.3f}' for t in times)}), rows {len(duck['pid']):,}, "
            f"pairs {pairs:,}, equal={equal} {bad or ''}"
        )
        del duck
        gc.collect()
    best = min(FORMULATIONS, key=lambda f: out["formulations"][f]["seconds"])
    out["best"] = best
    out["seconds"] = out["formulations"][best]["seconds"]
    out["evidence"] = {}
    if evidence is None:  # --no-evidence
        return out
    # The same query with the deciding event ids (list aggregates), against say_do's.
    duck, times = run_duckdb(syn, repeat, best, evidence=True)
    bad = compare(fast_cols, duck, DUCKDB_COLUMNS)
    id_rows = compare_evidence(evidence, duckdb_evidence(duck["evidence_ids"]))
    out["evidence"] = {
        "formulation": best,
        "seconds": round(min(times), 4),
        "runs": [round(t, 4) for t in times],
        "equal": not bad,
        "mismatches": bad or None,
        "evidence_id_rows_differing": id_rows,
        "n_evidence_ids": int(sum(len(x) for x in duck["evidence_ids"])),
    }
    if bad:
        out["failures"].append("duckdb evidence")
    if id_rows:
        out["failures"].append("evidence ids")
    log(
        f"duckdb {best} with evidence lists: {min(times):.3f} s "
        f"(runs: {', '.join(f'{t:.3f}' for t in times)}), equal={not bad} {bad or ''}, "
        f"rows whose evidence ids differ from say_do's: {id_rows:,}"
    )
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_rss:
        child_rss(args)
        return 0

    def log(msg: str) -> None:
        print(msg, flush=True)

    repeat = args.repeat or (3 if args.events <= 1_000_000 else 1)
    log(
        f"say_do benchmark (data model v2): {args.positions:,} positions x {args.events:,} "
        f"events, {args.cases} cases, seed {args.seed}, shape {args.shape}"
    )
    engine = engine_version()
    load_before = round(os.getloadavg()[0], 2)
    log(f"code {engine}; load average {load_before}")
    failures = []

    # The memory child runs first, so that it and this process never hold tables at once.
    rss = {"peak_rss_mb": None} if args.no_rss else measure_rss(args, log)

    syn = build(
        args.positions, args.events, args.seed, args.actors, args.issues, args.cases, args.shape
    )
    rows = {name: len(df) for name, df in syn.frames.items()}
    tables, ff_seconds, ff_parts = from_frames(syn)
    syn.frames = {}  # the tables hold their own copies
    gc.collect()
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in ff_parts.items())
    log(f"generated in {syn.generate_seconds:.2f} s; rows {rows}")
    log(f"Tables.from_frames (validation + derived columns): {ff_seconds:.2f} s ({parts})")

    fast, fast_times = _time_fast(tables, repeat)
    seconds = min(fast_times)
    fast = _in_order(fast)
    fast_pairs = int(fast["n_deeds"].sum())
    verdicts = {str(k): int(v) for k, v in fast["verdict"].value_counts().items()}
    reasons = {str(k): int(v) for k, v in fast["reason"].value_counts().items() if v}
    n_rows = len(fast)
    log(f"fast say_do: {seconds:.3f} s (runs: {', '.join(f'{t:.3f}' for t in fast_times)})")
    log(
        f"rows (position, principal): {n_rows:,}; pairs (n_deeds sum): {fast_pairs:,}; "
        f"verdicts {verdicts}"
    )
    log(f"from_frames / say_do = {ff_seconds / seconds:,.1f}")
    # The README's first call: say_do with evidence (the deciding event ids) on.
    evidence_times, with_evidence, evidence, n_ids = [], None, None, 0
    for _ in range(0 if args.no_evidence else repeat):
        with_evidence = None
        gc.collect()
        t0 = time.perf_counter()
        with_evidence = research.say_do(tables)
        evidence_times.append(time.perf_counter() - t0)
    evidence_seconds = min(evidence_times) if evidence_times else None
    if evidence_times:
        with_evidence = _in_order(with_evidence)
        same = compare(fast, with_evidence, DUCKDB_COLUMNS)  # evidence changes no verdict
        if same:
            failures.append("say_do with evidence")
        evidence = say_do_evidence(with_evidence["evidence_ids"].to_numpy())
        del with_evidence
        n_ids = int(evidence[0].sum())
        log(
            f"say_do with evidence: {evidence_seconds:.3f} s "
            f"(runs: {', '.join(f'{t:.3f}' for t in evidence_times)}; {n_ids:,} evidence ids); "
            f"with / without = {evidence_seconds / seconds:.2f}"
            f"{f'; differs: {same}' if same else ''}"
        )

    ref = run_reference(tables, args.reference_limit, args.reference_budget, log)
    if ref.get("reference_prefix") and not ref["reference_prefix"]["equal"]:
        failures.append("reference prefix")
    if ref["equal_reference"] is False:
        failures.append("reference")

    duck: dict = {"formulations": {}, "seconds": None, "best": None, "evidence": {}}
    if not args.no_duckdb:
        fast_cols = fast[[c for c in DUCKDB_COLUMNS if c in fast]].copy()
        del fast, tables
        gc.collect()
        duck = run_baselines(syn, fast_cols, evidence, repeat, log)
        failures += duck["failures"]
    baseline = duck["seconds"]
    ratio = seconds / baseline if baseline else None
    duck_evidence = duck["evidence"].get("seconds")
    ratio_evidence = evidence_seconds / duck_evidence if duck_evidence and evidence else None
    ratio_reference = ref["reference_seconds"] / seconds if ref["reference_seconds"] else None
    if ratio is not None:
        log(f"baseline: duckdb {duck['best']}, {baseline:.3f} s; say_do / baseline = {ratio:.3f}")
        if ratio_evidence is not None:
            log(f"say_do with evidence / duckdb with evidence lists = {ratio_evidence:.3f}")
        log(f"(from_frames + say_do) / baseline = {(ff_seconds + seconds) / baseline:,.1f}")
    if ratio_reference is not None:
        log(f"reference / say_do = {ratio_reference:,.1f}")
    if failures:
        log(f"FAILED checks: {', '.join(failures)}")

    forms = duck["formulations"]
    result = {
        "positions": args.positions,
        "events": args.events,
        "shape": args.shape,
        "seed": args.seed,
        "actors": args.actors,
        "issues": args.issues,
        "cases": args.cases,
        "table_rows": rows,
        "rows": n_rows,
        "pairs": fast_pairs,
        "seconds": round(seconds, 4),
        "evidence_seconds": _r(evidence_seconds, 4),
        "ratio_evidence_vs_without": _r(evidence_seconds / seconds, 2) if evidence_times else None,
        "fast_runs": [round(t, 4) for t in fast_times],
        "evidence_runs": [round(t, 4) for t in evidence_times],
        "n_evidence_ids": n_ids,
        "from_frames_seconds": round(ff_seconds, 3),
        "from_frames_parts": {k: round(v, 3) for k, v in ff_parts.items()},
        "ratio_from_frames_vs_say_do": round(ff_seconds / seconds, 1),
        "generate_seconds": round(syn.generate_seconds, 3),
        "peak_rss_mb": rss.get("peak_rss_mb"),
        "rss_before_mb": rss.get("rss_before_mb"),
        "say_do_rss_increase_mb": rss.get("say_do_rss_increase_mb"),
        "frames_rss_mb": rss.get("frames_rss_mb"),
        "from_frames_peak_rss_mb": rss.get("from_frames_peak_rss_mb"),
        "child_process_peak_rss_mb": rss.get("child_process_peak_rss_mb"),
        **{f"duckdb_{f}_seconds": forms[f]["seconds"] for f in forms},
        "duckdb": forms or None,
        "baseline_formulation": duck["best"],
        "baseline_seconds": baseline,
        "ratio": _r(ratio, 4),
        "duckdb_seconds": baseline,  # the names benchmarks/README.md describes
        "ratio_vs_duckdb": _r(ratio, 4),
        "duckdb_evidence": duck["evidence"] or None,
        "duckdb_evidence_seconds": duck_evidence,
        "ratio_evidence_vs_duckdb_evidence": _r(ratio_evidence, 4),
        "equal_duckdb": all(f["equal"] for f in forms.values()) if forms else None,
        "equal_evidence_ids": (
            duck["evidence"]["evidence_id_rows_differing"] == 0 if duck["evidence"] else None
        ),
        "reference_seconds": _r(ref["reference_seconds"], 3),
        "reference_estimate_seconds": ref["reference_estimate_seconds"],
        "reference_prefix": ref.get("reference_prefix"),
        "equal_reference": ref["equal_reference"],
        "ratio_with_from_frames_vs_duckdb": (
            None if baseline is None else round((ff_seconds + seconds) / baseline, 2)
        ),
        "ratio_reference": _r(ratio_reference, 1),
        "verdicts": verdicts,
        "reasons": reasons,
        "failed": failures,
        "code": engine,
        "load_avg_1m_at_start": load_before,
        "parent_peak_rss_mb": round(_ru_maxrss_mb(), 1),
        "machine": machine(),
    }
    print(json.dumps(result), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
