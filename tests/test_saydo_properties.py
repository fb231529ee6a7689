"""The vectorised say–do equals the plain-Python reference on random tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import research
from research.reference import say_do_reference
from research.saydo import STATUS_ORDER

DAY0 = dt.date(2024, 1, 1)
PRECISIONS = ["day", "month", "season", "year", "range"]


def _day(i: int | None) -> pd.Timestamp | None:
    return None if i is None else pd.Timestamp(DAY0 + dt.timedelta(days=i))


@st.composite
def tables(draw) -> research.Tables:
    """Small tables over a short span of days, so that same-day dates, windows
    that end where a deed starts and ranges across window edges are common."""
    n_actors = draw(st.integers(1, 6))
    actor_ids = [f"a{i}" for i in range(n_actors)]
    # Each actor speaks for an earlier one or no one: chains, never cycles.
    speaks_for = [None] + [
        draw(st.one_of(st.none(), st.sampled_from(actor_ids[:i]))) for i in range(1, n_actors)
    ]
    issue_ids = [f"i{i}" for i in range(draw(st.integers(1, 3)))]
    day = st.integers(0, 20)
    open_day = st.one_of(st.none(), day)

    positions = []
    for k in range(draw(st.integers(0, 8))):
        lo, hi = draw(open_day), draw(open_day)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        positions.append(
            {
                "position_id": f"p{k}",
                "actor_id": draw(st.sampled_from(actor_ids)),
                "subject_id": draw(st.one_of(st.none(), st.sampled_from(actor_ids))),
                "issue_id": draw(st.sampled_from(issue_ids)),
                "said": _day(draw(day)),
                "window_start": _day(lo),
                "window_end": _day(hi),
                "stance": draw(st.integers(-2, 2)),
            }
        )
    events = []
    for k in range(draw(st.integers(0, 14))):
        precision = draw(st.sampled_from(PRECISIONS))
        s = draw(open_day if precision == "range" else day)
        e = draw(day)
        if s is not None and s > e:
            s, e = e, s
        events.append(
            {
                "event_id": f"e{k}",
                "actor_id": draw(st.sampled_from(actor_ids)),
                "issue_id": draw(st.sampled_from(issue_ids)),
                "start": _day(s),
                "end": _day(e),
                "precision": precision,
                "status": draw(st.sampled_from(STATUS_ORDER)),
                "stance": draw(st.integers(-2, 2)),
                "negated": draw(st.booleans()),
            }
        )
    pos_cols = ["position_id", "actor_id", "subject_id", "issue_id", "said"]
    pos_cols += ["window_start", "window_end"]
    ev_cols = ["event_id", "actor_id", "issue_id", "start", "end", "precision", "status"]
    return research.Tables.from_frames(
        actors=pd.DataFrame({"actor_id": actor_ids, "speaks_for": speaks_for}),
        issues=pd.DataFrame({"issue_id": issue_ids}),
        positions=pd.DataFrame(positions, columns=[*pos_cols, "stance"]),
        events=pd.DataFrame(events, columns=[*ev_cols, "stance", "negated"]),
    )


weights = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(STATUS_ORDER), st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0])),
)

COMPARED = [
    "position_id",
    "n_deeds",
    "n_agreeing",
    "n_contradicting",
    "n_imprecise",
    "deed_stance",
    "gap",
    "verdict",
    "reason",
    "strongest_status",
    "evidence_ids",
]


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    df = df[COMPARED].copy()
    for col in ("verdict", "reason", "strongest_status", "position_id"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    for col in ("n_deeds", "n_agreeing", "n_contradicting", "n_imprecise"):
        df[col] = df[col].astype(np.int64)
    for col in ("deed_stance", "gap"):
        df[col] = df[col].astype(float)
    df["evidence_ids"] = df["evidence_ids"].map(lambda ids: tuple(sorted(ids)))
    return df.reset_index(drop=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=tables(), w=weights, group=st.booleans())
def test_fast_say_do_equals_reference(t, w, group):
    fast = research.say_do(t, weights=w, group=group)
    slow = say_do_reference(t, weights=w, group=group)
    pdt.assert_frame_equal(_normalise(fast), _normalise(slow), check_exact=False, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(t=tables())
def test_verdicts_only_take_the_four_values_and_gap_is_stated_minus_deeds(t):
    r = research.say_do(t)
    assert set(r["verdict"].astype(str)) <= {"consistent", "contradicted", "mixed", "untested"}
    tested = r["n_deeds"] > 0
    np.testing.assert_allclose(
        r.loc[tested, "gap"], r.loc[tested, "stance"].astype(float) - r.loc[tested, "deed_stance"]
    )
    assert r.loc[~tested, "deed_stance"].isna().all()


@settings(max_examples=100, deadline=None)
@given(t=tables())
def test_evidence_pairs_count_the_deeds_each_verdict_saw(t):
    r = research.say_do(t, evidence=False)
    pairs = research.evidence(t)
    per_position = pairs.groupby("position_id").size()
    expected = r.set_index("position_id")["n_deeds"]
    got = per_position.reindex(expected.index, fill_value=0)
    assert (got.to_numpy() == expected.to_numpy()).all()
