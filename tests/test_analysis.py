"""Say–do, alignment and timeline on small tables whose answers are worked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import research

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load(MINIMAL)


def row(df: pd.DataFrame, position_id: str) -> pd.Series:
    return df.set_index("position_id").loc[position_id]


# --- say_do ---------------------------------------------------------------------


def test_never_statement_is_contradicted_by_reported_deed_inside_its_window(t):
    r = row(research.say_do(t), "never_armed")
    assert r.verdict == "contradicted"
    assert r.evidence_ids == ("drones_2022",)  # the rumoured missiles do not decide
    assert r.strongest_status == "reported"
    # weighted mean of +2 (reported, 0.75) and +2 (rumoured, 0.25) is +2: gap -4
    assert r.deed_stance == 2.0 and r.gap == -4.0
    assert r.n_imprecise == 2  # a season and a range, neither dated to a day


def test_since_i_took_office_ignores_deeds_before_the_window(t):
    r = row(research.say_do(t), "not_since")
    assert "drones_2022" not in r.evidence_ids
    assert r.verdict == "untested"
    assert "weak" in r.reason  # only the rumoured, loosely dated missiles bear on it


def test_speaks_for_group_lets_a_ministry_deed_test_its_states_words(t):
    assert row(research.say_do(t), "talks_yes").verdict == "contradicted"
    alone = row(research.say_do(t, group=False), "talks_yes")
    assert alone.verdict == "untested" and alone.n_deeds == 0


def test_weights_override_and_zero_weight_ignores_a_status(t):
    r = row(research.say_do(t, weights={"reported": 0}), "never_armed")
    assert r.n_deeds == 1 and r.verdict == "untested"  # only the rumour is left
    r = row(research.say_do(t, weights={"rumoured": 3.0}), "never_armed")
    assert r.deed_stance == 2.0 and r.verdict == "contradicted"


def test_bad_weights_are_rejected(t):
    with pytest.raises(ValueError, match="unknown status id 'rumored'.*'rumoured'"):
        research.say_do(t, weights={"rumored": 0.1})
    with pytest.raises(ValueError, match=">= 0"):
        research.say_do(t, weights={"reported": -1})


def test_analyst_with_no_deeds_of_his_own_is_untested_with_reason(t):
    r = row(research.say_do(t), "pundit_view")
    assert r.verdict == "untested" and r.n_deeds == 0 and "no deed" in r.reason
    assert math.isnan(r.deed_stance) and r.evidence_ids == ()


def test_an_assessment_is_tested_against_the_deeds_of_the_actor_it_is_about(t):
    r = row(research.say_do(t), "pundit_on_a")
    assert r.principal == "AAA" and r.verdict == "consistent"
    assert r.evidence_ids == ("drones_2022", "missiles")


def test_filters_by_actor_principal_subject_issue_and_date(t):
    by_a = {"never_armed", "not_since", "talks_yes", "pundit_on_a"}
    assert set(research.say_do(t, actors="AAA").position_id) == by_a
    assert set(research.say_do(t, issues=["talks"]).position_id) == {"talks_yes"}
    assert set(research.say_do(t, start="2024-09-02").position_id) == {"never_armed", "not_since"}
    assert set(research.say_do(t, end="2024-09-01").position_id) == {
        "talks_yes",
        "pundit_view",
        "pundit_on_a",
    }


def test_unknown_ids_name_the_closest(t):
    with pytest.raises(ValueError, match="unknown actor id 'AAB'.*'AAA'"):
        research.say_do(t, actors="AAB")
    with pytest.raises(ValueError, match="unknown issue id 'arm'.*'arms'"):
        research.timeline(t, issues=["arm"])
    with pytest.raises(ValueError, match="unknown actor id 'ZZZ'"):
        research.alignment(t, "AAA", "ZZZ")


def test_evidence_lists_only_the_positions_asked_for(t):
    r = research.say_do(t, evidence=["never_armed"])
    assert row(r, "never_armed").evidence_ids == ("drones_2022",)
    assert row(r, "talks_yes").evidence_ids is None
    pairs = research.evidence(t, ["never_armed"])
    assert list(pairs.event_id) == ["drones_2022", "missiles"]
    assert list(pairs.decisive) == [True, False]


def test_gap_summary_counts_tested_and_contradicted(t):
    g = research.gap_summary(t).set_index(["actor_id", "issue_id"])
    lead = g.loc[("lead_a", "arms")]
    assert (lead.positions, lead.tested, lead.contradicted) == (2, 1, 1)
    assert lead.contradicted_share == 1.0 and lead.mean_gap == -4.0
    pundit = g.loc[("pundit", "arms")]  # one untested, one consistent
    assert (pundit.positions, pundit.tested, pundit.contradicted_share) == (2, 1, 0.0)
    nothing_counts = {s: 0 for s in ("confirmed", "reported", "rumoured")}
    untested = research.gap_summary(t, weights=nothing_counts)
    assert untested["contradicted_share"].isna().all() and untested["mean_gap"].isna().all()


# --- alignment: worked by hand -----------------------------------------------------


def _dyad() -> research.Tables:
    """A and B on three issues. Words in 2023 (one shared issue) and 2024
    (two shared); deeds in 2024 only."""

    def day(s):
        return pd.Timestamp(s)

    words = [  # (actor, issue, said, stance)
        ("A", "x", "2023-03-01", 2),
        ("B", "x", "2023-05-01", 1),
        ("A", "y", "2023-06-01", -2),  # B says nothing on y in 2023
        ("A", "x", "2024-02-01", 2),
        ("B", "x", "2024-02-01", -2),
        ("A", "z", "2024-03-01", 1),
        ("B_pres", "z", "2024-04-01", 1),  # B's president speaks for B
        ("B_pundit", "z", "2024-04-01", -2),  # an assessment is not B's words
    ]
    positions = pd.DataFrame(
        {
            "position_id": [f"w{i}" for i in range(len(words))],
            "actor_id": [w[0] for w in words],
            "issue_id": [w[1] for w in words],
            "said": [day(w[2]) for w in words],
            "stance": [w[3] for w in words],
            "kind": [
                "analyst_assessment" if w[0] == "B_pundit" else "official_statement" for w in words
            ],
        }
    )
    deeds = [("A", "x", "2024-05-01", 2), ("B", "x", "2024-06-01", 2), ("B", "x", "2024-07-01", 0)]
    events = pd.DataFrame(
        {
            "event_id": [f"d{i}" for i in range(len(deeds))],
            "actor_id": [d[0] for d in deeds],
            "issue_id": [d[1] for d in deeds],
            "start": [day(d[2]) for d in deeds],
            "end": [day(d[2]) for d in deeds],
            "precision": "day",
            "status": "confirmed",
            "stance": [d[3] for d in deeds],
        }
    )
    actors = pd.DataFrame(
        {
            "actor_id": ["A", "B", "B_pres", "B_pundit"],
            "speaks_for": [None, None, "B", None],
        }
    )
    issues = pd.DataFrame({"issue_id": ["x", "y", "z"]})
    return research.Tables.from_frames(
        actors=actors, issues=issues, positions=positions, events=events
    )


def test_alignment_by_year_matches_hand_computation():
    al = research.alignment(_dyad(), "A", "B", freq="Y").set_index(["period", "channel"])
    # 2023 words: shared x only, |2 - 1| = 1 -> d = 1, d_max = 4: S = 1 - 2/4 = 0.5; agree (1 < 2)
    w23 = al.loc[("2023", "words")]
    assert w23.shared_issues == ("x",) and w23.s_score == 0.5 and w23.agreement == 1.0
    # 2024 words: x |2 - -2| = 4, z |1 - 1| = 0 -> d = 4, d_max = 8: S = 0; agreement 1/2
    w24 = al.loc[("2024", "words")]
    assert w24.shared_issues == ("x", "z") and w24.s_score == 0.0 and w24.agreement == 0.5
    # 2024 deeds: A x = 2, B x = mean(2, 0) = 1 -> d = 1: S = 0.5
    d24 = al.loc[("2024", "deeds")]
    assert d24.s_score == 0.5 and d24.agreement == 1.0
    assert ("2023", "deeds") not in al.index  # neither acted in 2023


def test_alignment_without_shared_issue_is_nan_with_reason_not_zero():
    al = research.alignment(_dyad(), "A", "B_pundit", channel="words")
    (only,) = al.itertuples()
    assert only.n_shared == 0 and np.isnan(only.s_score) and np.isnan(only.agreement)
    assert "no shared issue" in only.reason and "A has words on x, y, z" in only.reason


def test_alignment_over_all_time_pools_every_statement():
    al = research.alignment(_dyad(), "A", "B").set_index("channel")
    # words: A x mean(2,2)=2, B x mean(1,-2)=-0.5 -> 2.5; z 1 vs 1 -> 0; d=2.5, d_max=8
    assert al.loc["words", "s_score"] == pytest.approx(1 - 2 * 2.5 / 8)
    with pytest.raises(ValueError, match="channel"):
        research.alignment(_dyad(), "A", "B", channel="acts")
    with pytest.raises(ValueError, match="freq"):
        research.alignment(_dyad(), "A", "B", freq="W")


def test_divergence_sets_one_actors_words_against_the_others_deeds():
    d = research.divergence(_dyad(), "A", "B").set_index("issue_id")
    # x: A words 2, A deeds 2; B words mean(1, -2) = -0.5, B deeds mean(2, 0) = 1
    # widest pair: A (words or deeds) 2 vs B words -0.5 -> 2.5, first found: A words vs B words
    assert d.loc["x", "widest"] == 2.5 and d.loc["x", "between"] == "A words vs B words"
    assert d.loc["z", "widest"] == 0.0  # A words 1, B's president's words 1
    assert np.isnan(d.loc["y", "widest"])  # B has no stance on y at all
    assert list(research.divergence(_dyad(), "A", "B", at_least=2)["issue_id"]) == ["x"]


# --- timeline -----------------------------------------------------------------------


def test_timeline_is_tidy_and_dates_imprecise_rows_by_their_period(t):
    tl = research.timeline(t)
    assert len(tl) == len(t.positions) + len(t.events)
    assert tl["date"].is_monotonic_increasing
    by_id = tl.set_index("id")
    assert by_id.loc["pundit_view", "end"] == pd.Timestamp("2024-09-30")  # month precision
    assert by_id.loc["talks_yes", "end"] == pd.Timestamp("2024-12-31")  # year precision
    assert by_id.loc["missiles", "date"] == pd.Timestamp("2024-10-22")  # no start: its end
    assert by_id.loc["ministry_meeting", "kind"] == "not consult"
    assert by_id.loc["never_armed", "quote"] == "we never armed B"
    assert set(research.timeline(t, actors="AAA").actor_id) == {"AAA", "lead_a", "min_a"}
