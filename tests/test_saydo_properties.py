"""The vectorised say–do equals the plain-Python reference on random tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import synthetic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import research
from research.reference import say_do_reference
from research.saydo import STATUS_ORDER

DAY0 = dt.date(2024, 1, 1)
CLAIMS = ["denial", "own_conduct", "pledge", "assessment", "prediction", "request", "evidence"]


def _iso(i: int) -> str:
    return (DAY0 + dt.timedelta(days=i)).isoformat()


day = st.integers(0, 80)


@st.composite
def written_date(draw, open_start: bool = False) -> str:
    """A date as a curator writes it: a day, an ISO week, a month, a season, or a range."""
    kind = draw(st.sampled_from(["day", "week", "month", "season", "range", "open"] if open_start
                                else ["day", "week", "month", "season", "range"]))  # fmt: skip
    if kind == "day":
        return _iso(draw(day))
    if kind == "season":
        return "2024-21"  # spring: March to May, across the end of the span of days
    if kind == "week":
        return f"2024-W{draw(st.integers(1, 11)):02d}"
    if kind == "month":
        return f"2024-{draw(st.integers(1, 3)):02d}"
    lo, hi = sorted([draw(day), draw(day)])
    return f"../{_iso(hi)}" if kind == "open" else f"{_iso(lo)}/{_iso(hi)}"


@st.composite
def window(draw) -> str:
    lo, hi = sorted([draw(day), draw(day)])
    # Every combination is in order: day 80 falls in March 2024.
    lo_s = draw(st.sampled_from([_iso(lo), "..", "2024-01"]))
    hi_s = draw(st.sampled_from([_iso(hi), "..", "2024-03"]))
    return f"{lo_s}/{hi_s}"


@st.composite
def tables(draw) -> research.Tables:
    """Small tables over a short span of days, so that same-day dates, windows
    that end where a deed starts, dated roles that begin mid-window, deeds by
    several doers and joint subjects are common."""
    n_actors = draw(st.integers(1, 6))
    actors = [f"a{i}" for i in range(n_actors)]
    issues = [f"i{i}" for i in range(draw(st.integers(1, 3)))]
    cases = ["c1", "c2"][: draw(st.integers(1, 2))]
    kinds = ["official", "state_organ", "private_firm"]
    roles = []
    for i in range(1, n_actors):  # each actor may act for earlier ones: never a cycle
        for up in draw(st.lists(st.sampled_from(actors[:i]), max_size=2, unique=True)):
            s = draw(st.one_of(st.none(), day))
            e = draw(st.one_of(st.none(), day))
            if s is not None and e is not None and s > e:
                s, e = e, s
            roles.append(
                {
                    "actor_id": actors[i],
                    "for_id": up,
                    "kind": draw(st.sampled_from(kinds)),
                    "start": None if s is None else _iso(s),
                    "end": None if e is None else _iso(e),
                }
            )
    some_actors = st.lists(st.sampled_from(actors), min_size=1, max_size=2, unique=True)
    events = []
    for k in range(draw(st.integers(0, 14))):
        bears = draw(st.lists(st.sampled_from(issues), min_size=1, max_size=2, unique=True))
        events.append(
            {
                "event_id": f"e{k}",
                "case_id": draw(st.sampled_from(cases)),
                "doers": ";".join(draw(some_actors)),
                "targets": draw(st.one_of(st.none(), st.sampled_from(actors))),
                "when": draw(written_date(open_start=True)),
                "issues": {i: draw(st.integers(-2, 2)) for i in bears},
                "status": draw(st.sampled_from(STATUS_ORDER)),
                "occurrence": draw(st.sampled_from(["once", "throughout"])),
                "negated": draw(st.booleans()),
            }
        )
    positions = []
    for k in range(draw(st.integers(0, 8))):
        subjects = draw(st.one_of(st.none(), some_actors))
        w = draw(window())
        claim = draw(st.sampled_from(CLAIMS))
        conditional = claim in ("prediction", "pledge") and draw(st.booleans())
        case = draw(st.sampled_from(cases))
        came = [e["event_id"] for e in events if e["case_id"] == case]
        positions.append(
            {
                "position_id": f"p{k}",
                "case_id": case,
                "speaker_id": draw(st.sampled_from(actors)),
                "subjects": None if subjects is None else ";".join(subjects),
                "counterpart": draw(st.one_of(st.none(), st.none(), st.sampled_from(actors))),
                "issue_id": draw(st.sampled_from(issues)),
                "said": draw(written_date()),
                "window": w,
                "stance": draw(st.integers(-2, 2)),
                "claim": claim,
                "condition": "if it happens" if conditional else None,
                "condition_event": (
                    draw(st.one_of(st.none(), st.sampled_from(came)))
                    if conditional and came
                    else None
                ),
            }
        )
    return synthetic.tables(
        actors=actors, issues=issues, positions=positions, events=events, roles=roles, cases=cases
    )


attributions = st.sampled_from(
    [None, ["office_holder"], ["office_holder", "state_organ", "private_firm"]]
)
weights = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(STATUS_ORDER), st.sampled_from([0.0, 0.1, 0.25, 0.375, 0.5, 1.0, 3.0])
    ),
)

COMPARED = [
    "position_id",
    "principal",
    "counterpart_principal",
    "n_deeds",
    "n_agreeing",
    "n_contradicting",
    "n_imprecise",
    "weight_agreeing",
    "weight_contradicting",
    "deed_stance",
    "gap",
    "verdict",
    "reason",
    "strongest_status",
    "evidence_ids",
]


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    df = df[COMPARED].copy()
    for col in (
        "verdict", "reason", "strongest_status", "position_id", "principal", "counterpart_principal"
    ):  # fmt: skip
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    for col in ("n_deeds", "n_agreeing", "n_contradicting", "n_imprecise"):
        df[col] = df[col].astype(np.int64)
    for col in ("weight_agreeing", "weight_contradicting", "deed_stance", "gap"):
        df[col] = df[col].astype(float)
    df["evidence_ids"] = df["evidence_ids"].map(lambda ids: tuple(sorted(ids)))
    return df.reset_index(drop=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=tables(), w=weights, group=st.booleans(), attribution=attributions)
def test_fast_say_do_equals_reference(t, w, group, attribution):
    fast = research.say_do(t, weights=w, group=group, attribution=attribution)
    slow = say_do_reference(t, weights=w, group=group, attribution=attribution)
    pdt.assert_frame_equal(_normalise(fast), _normalise(slow), check_exact=False, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(t=tables())
def test_verdicts_only_take_the_four_values_and_gap_is_stated_minus_deeds(t):
    r = research.say_do(t)
    verdicts = {"consistent", "contradicted", "mixed", "untested", "not_testable"}
    assert set(r["verdict"].astype(str)) <= verdicts
    untestable = r["claim"].isin(["request", "evidence"]) | (
        r["claim"].isin(["prediction", "pledge"])
        & r["condition"].notna()
        & r["condition_event"].isna()
    )
    assert (r.loc[untestable, "verdict"] == "not_testable").all()
    assert (r.loc[untestable, "n_deeds"] == 0).all()
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
    pairs = pairs[pairs["counted"]]  # weight-0 deeds and untestable claims are listed apart
    row = ["position_id", "principal", "counterpart_principal"]
    per_position = pairs.groupby(row, dropna=False).size()
    expected = r.set_index(row)["n_deeds"]
    got = per_position.reindex(expected.index, fill_value=0)
    assert (got.to_numpy() == expected.to_numpy()).all()

    # The deciding pairs are the verdict's evidence ids, in the evidence's order.
    def keyed(df):  # plain tuples as keys: no dtype of an index in the way
        return [tuple("" if pd.isna(v) else str(v) for v in k) for k in df[row].itertuples(False)]

    listed: dict = {}
    for k, e in zip(keyed(pairs), pairs["event_id"].where(pairs["deciding"]), strict=True):
        listed.setdefault(k, [])
        if not pd.isna(e):
            listed[k].append(e)
    sd = research.say_do(t)
    assert [tuple(listed.get(k, ())) for k in keyed(sd)] == list(sd["evidence_ids"])
