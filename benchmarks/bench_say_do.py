"""Benchmark the pair-free say–do engine against a plain-Python reference and DuckDB.

Usage::

    python benchmarks/bench_say_do.py --positions 100000 --events 1000000 [--seed 0]
        [--reference-limit 10000] [--reference-budget 60] [--no-duckdb] [--no-rss]

The script generates seeded synthetic tables with numpy, runs
``research.say_do(tables, evidence=False)`` on them, checks it against

* ``research.reference.say_do_reference`` (plain loops) when there are at most
  ``--reference-limit`` positions and the reference, timed on a short prefix of
  the positions and extrapolated, would finish within ``--reference-budget``
  seconds (the prefix itself is always checked when it runs), and
* one hand-written DuckDB SQL query (an interval-overlap LEFT JOIN on integer
  keys, grouped by position) computing the same counts and verdicts,

and times all three. Human-readable lines come first; the LAST line printed is
one JSON object (see ``main`` for its keys). The exit status is 1 when any check
fails.

Synthetic shape (``--actors`` 2,000 and ``--issues`` 50 by default)
--------------------------------------------------------------------
Actors
    10% states (ids ``AAA``, ``AAB``, ...), 30% government bodies speaking for a
    state, 35% people speaking for a body (60%) or a state, 5% spokespeople
    speaking for a person (chains up to three links: spokesperson -> minister ->
    ministry -> state), and 20% armed groups, organisations, media, analysts,
    alliances and blocs, a fifth of them factions speaking for another of these.
    About 30% of all actors are principals (the end of their chain).
Issues
    ``--issues`` ids; each draw picks an issue with Zipf-like weights
    (1 / (rank + 2) ** 0.8).
Events (deeds)
    Actor activity is skewed: weights 1 / (rank + 3) ** 1.05 over a random
    ranking with ten states at the top, so a few actors (and their principals)
    hold a large share of the deeds. Days fall over ten years, 2015-2024, with a
    density growing linearly in time (more recent deeds are reported more).
    Precision: day 62%, month 14% (the calendar month), season 5%
    (meteorological Dec-Feb, Mar-May, ...), year 7% (the calendar year), range
    12% (spans log-uniform from 2 weeks to 3 years around the day; a quarter of
    them have an empty start). Status: confirmed 30%, reported 35%, alleged 20%,
    rumoured 7%, disputed 8%. Stance: a base stance per (principal, issue),
    uniform on -2..2, plus noise (0 with 70%, +-1 with 12% each, +-2 with 3%
    each), clipped to -2..2. Also: action (uniform over the 16 PLOVER types),
    negated (10%), target_id (30% filled), claimed_by, source_id; ids
    ``e00000000``.
Positions (words)
    Speakers are drawn with weight (actor's deed weight) ** 0.7, tripled for
    people, so speakers share principals with the busy doers. Said on a day
    uniform over 2015 to mid-2025 (precision day 85%, month 10%, season 2%,
    year 3%). Window: looking back [said - L, said] 55%, a promise [said,
    said + L] 20%, around [said - L/2, said + L/2] 10%, open start ("never")
    [-, said] 7%, open end [said, -] 6%, open both ways 2%; L log-uniform from
    1 day to 5 years. Stance: the (principal, issue) base plus a per-(principal,
    issue) "hypocrisy" offset (0 with 60%, +-1 with 10%, +-2 with 10% each) plus
    the deed noise, clipped, where the principal is that of the tested actor.
    Kind: official statement 70%, analyst assessment 20%, prediction 10%; an
    assessment is said by an analyst or outlet and, 70% of the time, is about
    a busy doer (``subject_id``, drawn with the deed weights), whose principal's
    deeds then test it; ids ``p0000000``.

Id columns are handed to ``Tables.from_frames`` as pandas categoricals built
from integer codes (actor, issue, source ids, enumerations) or as object arrays
of strings built from a fixed-width numpy unicode array (position and event
ids, which are unique); no Python list of 10M strings is formed.

Peak memory
-----------
Unless ``--no-rss`` is given, a child process (this script with
``--child-rss``) generates the same tables, collects garbage, hands freed heap
back to the system (``malloc_trim``), records its resident set
(``rss_before_mb``: the tables and the interpreter), resets the kernel's
high-water mark (``/proc/self/clear_refs``) and runs ``say_do`` once.
``peak_rss_mb`` is the high-water mark during ``say_do`` (tables included);
``say_do_rss_increase_mb`` is ``peak_rss_mb - rss_before_mb``, the memory the
engine itself needs on top of its input; ``child_process_peak_rss_mb`` is the
whole child's ``ru_maxrss`` (generation included). Where the high-water mark
cannot be reset, ``peak_rss_mb`` is the whole child's peak and ``hwm_reset`` is
false.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
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
from research.saydo import DEFAULT_WEIGHTS

DAY0 = np.datetime64("2015-01-01", "D")
SPAN = int((np.datetime64("2025-01-01", "D") - DAY0).astype(np.int64))  # ten years of deeds
SAID_SPAN = SPAN + 182  # words run half a year past the last deed
PRECISIONS = ("day", "month", "season", "year", "range")
PRECISION_P = (0.62, 0.14, 0.05, 0.07, 0.12)
STATUS_P = {
    "confirmed": 0.30,
    "reported": 0.35,
    "alleged": 0.20,
    "rumoured": 0.07,
    "disputed": 0.08,
}
SAID_PRECISIONS = ("day", "month", "season", "year")
SAID_PRECISION_P = (0.85, 0.10, 0.02, 0.03)
POSITION_KINDS = ("official_statement", "analyst_assessment", "prediction")
POSITION_KIND_P = (0.70, 0.20, 0.10)
ACTIONS = (
    "agree", "consult", "support", "concede", "cooperate", "aid", "retreat", "request",
    "accuse", "reject", "threaten", "protest", "sanction", "mobilize", "coerce", "assault",
)  # fmt: skip
NOISE = np.array([-2, -1, 0, 1, 2])
NOISE_P = (0.03, 0.12, 0.70, 0.12, 0.03)
HYPOCRISY_P = (0.10, 0.10, 0.60, 0.10, 0.10)
OPEN_LO = -(2**62)  # open window/event bounds in the DuckDB query
OPEN_HI = 2**62


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


@dataclass
class Synthetic:
    """The tables plus the integer columns the DuckDB baseline is built from."""

    tables: research.Tables
    pos: dict[str, np.ndarray]
    ev: dict[str, np.ndarray]
    generate_seconds: float
    from_frames_seconds: float


def _actors(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Actors with speaks-for chains; returns the frame, kinds and principal codes."""
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
    for i in range(1, n_other):  # factions speak for an earlier group
        if rng.random() < 0.2:
            parent[o0 + i] = o0 + rng.integers(0, i)
    principal = np.arange(n)
    while True:
        up = parent[principal]
        has = up >= 0
        if not has.any():
            break
        principal = np.where(has, up, principal)
    speaks_for = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    frame = pd.DataFrame(
        {
            "actor_id": ids,
            "name": np.array([f"Actor {a}" for a in ids], dtype=object),
            "kind": kind,
            "speaks_for": speaks_for,
        }
    )
    return frame, kind, principal


def generate(
    n_positions: int, n_events: int, seed: int = 0, n_actors: int = 2000, n_issues: int = 50
) -> Synthetic:
    """Seeded synthetic tables of the shape the module docstring describes."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    actors, kind, principal = _actors(rng, n_actors)
    actor_ids = pd.Index(actors["actor_id"])
    issue_ids = pd.Index([f"issue{i:02d}" for i in range(n_issues)])

    # Activity: a random ranking with ten states on top; Zipf-like weights.
    states = np.flatnonzero(kind == "state")
    top = rng.choice(states, size=min(10, len(states)), replace=False)
    rest = rng.permutation(np.setdiff1d(np.arange(n_actors), top))
    rank = np.empty(n_actors, dtype=np.int64)
    rank[np.concatenate([top, rest])] = np.arange(n_actors)
    ev_weight = 1.0 / (rank + 3.0) ** 1.05
    pos_weight = ev_weight**0.7 * np.where(kind == "person", 3.0, 1.0)
    issue_weight = 1.0 / (rng.permutation(n_issues) + 2.0) ** 0.8
    base = rng.integers(-2, 3, size=(n_actors, n_issues), dtype=np.int64)
    hypocrisy = NOISE[_draw(rng, HYPOCRISY_P, n_actors * n_issues)].reshape(n_actors, n_issues)
    n_sources = max(1, (n_events + n_positions) // 20)
    source_ids = pd.Index(np.array([f"src{i:07d}" for i in range(n_sources)], dtype=object))

    # --- events ---
    m = n_events
    e_actor = _draw(rng, ev_weight, m).astype(np.int32)
    e_issue = _draw(rng, issue_weight, m).astype(np.int16)
    day = (SPAN * np.sqrt(rng.random(m))).astype(np.int64)  # density grows over time
    prec = _draw(rng, PRECISION_P, m).astype(np.int8)
    d = DAY0 + day
    month = d.astype("datetime64[M]")
    moy = month.astype(np.int64) % 12
    season = month - (moy - 2) % 3
    year = d.astype("datetime64[Y]")
    span = _log_uniform(rng, 14, 3 * 365, m)
    range_start = d - span // 2
    starts = [d, month.astype("datetime64[D]"), season.astype("datetime64[D]"),
              year.astype("datetime64[D]"), range_start]  # fmt: skip
    ends = [d, (month + 1).astype("datetime64[D]") - 1, (season + 3).astype("datetime64[D]") - 1,
            (year + 1).astype("datetime64[D]") - 1, range_start + span]  # fmt: skip
    start = np.choose(prec, starts)
    end = np.choose(prec, ends)
    del d, month, moy, season, year, span, range_start, starts, ends
    open_start = (prec == 4) & (rng.random(m) < 0.25)
    start[open_start] = np.datetime64("NaT")
    status_codes = _draw(rng, list(STATUS_P.values()), m).astype(np.int8)
    e_principal = principal[e_actor]
    noise = NOISE[_draw(rng, NOISE_P, m)]
    e_stance = np.clip(base[e_principal, e_issue] + noise, -2, 2).astype(np.int8)
    target = np.where(rng.random(m) < 0.3, rng.integers(0, n_actors, m), -1)
    analysts = np.flatnonzero(np.isin(kind, ["analyst", "media"]))
    claimed = e_actor
    if len(analysts):  # 30% of deeds are claimed by an analyst or outlet
        claimed = np.where(
            rng.random(m) < 0.7, e_actor, analysts[rng.integers(0, len(analysts), m)]
        )
    events = pd.DataFrame(
        {
            "event_id": _ids("e", m, 8),
            "actor_id": pd.Categorical.from_codes(e_actor, categories=actor_ids),
            "target_id": pd.Categorical.from_codes(target, categories=actor_ids),
            "issue_id": pd.Categorical.from_codes(e_issue, categories=issue_ids),
            "start": start.astype("datetime64[s]"),
            "end": end.astype("datetime64[s]"),
            "precision": pd.Categorical.from_codes(prec, categories=list(PRECISIONS)),
            "action": pd.Categorical.from_codes(
                rng.integers(0, len(ACTIONS), m, dtype=np.int8), categories=list(ACTIONS)
            ),
            "negated": rng.random(m) < 0.1,
            "stance": e_stance,
            "status": pd.Categorical.from_codes(status_codes, categories=list(STATUS_P)),
            "claimed_by": pd.Categorical.from_codes(claimed, categories=actor_ids),
            "source_id": pd.Categorical.from_codes(
                rng.integers(0, n_sources, m), categories=source_ids
            ),
        }
    )
    del target, claimed, noise

    # --- positions ---
    n = n_positions
    p_actor = _draw(rng, pos_weight, n).astype(np.int32)
    p_kind = _draw(rng, POSITION_KIND_P, n)
    # Analysts' assessments: said by an analyst or outlet, mostly about a busy doer.
    assess = np.flatnonzero(p_kind == 1)
    p_subject = np.full(n, -1, dtype=np.int64)
    if len(analysts) and len(assess):
        p_actor[assess] = analysts[rng.integers(0, len(analysts), len(assess))]
        about = assess[rng.random(len(assess)) < 0.7]
        p_subject[about] = _draw(rng, ev_weight, len(about))
    p_tested = np.where(p_subject >= 0, p_subject, p_actor)
    p_issue = _draw(rng, issue_weight, n).astype(np.int16)
    said = rng.integers(0, SAID_SPAN, n)
    length = _log_uniform(rng, 1, 5 * 365, n)
    shape = _draw(rng, (0.55, 0.20, 0.10, 0.07, 0.06, 0.02), n)
    lo = np.choose(shape, [said - length, said, said - length // 2, said, said, said])
    hi = np.choose(shape, [said, said + length, said + length // 2, said, said, said])
    lo_open = np.isin(shape, (3, 5))
    hi_open = np.isin(shape, (4, 5))
    window_start = (DAY0 + lo).astype("datetime64[s]")
    window_end = (DAY0 + hi).astype("datetime64[s]")
    window_start[lo_open] = np.datetime64("NaT")
    window_end[hi_open] = np.datetime64("NaT")
    p_principal = principal[p_tested]
    p_noise = NOISE[_draw(rng, NOISE_P, n)]
    p_stance = np.clip(
        base[p_principal, p_issue] + hypocrisy[p_principal, p_issue] + p_noise, -2, 2
    ).astype(np.int8)
    positions = pd.DataFrame(
        {
            "position_id": _ids("p", n, 7),
            "actor_id": pd.Categorical.from_codes(p_actor, categories=actor_ids),
            "subject_id": pd.Categorical.from_codes(p_subject, categories=actor_ids),
            "issue_id": pd.Categorical.from_codes(p_issue, categories=issue_ids),
            "said": (DAY0 + said).astype("datetime64[s]"),
            "said_precision": pd.Categorical.from_codes(
                _draw(rng, SAID_PRECISION_P, n), categories=list(SAID_PRECISIONS)
            ),
            "window_start": window_start,
            "window_end": window_end,
            "stance": p_stance,
            "kind": pd.Categorical.from_codes(p_kind, categories=list(POSITION_KINDS)),
            "source_id": pd.Categorical.from_codes(
                rng.integers(0, n_sources, n), categories=source_ids
            ),
        }
    )
    issues = pd.DataFrame({"issue_id": issue_ids, "name": issue_ids})
    t1 = time.perf_counter()
    tables = research.Tables.from_frames(
        actors=actors, issues=issues, positions=positions, events=events
    )
    t2 = time.perf_counter()

    # Integer columns for the DuckDB baseline, computed here from the generator's own
    # codes (not from the engine): key = principal of the tested actor (subject, else
    # speaker) * n_issues + issue; bounds as days since 1970, open ones as sentinels.
    def days(values: np.ndarray, open_mask: np.ndarray, sentinel: int) -> np.ndarray:
        out = values.astype("datetime64[D]").astype(np.int64)
        out[open_mask] = sentinel
        return out

    pos = {
        "key": p_principal.astype(np.int64) * n_issues + p_issue,
        "lo": days(DAY0 + lo, lo_open, OPEN_LO),
        "hi": days(DAY0 + hi, hi_open, OPEN_HI),
        "stance": p_stance,
    }
    ev = {
        "key": e_principal.astype(np.int64) * n_issues + e_issue,
        "s": days(start, open_start, OPEN_LO),
        "e": days(end, np.zeros(m, dtype=bool), OPEN_HI),
        "stance": e_stance,
        "status": status_codes,
        "precision": prec,
    }
    return Synthetic(tables, pos, ev, t1 - t0, t2 - t1)


# --- DuckDB baseline ------------------------------------------------------------------


def duckdb_sql(weights: dict[str, float]) -> str:
    """One query: interval-overlap LEFT JOIN on the key, GROUP BY position, verdict."""
    w_case = " ".join(f"WHEN '{s}' THEN CAST({float(w)!r} AS DOUBLE)" for s, w in weights.items())
    return f"""
WITH live AS (
    SELECT key, s, e, stance,
           CASE status {w_case} ELSE 0.0 END AS w,
           status IN ('confirmed', 'reported') AS decisive_status,
           precision <> 'range' AS firm,
           precision <> 'day' AS imprecise
    FROM events
    WHERE (CASE status {w_case} ELSE 0.0 END) > 0
),
per_position AS (
    SELECT p.pid,
           p.stance AS stated,
           count(live.key) AS n_deeds,
           sum(live.w * live.stance) AS w_stance,
           sum(live.w) AS w_total,
           count(*) FILTER (WHERE abs(live.stance - p.stance) >= 2) AS n_contradicting,
           count(*) FILTER (WHERE abs(live.stance - p.stance) >= 2
                              AND live.firm AND live.decisive_status) AS n_decisive,
           count(*) FILTER (WHERE abs(live.stance - p.stance) < 2) AS n_agreeing,
           count(*) FILTER (WHERE live.imprecise) AS n_imprecise
    FROM positions AS p
    LEFT JOIN live ON live.key = p.key AND live.s <= p.hi AND live.e >= p.lo
    GROUP BY p.pid, p.stance
)
SELECT pid, n_deeds, n_agreeing, n_contradicting, n_decisive, n_imprecise,
       w_stance / w_total AS deed_stance,
       CASE
           WHEN n_deeds = 0 THEN 'untested'
           WHEN n_decisive > 0 AND abs(stated - w_stance / w_total) >= 2 - 1e-9
               THEN 'contradicted'
           WHEN n_decisive > 0 THEN 'mixed'
           WHEN n_contradicting > 0 AND n_agreeing > 0 THEN 'mixed'
           WHEN n_contradicting > 0 THEN 'untested'
           ELSE 'consistent'
       END AS verdict
FROM per_position
ORDER BY pid
"""


def run_duckdb(syn: Synthetic, repeat: int) -> tuple[dict[str, np.ndarray], list[float]]:
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": 2})
    positions = pd.DataFrame(
        {"pid": np.arange(len(syn.pos["key"]), dtype=np.int64), **syn.pos}, copy=False
    )
    events = pd.DataFrame(
        {
            "key": syn.ev["key"],
            "s": syn.ev["s"],
            "e": syn.ev["e"],
            "stance": syn.ev["stance"],
            "status": pd.Categorical.from_codes(syn.ev["status"], categories=list(STATUS_P)),
            "precision": pd.Categorical.from_codes(
                syn.ev["precision"], categories=list(PRECISIONS)
            ),
        },
        copy=False,
    )
    con.register("positions", positions)
    con.register("events", events)
    sql = duckdb_sql(DEFAULT_WEIGHTS)
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        result = con.execute(sql).fetchnumpy()
        times.append(time.perf_counter() - t)
    con.close()
    # NULLs (deed_stance of untested positions) arrive as masked arrays.
    for name, values in result.items():
        if isinstance(values, np.ma.MaskedArray):
            if values.dtype.kind == "f":
                result[name] = values.filled(np.nan)
            else:
                result[name] = values.astype(object).filled(None)
    return result, times


# --- checks --------------------------------------------------------------------------


COUNTS = ("n_deeds", "n_agreeing", "n_contradicting", "n_imprecise")


def _float_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-12)


def _labels(values) -> np.ndarray:
    s = pd.Series(values).astype(object)
    return s.where(s.notna(), None).to_numpy()


def compare(fast: pd.DataFrame, other: dict[str, np.ndarray], columns: list[str]) -> dict:
    """Per-column mismatch counts between the fast result and a baseline."""
    bad = {}
    for col in columns:
        a, b = fast[col].to_numpy(), np.asarray(other[col])
        if len(a) != len(b):
            bad[col] = f"length {len(a)} != {len(b)}"
            continue
        if col in ("deed_stance", "gap"):
            ok = _float_equal(a, b)
        elif col in ("verdict", "reason", "strongest_status", "position_id"):
            ok = _labels(a) == _labels(b)
        else:
            ok = a.astype(np.int64) == np.asarray(b).astype(np.int64)
        if not ok.all():
            bad[col] = int((~ok).sum())
    return bad


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


REFERENCE_COLUMNS = [
    "position_id", *COUNTS, "deed_stance", "gap", "verdict", "reason", "strongest_status",
]  # fmt: skip


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
        "seconds": round(t_k, 4),
        "fixed_seconds": round(fixed, 4),
        "equal": not bad,
        "mismatches": bad,
    }
    log(
        f"reference: prefix of {k:,} positions took {t_k:.2f} s (fixed {fixed:.2f} s), "
        f"equal={not bad}; full run estimated at {estimate:,.1f} s"
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


def child_rss(args) -> None:
    syn = generate(args.positions, args.events, args.seed, args.actors, args.issues)
    tables = syn.tables
    del syn
    gc.collect()
    try:  # hand freed heap back to the system so that say_do cannot reuse it unseen
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    before = _proc_status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak resident set size (VmHWM)
        reset = True
    except OSError:
        reset = False
    t = time.perf_counter()
    result = _fast(tables)
    seconds = time.perf_counter() - t
    hwm = _proc_status_kb("VmHWM")
    peak = hwm / 1024 if (reset and hwm is not None) else _ru_maxrss_mb()
    report = {
        "rss_before_mb": None if before is None else round(before / 1024, 1),
        "peak_rss_mb": round(peak, 1),
        "child_process_peak_rss_mb": round(_ru_maxrss_mb(), 1),
        "hwm_reset": reset,
        "child_seconds": round(seconds, 3),
        "rows": len(result),
    }
    print(json.dumps(report))


def measure_rss(args, log) -> dict:
    cmd = [
        sys.executable, os.path.abspath(__file__),
        "--positions", str(args.positions), "--events", str(args.events),
        "--seed", str(args.seed), "--actors", str(args.actors), "--issues", str(args.issues),
        "--child-rss",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"rss child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return {"peak_rss_mb": None, "rss_child_error": proc.returncode}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if report["rss_before_mb"] is not None:
        report["say_do_rss_increase_mb"] = round(report["peak_rss_mb"] - report["rss_before_mb"], 1)
    log(
        f"peak RSS during say_do {report['peak_rss_mb']:,.0f} MB "
        f"(tables+interpreter before: {report['rss_before_mb']:,.0f} MB, "
        f"increase {report.get('say_do_rss_increase_mb', float('nan')):,.0f} MB; "
        f"whole child {report['child_process_peak_rss_mb']:,.0f} MB; "
        f"child say_do {report['child_seconds']:.2f} s)"
    )
    return report


def engine_version() -> dict:
    """Which say–do engine ran: a hash of its source (the tree may be edited between runs)."""
    import hashlib

    import research.saydo

    path = research.saydo.__file__
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return {"saydo_sha256": digest, "saydo_mtime": time.ctime(os.path.getmtime(path))}


def machine() -> dict:
    import duckdb

    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None
            )
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
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
    p.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB baseline")
    p.add_argument("--no-rss", action="store_true", help="skip the peak-RSS child process")
    p.add_argument("--child-rss", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_rss:
        child_rss(args)
        return 0

    def log(msg: str) -> None:
        print(msg, flush=True)

    repeat = args.repeat or (3 if args.events <= 1_000_000 else 1)
    log(
        f"say_do benchmark: {args.positions:,} positions x {args.events:,} events, seed {args.seed}"
    )
    engine = engine_version()
    load_before = round(os.getloadavg()[0], 2)
    log(
        f"engine research/saydo.py {engine['saydo_sha256']} ({engine['saydo_mtime']}); "
        f"load average {load_before}"
    )
    failures = []

    # The memory child runs first, so that it and this process never hold tables at once.
    rss = {"peak_rss_mb": None} if args.no_rss else measure_rss(args, log)

    syn = generate(args.positions, args.events, args.seed, args.actors, args.issues)
    tables = syn.tables
    log(f"generated in {syn.generate_seconds:.2f} s, from_frames {syn.from_frames_seconds:.2f} s")

    fast, fast_times = _time_fast(tables, repeat)
    seconds = min(fast_times)
    fast_pairs = int(fast["n_deeds"].sum())
    verdicts = {str(k): int(v) for k, v in fast["verdict"].value_counts().items()}
    log(f"fast say_do: {seconds:.3f} s (runs: {', '.join(f'{t:.3f}' for t in fast_times)})")
    log(f"pairs (fast n_deeds sum): {fast_pairs:,}; verdicts {verdicts}")

    ref = run_reference(tables, args.reference_limit, args.reference_budget, log)
    if ref.get("reference_prefix") and not ref["reference_prefix"]["equal"]:
        failures.append("reference prefix")
    if ref["equal_reference"] is False:
        failures.append("reference")

    duck_seconds = equal_duckdb = duck_pairs = None
    duck_times: list[float] = []
    duck_bad: dict = {}
    if not args.no_duckdb:
        fast_cols = fast[[*COUNTS, "deed_stance", "verdict"]].copy()
        del fast
        gc.collect()
        duck, duck_times = run_duckdb(syn, repeat)
        duck_seconds = min(duck_times)
        duck_pairs = int(np.sum(duck["n_deeds"]))
        duck_bad = compare(fast_cols, duck, [*COUNTS, "deed_stance", "verdict"])
        equal_duckdb = not duck_bad and duck_pairs == fast_pairs
        if not equal_duckdb:
            failures.append("duckdb")
        log(
            f"duckdb: {duck_seconds:.3f} s (runs: {', '.join(f'{t:.3f}' for t in duck_times)}), "
            f"pairs {duck_pairs:,}, equal={equal_duckdb} {duck_bad or ''}"
        )
    ratio_vs_duckdb = seconds / duck_seconds if duck_seconds else None
    ratio_reference = ref["reference_seconds"] / seconds if ref["reference_seconds"] else None
    if ratio_vs_duckdb is not None:
        log(f"fast / duckdb = {ratio_vs_duckdb:.3f}")
    if ratio_reference is not None:
        log(f"reference / fast = {ratio_reference:,.1f}")
    if failures:
        log(f"FAILED checks: {', '.join(failures)}")

    result = {
        "positions": args.positions,
        "events": args.events,
        "seed": args.seed,
        "actors": args.actors,
        "issues": args.issues,
        "pairs": fast_pairs,
        "seconds": round(seconds, 4),
        "fast_runs": [round(t, 4) for t in fast_times],
        "peak_rss_mb": rss.get("peak_rss_mb"),
        "rss_before_mb": rss.get("rss_before_mb"),
        "say_do_rss_increase_mb": rss.get("say_do_rss_increase_mb"),
        "child_process_peak_rss_mb": rss.get("child_process_peak_rss_mb"),
        "duckdb_seconds": None if duck_seconds is None else round(duck_seconds, 4),
        "duckdb_runs": [round(t, 4) for t in duck_times],
        "duckdb_pairs": duck_pairs,
        "reference_seconds": (
            None if ref["reference_seconds"] is None else round(ref["reference_seconds"], 3)
        ),
        "reference_estimate_seconds": ref["reference_estimate_seconds"],
        "reference_prefix": ref.get("reference_prefix"),
        "equal_reference": ref["equal_reference"],
        "equal_duckdb": equal_duckdb,
        "duckdb_mismatches": duck_bad or None,
        "ratio_vs_duckdb": None if ratio_vs_duckdb is None else round(ratio_vs_duckdb, 4),
        "ratio_reference": None if ratio_reference is None else round(ratio_reference, 1),
        "verdicts": verdicts,
        "generate_seconds": round(syn.generate_seconds, 3),
        "from_frames_seconds": round(syn.from_frames_seconds, 3),
        "failed": failures,
        "engine": engine,
        "load_avg_1m_at_start": load_before,
        "parent_peak_rss_mb": round(_ru_maxrss_mb(), 1),
        "machine": machine(),
    }
    print(json.dumps(result), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
