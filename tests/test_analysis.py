"""Say–do, alignment and timeline on small tables whose answers are worked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthetic

import research
from research import present

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load(MINIMAL)


# --- say_do ---------------------------------------------------------------------


def row(df: pd.DataFrame, position_id: str, principal: str = "AAA") -> pd.Series:
    return df.set_index(["position_id", "principal"]).loc[(position_id, principal)]


def test_never_statement_is_contradicted_by_the_weight_of_deeds_inside_its_window(t):
    r = row(research.say_do(t), "never_armed")  # window 2022-02-24/2024-09-23, stance -2
    assert r.verdict == "contradicted"
    assert r.evidence_ids == ("drones_2022", "summit")
    assert r.strongest_status == "confirmed"  # the summit is confirmed by two sources
    # drones +2, reported 0.75, summer 2022 wholly inside: 0.75
    # summit +1, confirmed 1.0, September 2024, 23 of its 30 days inside: 23/30
    # missiles +2, rumoured, no earliest date: nothing in a window with a first day
    summit = 23 / 30
    assert r.weight_contradicting == pytest.approx(0.75 + summit)
    assert r.weight_agreeing == 0 and r.n_deeds == 2
    assert r.deed_stance == pytest.approx((0.75 * 2 + summit * 1) / (0.75 + summit))
    assert r.gap == pytest.approx(-2 - r.deed_stance)
    assert r.n_imprecise == 2  # a season and a month, neither dated to a day


def test_since_i_took_office_starts_the_window_at_the_role_start(t):
    r = row(research.say_do(t), "not_since")  # 2024-08-30 (the role's start) to 2024-09-23
    assert r.window_start == pd.Timestamp("2024-08-30")
    assert r.evidence_ids == ("summit",) and r.n_deeds == 1  # 23/30 of September: 0.77
    assert r.verdict == "contradicted"
    pairs = research.evidence(t, "not_since").set_index("event_id")
    assert pairs.loc["missiles", "share"] == 0 and not pairs.loc["missiles", "counted"]


def _one_position(window: str, stance: int, events: list[dict], said: str = "2024-09-23"):
    tb = synthetic.tables(
        actors=["AAA"],
        issues=["arms"],
        positions=[{"position_id": "p", "speaker_id": "AAA", "issue_id": "arms",
                    "stance": stance, "said": said, "window": window}],
        events=events,
    )  # fmt: skip
    return row(research.say_do(tb), "p")


def _deed(event_id: str, when: str, stance: int, status: str = "reported", **kw) -> dict:
    return {"event_id": event_id, "doers": "AAA", "when": when, "issues": {"arms": stance},
            "status": status, **kw}  # fmt: skip


def test_a_deed_known_only_to_its_year_weighs_by_its_days_in_a_short_window():
    # 'No deliveries since I took office' (25 days); a reported delivery some time in 2024.
    r = _one_position("2024-08-30/2024-09-23", -2, [_deed("d", "2024", 2)])
    assert r.weight_contradicting == pytest.approx(0.75 * 25 / 366)
    assert (r.verdict, r.reason) == ("untested", research.verdicts.REASONS["weak_only"])
    # The same delivery said to go on throughout the window decides it.
    r = _one_position(
        "2024-08-30/2024-09-23", -2, [_deed("d", "2024-06/2024-12", 2, occurrence="throughout")]
    )
    assert r.weight_contradicting == 0.75 and r.verdict == "contradicted"


def test_thresholds_are_symmetric_for_and_against():
    rumour = "rumoured"  # weight 0.25
    against = _one_position("../2024-09-23", -2, [_deed("d", "2024-09-01", 2, rumour)])
    for_ = _one_position("../2024-09-23", 2, [_deed("d", "2024-09-01", 2, rumour)])
    assert against.verdict == for_.verdict == "untested"
    assert against.reason == for_.reason == research.verdicts.REASONS["weak_only"]
    three = [_deed(f"d{i}", f"2024-09-0{i}", 2, rumour) for i in (1, 2, 3)]  # 0.75 together
    assert _one_position("../2024-09-23", -2, three).verdict == "contradicted"
    assert _one_position("../2024-09-23", 2, three).verdict == "consistent"
    both = [_deed("up", "2024-09-01", 2), _deed("down", "2024-09-02", -2)]
    r = _one_position("../2024-09-23", -2, both)
    assert (r.verdict, r.weight_agreeing, r.weight_contradicting) == ("mixed", 0.75, 0.75)
    assert r.evidence_ids == ("up", "down")


def test_a_deed_with_no_earliest_date_weighs_only_in_a_window_open_at_the_start():
    deeds = [_deed("d", "../2024-09-01", 2)]
    assert _one_position("../2024-09-23", -2, deeds).weight_contradicting == 0.75
    r = _one_position("2024-01-01/2024-09-23", -2, deeds)
    assert r.n_deeds == 0 and r.verdict == "untested"


def test_group_lets_an_organs_deed_test_its_states_words(t):
    assert row(research.say_do(t), "talks_yes").verdict == "contradicted"
    alone = row(research.say_do(t, group=False), "talks_yes")
    assert alone.verdict == "untested" and alone.n_deeds == 0


def test_a_private_firm_counts_against_its_state_only_when_asked(t):
    default = row(research.say_do(t), "pundit_view")
    assert "firm_parts" not in default.evidence_ids
    wide = research.say_do(t, attribution=["office_holder", "state_organ", "private_firm"])
    assert "firm_parts" in row(wide, "pundit_view").evidence_ids
    with pytest.raises(ValueError, match="unknown attribution id 'private_firms'"):
        research.say_do(t, attribution="private_firms")


def test_a_role_counts_only_while_it_holds():
    tb = synthetic.tables(
        actors=["AAA", "pres"],
        issues=["arms"],
        roles=[{"actor_id": "pres", "for_id": "AAA", "kind": "head_of_state", "start": "2024-06"}],
        positions=[
            {
                "position_id": "before",
                "speaker_id": "pres",
                "issue_id": "arms",
                "stance": -2,
                "said": "2024-05-20",
                "window": "2024-05/2024-05",
            },
            {
                "position_id": "after",
                "speaker_id": "pres",
                "issue_id": "arms",
                "stance": -2,
                "said": "2024-07-01",
                "window": "2024-05/2024-07",
            },
        ],  # fmt: skip
        events=[
            {"event_id": "shipment", "doers": "AAA", "when": "2024-05-10", "issues": {"arms": 2}}
        ],
    )
    r = research.say_do(tb).set_index("position_id")
    assert r.loc["before", "principal"] == "pres" and r.loc["before", "verdict"] == "untested"
    assert r.loc["after", "principal"] == "AAA" and r.loc["after", "verdict"] == "contradicted"


def test_a_deed_by_two_parties_counts_for_each(t):
    pairs = research.evidence(t)
    summit = pairs[pairs["event_id"] == "summit"]
    assert {"AAA"} <= set(summit["principal"])
    tl = research.timeline(t, actors="BBB")
    assert "summit" in set(tl["id"])  # BBB is one of its doers


def test_a_joint_subject_is_tested_against_each(t):
    r = research.say_do(t)
    assert set(r.loc[r["position_id"] == "pundit_on_ab", "principal"]) == {"AAA", "BBB"}


def test_cases_never_mix(t):
    a = research.say_do(t, case="case-a")
    assert set(a["case_id"]) == {"case-a"}
    assert "b_shells" not in {e for ids in a["evidence_ids"] for e in ids}
    b = row(research.say_do(t, case="case-b"), "b_denies", "BBB")
    assert b.evidence_ids == ("b_shells",)  # summit (case-a, BBB a doer) stays out
    with pytest.raises(ValueError, match="unknown case id 'case-c'"):
        research.say_do(t, case="case-c")


def test_status_follows_citations_and_a_third_party_denial_disputes(t):
    status = t.events.set_index("event_id")["status"]
    assert status["drones_2022"] == "reported"  # denied only by the accused's own leader
    assert status["firm_parts"] == "disputed"  # denied by someone else
    assert status["summit"] == "confirmed"
    assert t.events.set_index("event_id").loc["summit", "n_citations"] == 2


def test_weights_override_and_zero_weight_ignores_a_status(t):
    r = row(research.say_do(t, weights={"reported": 0, "confirmed": 0}), "never_armed")
    assert r.n_deeds == 0 and r.verdict == "untested"  # the rumour falls outside: no deed left
    r = row(research.say_do(t, weights={"confirmed": 0.5}), "never_armed")
    summit = 0.5 * 23 / 30
    assert r.deed_stance == pytest.approx((0.75 * 2 + summit) / (0.75 + summit))


def test_bad_weights_are_rejected(t):
    with pytest.raises(ValueError, match="unknown status id 'rumored'.*'rumoured'"):
        research.say_do(t, weights={"rumored": 0.1})
    with pytest.raises(ValueError, match=">= 0"):
        research.say_do(t, weights={"reported": -1})


def test_a_subject_with_no_deeds_is_untested_with_reason():
    tb = synthetic.tables(
        actors=["AAA", "BBB"],
        issues=["arms"],
        positions=[{"position_id": "p", "speaker_id": "AAA", "subjects": "BBB",
                    "issue_id": "arms", "stance": 1, "said": "2024", "claim": "assessment"}],
        events=[{"event_id": "e", "doers": "AAA", "when": "2024-03", "issues": {"arms": 2}}],
    )  # fmt: skip
    r = row(research.say_do(tb), "p", "BBB")
    assert r.verdict == "untested" and r.n_deeds == 0 and "no deed" in r.reason
    assert math.isnan(r.deed_stance) and r.evidence_ids == ()


def _claims(claim: str, condition: str | None = None, window: str = "../..") -> pd.Series:
    """One statement by AAA about its own arms, beside a deed of AAA's before and after it."""
    tb = synthetic.tables(
        actors=["AAA"],
        issues=["arms"],
        positions=[{"position_id": "p", "speaker_id": "AAA", "issue_id": "arms", "stance": -2,
                    "said": "2024-06-15", "window": window, "claim": claim,
                    "condition": condition}],
        events=[
            {"event_id": "before", "doers": "AAA", "when": "2024-03-01", "issues": {"arms": 2}},
            {"event_id": "after", "doers": "AAA", "when": "2024-09-01", "issues": {"arms": 2}},
        ],
    )  # fmt: skip
    return row(research.say_do(tb), "p")


def test_requests_and_statements_about_evidence_are_not_testable():
    for claim, why in (("request", "a request to others"), ("evidence", "about evidence")):
        r = _claims(claim)
        assert r.verdict == "not_testable" and why in r.reason
        assert r.n_deeds == 0 and r.evidence_ids == ()


def test_a_prediction_meets_only_deeds_after_it_was_said():
    r = _claims("prediction")
    assert r.evidence_ids == ("after",) and r.verdict == "contradicted"
    denial = _claims("denial")  # a denial of the same window meets both
    assert set(denial.evidence_ids) == {"before", "after"}
    ended = _claims("prediction", window="../2024-06-01")  # a window over before it was said
    assert ended.verdict == "untested" and ended.n_deeds == 0


def test_a_conditional_prediction_is_not_testable_until_its_condition_is_on_record(t):
    r = _claims("prediction", condition="if war breaks out")
    assert r.verdict == "not_testable" and "condition" in r.reason
    assert row(research.say_do(t), "pundit_on_ab").verdict == "not_testable"  # the fixture's


def test_an_inferred_deed_weighs_nothing_and_is_listed_apart():
    tb = synthetic.tables(
        actors=["AAA"],
        issues=["arms"],
        positions=[{"position_id": "p", "speaker_id": "AAA", "issue_id": "arms", "stance": -2,
                    "said": "2024-06-15", "claim": "denial"}],
        events=[{"event_id": "guess", "doers": "AAA", "when": "2024-03-01",
                 "issues": {"arms": 2}, "status": "inferred"}],
    )  # fmt: skip
    r = row(research.say_do(tb), "p")
    assert r.verdict == "untested" and r.n_deeds == 0
    pairs = research.evidence(tb, ["p"])
    assert list(pairs["event_id"]) == ["guess"] and not pairs["counted"].any()
    weighed = row(research.say_do(tb, weights={"inferred": 0.5}), "p")
    assert weighed.n_deeds == 1


def test_filters_by_actor_chain_subject_issue_and_date(t):
    by_a = {"never_armed", "not_since", "talks_yes", "pundit_view", "pundit_on_ab"}
    assert set(research.say_do(t, actors="AAA").position_id) == by_a
    assert set(research.say_do(t, actors="lead_a").position_id) == {"never_armed", "not_since"}
    assert set(research.say_do(t, issues=["talks"]).position_id) == {"talks_yes"}
    late = research.say_do(t, start="2024-09-02").position_id
    assert set(late) == {"never_armed", "not_since", "b_denies"}


def test_unknown_ids_name_the_closest(t):
    with pytest.raises(ValueError, match="unknown actor id 'AAB'.*'AAA'"):
        research.say_do(t, actors="AAB")
    with pytest.raises(ValueError, match="unknown issue id 'arm'.*'arms'"):
        research.timeline(t, issues=["arm"])
    with pytest.raises(ValueError, match="unknown actor id 'ZZZ'"):
        research.alignment(t, "AAA", "ZZZ")


def test_evidence_lists_only_the_positions_asked_for(t):
    r = research.say_do(t, evidence=["never_armed"])
    assert row(r, "never_armed").evidence_ids == ("drones_2022", "summit")
    assert row(r, "talks_yes").evidence_ids is None
    pairs = research.evidence(t, ["never_armed"])
    assert list(pairs.event_id) == ["drones_2022", "summit", "missiles"]
    assert list(pairs.share) == [1, 23 / 30, 0]
    assert list(pairs.counted) == [True, True, False]
    assert list(pairs.deciding) == [True, True, False]


def test_gap_summary_counts_tested_and_contradicted(t):
    g = research.gap_summary(t).set_index(["speaker_id", "issue_id"])
    lead = g.loc[("lead_a", "arms")]
    assert (lead.positions, lead.tested, lead.contradicted) == (2, 2, 2)
    assert lead.contradicted_share == 1.0
    pundit = g.loc[("pundit", "arms")]  # pundit_view; pundit_on_ab twice, a conditional prediction
    assert (pundit.positions, pundit.not_testable, pundit.tested) == (3, 2, 1)
    assert pundit.contradicted_share == 0.0
    nothing_counts = {s: 0 for s in ("confirmed", "reported", "rumoured", "disputed")}
    untested = research.gap_summary(t, weights=nothing_counts)
    assert untested["contradicted_share"].isna().all() and untested["mean_gap"].isna().all()


def test_tables_from_frames_are_checked_like_files():
    with pytest.raises(research.DataError) as e:
        synthetic.tables(
            actors=["AAA"],
            issues=["arms"],
            positions=[
                {
                    "position_id": "p",
                    "speaker_id": "AAA",
                    "issue_id": "arms",
                    "stance": 3,
                    "said": "2024",
                    "window": "../..",
                },
                {
                    "position_id": "p",
                    "speaker_id": "BBB",
                    "issue_id": "arms",
                    "stance": 1,
                    "said": "2024",
                    "window": "../..",
                },
            ],  # fmt: skip
        )
    text = str(e.value)
    assert "positions.csv (frame):2: stance: '3': must be between -2 and 2" in text
    assert "positions.csv (frame):3: position_id: 'p': duplicate id" in text
    assert "positions.csv (frame):3: speaker_id: 'BBB': unknown actor id" in text


# --- alignment: worked by hand -----------------------------------------------------


def _dyad() -> research.Tables:
    """AAA and BBB on three issues. Words in 2023 (one shared issue) and 2024
    (two shared); deeds in 2024 only."""
    words = [  # (speaker, issue, said, stance)
        ("AAA", "x", "2023-03-01", 2),
        ("BBB", "x", "2023-05-01", 1),
        ("AAA", "y", "2023-06-01", -2),  # BBB says nothing on y in 2023
        ("AAA", "x", "2024-02-01", 2),
        ("BBB", "x", "2024-02-01", -2),
        ("AAA", "z", "2024-03-01", 1),
        ("b_pres", "z", "2024-04-01", 1),  # BBB's president speaks for BBB
        ("b_pundit", "z", "2024-04-01", -2),  # an assessment is not BBB's words
    ]
    positions = [
        {
            "position_id": f"w{i}",
            "speaker_id": w[0],
            "subjects": "BBB" if w[0] == "b_pundit" else None,
            "issue_id": w[1],
            "said": w[2],
            "stance": w[3],
            "claim": "assessment" if w[0] == "b_pundit" else "own_conduct",
        }
        for i, w in enumerate(words)
    ]
    deeds = [("AAA", "x", "2024-05-01", 2), ("BBB", "x", "2024-06-01", 2)]
    deeds += [("BBB", "x", "2024-07-01", 0)]
    events = [
        {"event_id": f"d{i}", "doers": d[0], "when": d[2], "issues": {d[1]: d[3]}}
        for i, d in enumerate(deeds)
    ]
    return synthetic.tables(
        actors=["AAA", "BBB", "b_pres", "b_pundit"],
        issues=["x", "y", "z"],
        roles=[{"actor_id": "b_pres", "for_id": "BBB", "kind": "head_of_state"}],
        positions=positions,
        events=events,
    )


def test_alignment_by_year_matches_hand_computation():
    al = research.alignment(_dyad(), "AAA", "BBB", freq="Y").set_index(["period", "channel"])
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
    al = research.alignment(_dyad(), "AAA", "b_pundit", channel="words")
    (only,) = al.itertuples()
    assert only.n_shared == 0 and np.isnan(only.s_score) and np.isnan(only.agreement)
    assert "no shared issue" in only.reason and "AAA has words on x, y, z" in only.reason


def test_alignment_over_all_time_pools_every_statement():
    al = research.alignment(_dyad(), "AAA", "BBB").set_index("channel")
    # words: A x mean(2,2)=2, B x mean(1,-2)=-0.5 -> 2.5; z 1 vs 1 -> 0; d=2.5, d_max=8
    assert al.loc["words", "s_score"] == pytest.approx(1 - 2 * 2.5 / 8)
    with pytest.raises(ValueError, match="channel"):
        research.alignment(_dyad(), "AAA", "BBB", channel="acts")
    with pytest.raises(ValueError, match="freq"):
        research.alignment(_dyad(), "AAA", "BBB", freq="W")


def test_divergence_separates_own_gaps_from_the_distance_between_actors():
    d = research.divergence(_dyad(), "AAA", "BBB").set_index("issue_id")
    # x: AAA words 2, deeds 2; BBB words mean(1, -2) = -0.5, deeds mean(2, 0) = 1
    x = d.loc["x"]
    assert (x.a_gap, x.b_gap) == (0.0, -1.5)  # BBB says less than it does
    assert (x.words_apart, x.deeds_apart) == (2.5, 1.0)
    assert x.apart == 1.0  # in deeds, where both act: not 2.5
    assert d.loc["z", "apart"] == 0.0  # no deeds: words, AAA 1 and BBB's president 1
    assert np.isnan(d.loc["y", "apart"])  # BBB has no stance on y at all
    assert research.divergence(_dyad(), "AAA", "BBB", at_least=2).empty


def test_two_actors_whose_deeds_agree_are_never_called_apart():
    """Iran says no arms went to Russia while both states' deeds stand at +2."""
    tb = synthetic.tables(
        actors=["IRN", "RUS"],
        issues=["arms"],
        positions=[{"position_id": "denial", "speaker_id": "IRN", "issue_id": "arms",
                    "stance": -2, "said": "2024-09-23", "claim": "denial"}],
        events=[{"event_id": "ship", "doers": "IRN;RUS", "when": "2024-05",
                 "issues": {"arms": 2}}],
    )  # fmt: skip
    (row_,) = research.divergence(tb, "RUS", "IRN").itertuples()
    assert row_.apart == 0.0 and row_.b_gap == -4.0  # the gap is Iran's words against its deeds


def _weighted_dyad() -> research.Tables:
    """AAA and BBB on one issue in 2023-2024, with a rumour and a deed across the year end."""
    return synthetic.tables(
        actors=["AAA", "BBB"],
        issues=["x"],
        events=[
            {"event_id": "a_firm", "doers": "AAA", "when": "2023-06-01", "issues": {"x": 2}},
            {"event_id": "a_rumour", "doers": "AAA", "when": "2023-07-01", "issues": {"x": -2},
             "status": "rumoured"},
            {"event_id": "b_long", "doers": "BBB", "when": "2023-07-01/2024-06-30",
             "occurrence": "throughout", "issues": {"x": 1}},
            {"event_id": "b_once", "doers": "BBB", "when": "2023-12-01/2024-01-31",
             "issues": {"x": -1}},
        ],
    )  # fmt: skip


def test_alignment_weighs_by_certainty_and_counts_a_long_deed_in_every_period():
    by = research.alignment_by_issue(_weighted_dyad(), "AAA", "BBB", "deeds", "Y")
    by = by.set_index("period")
    # 2023, AAA: (1.0 * 2 + 0.25 * -2) / 1.25 = 1.2 (the rumour counts a quarter)
    assert by.loc["2023", "a_stance"] == pytest.approx(1.2)
    # BBB: b_long throughout in both years (weight 1); b_once split 31 days to 31 days
    # 2023: (1 * 1 + 0.5 * -1) / 1.5 = 1/3; 2024 likewise
    assert by.loc["2023", "b_stance"] == pytest.approx(1 / 3)
    assert by.loc["2024", "b_stance"] == pytest.approx(1 / 3)
    assert by.loc["2024", "b_weight"] == pytest.approx(1.5)
    assert np.isnan(by.loc["2024", "a_stance"])  # AAA did nothing in 2024


def test_chance_corrected_scores_and_thin_flags():
    # Ten issues: AAA always +2, BBB +2 but once +1 (Haege 2011's warning case).
    issues = [f"i{k}" for k in range(10)]
    tb = synthetic.tables(
        actors=["AAA", "BBB"],
        issues=issues,
        events=[
            {"event_id": f"{who.lower()}{k}", "doers": who, "when": "2024-01-01",
             "issues": {i: 1 if (who == "BBB" and k == 9) else 2}}
            for who in ("AAA", "BBB") for k, i in enumerate(issues)
        ],
    )  # fmt: skip
    (r,) = research.alignment(tb, "AAA", "BBB", channel="deeds").itertuples()
    assert r.n_shared == 10 and not r.thin
    assert r.s_score == pytest.approx(0.95)  # d = 1, d_max = 40
    assert r.s_squared == pytest.approx(1 - 2 * 1 / 160)
    assert r.cohen_kappa == pytest.approx(0.0)  # AAA never varies: all agreement is chance
    assert r.scott_pi == pytest.approx(1 - 0.1 / 0.095)  # pooled: 19 at +2, 1 at +1
    assert r.s_score_low <= r.s_score <= r.s_score_high
    again = research.alignment(tb, "AAA", "BBB", channel="deeds")
    assert again.equals(research.alignment(tb, "AAA", "BBB", channel="deeds"))  # seeded
    weighted = research.alignment(tb, "AAA", "BBB", channel="deeds", issue_weights={"i9": 9})
    assert weighted.s_score[0] == pytest.approx(1 - 2 * (9 / 18) / 4)
    thin = research.alignment(_dyad(), "AAA", "BBB", freq="Y").set_index(["period", "channel"])
    assert bool(thin.loc[("2023", "words"), "thin"])  # one shared issue


# --- timeline -----------------------------------------------------------------------


def test_timeline_is_tidy_and_keeps_dates_at_their_precision(t):
    tl = research.timeline(t)
    n_deed_rows = len(t.event_issues)
    assert len(tl) == len(t.positions) + n_deed_rows
    by_id = tl.drop_duplicates("id").set_index("id")
    assert by_id.loc["pundit_view", "end"] == pd.Timestamp("2024-09-30")  # month precision
    assert by_id.loc["pundit_view", "when"] == "2024-09"
    assert by_id.loc["talks_yes", "end"] == pd.Timestamp("2024-12-31")  # year precision
    assert by_id.loc["b_denies", "precision"] == "week"
    assert pd.isna(by_id.loc["missiles", "date"])  # no start: none is made up
    assert by_id.loc["ministry_meeting", "kind"] == "not consult"
    assert by_id.loc["summit", "actor_id"] == "lead_a;BBB"
    assert set(research.timeline(t, actors="AAA", case="case-a")["id"]) >= {
        "never_armed",
        "ministry_meeting",
        "summit",
    }


def test_the_role_links_used_appear_beside_the_evidence(t):
    r = row(research.say_do(t), "never_armed")
    assert r.via == "lead_a_president"  # the president's words count for AAA through his office
    pairs = research.evidence(t, ["talks_yes"]).set_index("event_id")
    assert pairs.loc["ministry_meeting", "via"] == "min_a_organ"
    assert pairs.loc["summit", "via"] == "lead_a_president"
    html = present.cards(
        research.say_do(t, evidence=False).head(1), pairs.reset_index(), t.citations
    )
    assert "counts for AAA via lead_a_president" in html.markup


def test_actors_matches_anyone_on_the_chain_of_roles():
    """Shoigu speaks for a council that speaks for Russia: asking for any of them finds him."""
    tb = synthetic.tables(
        actors=["RUS", "council", "shoigu"],
        issues=["arms"],
        roles=[
            {"actor_id": "shoigu", "for_id": "council", "kind": "official"},
            {"actor_id": "council", "for_id": "RUS", "kind": "state_organ"},
        ],
        positions=[{"position_id": "p", "speaker_id": "shoigu", "issue_id": "arms",
                    "stance": -2, "said": "2024-09-01", "claim": "denial"}],
    )  # fmt: skip
    for who in ("shoigu", "council", "RUS"):
        r = research.say_do(tb, actors=who)
        assert list(r["position_id"]) == ["p"] and list(r["principal"]) == ["RUS"], who
        assert r["via"][0] == "r0, r1"  # both links of the chain are named


def test_a_request_to_others_is_not_the_speakers_own_stance_in_alignment():
    tb = synthetic.tables(
        actors=["AAA", "BBB"],
        issues=["x"],
        positions=[
            {"position_id": "asks", "speaker_id": "AAA", "subjects": "BBB", "issue_id": "x",
             "stance": -2, "said": "2024-01-01", "claim": "request"},
            {"position_id": "own", "speaker_id": "BBB", "issue_id": "x", "stance": 2,
             "said": "2024-01-01", "claim": "pledge"},
        ],
    )  # fmt: skip
    by = research.alignment_by_issue(tb, "AAA", "BBB", channel="words")
    assert by["a_n"].tolist() == [0] and by["b_stance"].tolist() == [2.0]


def test_a_statement_about_relations_with_a_counterpart_meets_only_deeds_between_the_two():
    def deed(event_id, doers, targets=None):
        return {"event_id": event_id, "doers": doers, "targets": targets, "when": "2024-03-01",
                "issues": {"ties": 2}, "status": "confirmed"}  # fmt: skip

    tb = synthetic.tables(
        actors=["AAA", "BBB", "CCC"],
        issues=["ties"],
        positions=[{"position_id": "p", "speaker_id": "AAA", "counterpart": "BBB",
                    "issue_id": "ties", "stance": -2, "said": "2024-06-01",
                    "window": "../2024-06-01", "claim": "own_conduct"}],
        events=[deed("to_b", "AAA", "BBB"), deed("to_c", "AAA", "CCC"),
                deed("joint", "AAA;BBB"), deed("b_alone", "BBB", "AAA"),
                deed("b_to_c", "BBB", "CCC")],
    )  # fmt: skip
    r = row(research.say_do(tb), "p")
    assert r.counterpart_principal == "BBB"
    assert r.evidence_ids == ("joint", "to_b")  # not toward CCC; not BBB's own deed
    assert r.verdict == "contradicted"


def test_a_conditional_prediction_is_tested_once_its_condition_is_on_record():
    def deed(event_id, when, stance):
        return {"event_id": event_id, "doers": "AAA", "when": when, "issues": {"arms": stance}}

    def prediction(came=None):
        return {"position_id": "p", "speaker_id": "AAA", "issue_id": "arms", "stance": 2,
                "said": "2024-01-10", "window": "../..", "claim": "prediction",
                "condition": "if war breaks out", "condition_event": came}  # fmt: skip

    events = [deed("war", "2024-03-01", 0), deed("before", "2024-02-01", 2),
              deed("after", "2024-04-01", 2)]  # fmt: skip
    waiting = row(research.say_do(synthetic.tables(actors=["AAA"], issues=["arms"],
                  positions=[prediction()], events=events)), "p")  # fmt: skip
    assert waiting.verdict == "not_testable"
    assert waiting.reason == research.verdicts.REASONS["not_testable_condition"]
    came = row(research.say_do(synthetic.tables(actors=["AAA"], issues=["arms"],
               positions=[prediction("war")], events=events)), "p")  # fmt: skip
    assert came.evidence_ids == ("war", "after") and came.verdict == "mixed"


def test_s_scores_follow_fpsims_definition_on_a_hand_table():
    # fpsim's srs(x1, x2, distances, weights, range = 4) (svmiller/fpsim, R/srs.R):
    # absolute: 1 - 2 * sum(|x1 - x2| * w) / (sum(w) * range); squared (unweighted):
    # 1 - 2 * sum((x1 - x2)^2) / (n * range^2). Worked by hand for these stances:
    from research.alignment import scores

    a, b = np.array([2, 1, -2, 0]), np.array([2, -1, 1, 0])  # distances 0, 2, 3, 0
    s = scores(a, b)
    assert s["s_score"] == pytest.approx(1 - 2 * 5 / (4 * 4))  # 0.375
    assert s["s_squared"] == pytest.approx(1 - 2 * 13 / (4 * 16))  # 0.59375
    weighted = scores(a, b, issue_weights=np.array([1, 2, 1, 1]))
    assert weighted["s_score"] == pytest.approx(1 - 2 * 7 / (5 * 4))  # 0.3


def test_window_counts_stay_exact_when_packed_prefix_sums_wrap_around():
    """Thousands of keys with a few deeds each: the packed fields are two bits wide,
    so running sums carry across fields and wrap past 64 bits; window sums must not."""
    from research.saydo import _lookup, resolve_weights, window_counts

    rng = np.random.default_rng(7)
    n_keys, per_key = 5000, 3
    ev_key = np.repeat(np.arange(n_keys), per_key)
    ev_start = rng.integers(0, 400, len(ev_key))
    ev_end = ev_start + rng.integers(0, 30, len(ev_key))
    ev_class = rng.integers(0, 2, len(ev_key))  # few classes: a window holds up to 3 of one
    pos_key = rng.integers(0, n_keys, 3000)
    pos_lo = rng.integers(0, 420, len(pos_key))
    pos_hi = pos_lo + rng.integers(0, 60, len(pos_key))
    lookup = _lookup(resolve_weights())
    got = window_counts(pos_key, pos_lo, pos_hi, ev_key, ev_start, ev_end, ev_class, lookup)
    for p in range(0, len(pos_key), 97):
        meets = (ev_key == pos_key[p]) & (ev_start <= pos_hi[p]) & (ev_end >= pos_lo[p])
        want = lookup[:, ev_class[meets]].sum(axis=1)
        assert (got[p] == want).all(), p


def test_rows_of_follows_frames_replaced_after_loading(t):
    import dataclasses

    rows = t.rows_of("event_issues", "event_id")
    assert (t.events["event_id"].to_numpy()[rows] == t.event_issues["event_id"].to_numpy()).all()
    flipped = dataclasses.replace(t, events=t.events.iloc[::-1].reset_index(drop=True))
    again = flipped.rows_of("event_issues", "event_id")
    assert (again == len(t.events) - 1 - rows).all()
    with pytest.raises(ValueError, match="refers to no table"):
        t.rows_of("events", "summary")


def test_evidence_is_the_same_when_pairs_come_a_few_at_a_time(monkeypatch):
    """Listing evidence forms pairs in batches so memory stays bounded; batch
    boundaries (even inside one position's deeds) must not change any list."""
    import research.saydo as saydo

    t = research.load()  # the curated cases: over a hundred deciding deeds
    whole = research.say_do(t)
    pairs = research.evidence(t)
    monkeypatch.setattr(saydo, "_BATCH", 7)
    assert research.say_do(t)["evidence_ids"].tolist() == whole["evidence_ids"].tolist()
    pd.testing.assert_frame_equal(research.evidence(t), pairs)
    assert sum(len(x) for x in whole["evidence_ids"]) > 100


def test_partial_weights_stay_exact_with_millions_of_deed_days_before_them():
    """Each window's share sum is read from running sums over every deed of its
    stance; those run into the millions, and a window's own sum must not lose
    its digits to them (checked against exact fractions)."""
    from fractions import Fraction

    from research.saydo import _partial_weights

    rng = np.random.default_rng(11)
    n_keys, per_key = 400, 300
    ev_key = np.repeat(np.arange(n_keys), per_key)
    ev_start = rng.integers(0, 20000, len(ev_key))  # fifty years of days
    ev_end = ev_start + rng.integers(1, 400, len(ev_key))
    days = ev_end - ev_start + 1
    weight = rng.choice([1.0, 0.75, 0.5, 0.25], len(ev_key))
    coef = weight / days
    stance = rng.integers(0, 5, len(ev_key))
    pos_key = rng.integers(0, n_keys, 200)
    pos_lo = rng.integers(0, 20000, len(pos_key))
    pos_hi = pos_lo + rng.integers(0, 30, len(pos_key))
    got = _partial_weights(pos_key, pos_lo, pos_hi, ev_key, ev_start, ev_end, coef, stance)
    for p in range(len(pos_key)):
        for v in range(5):
            mine = np.flatnonzero((ev_key == pos_key[p]) & (stance == v))
            exact = sum(
                Fraction(weight[i])
                * max(0, min(ev_end[i], pos_hi[p]) - max(ev_start[i], pos_lo[p]) + 1)
                / int(days[i])
                for i in mine
            )
            assert got[p, v] == pytest.approx(float(exact), rel=1e-12, abs=1e-14), (p, v)


def test_a_stance_with_no_deed_in_the_window_weighs_exactly_nothing():
    """Deeds of one stance decades before the window leave two equal prefix sums; their
    difference must be 0, not a rounding residue that tilts the deed stance."""
    import random

    rng = random.Random(3)
    for _ in range(8):
        old = []
        for i in range(rng.randint(20, 120)):
            y, kind = rng.randint(1950, 2020), rng.random()
            if kind < 0.5:
                when = f"{y}"
            elif kind < 0.8:
                when = f"{y}-{rng.randint(1, 12):02d}"
            else:  # a span of months
                m, y2, m2 = rng.randint(1, 12), y + rng.randint(0, 3), rng.randint(1, 12)
                if (y2, m2) < (y, m):
                    continue
                when = f"{y}-{m:02d}/{y2}-{m2:02d}"
            old.append(_deed(f"o{i}", when, -2, rng.choice(["reported", "rumoured", "alleged"])))
        now = _deed("now", "2024-09-01/2024-09-30", 2)  # once within a month, partly inside
        r = _one_position("2024-09-10/2024-09-23", -2, [*old, now])
        assert r.weight_agreeing == 0.0
        assert r.weight_contradicting == pytest.approx(0.75 * 14 / 30, rel=1e-12)
        assert r.deed_stance == 2.0


def test_role_graph_follows_roles_edited_in_place():
    """Role graphs are reused between calls (``Roles.of``), keyed by the roles' cells: a
    roles table edited in place must not be answered from the graph built before."""
    t = research.load()
    before = research.say_do(t, evidence=False)
    assert (before["via"].fillna("") != "").any()  # some statements count through a role
    t.roles["kind"] = "private_firm"  # the same frame; no role now carries attribution
    after = research.say_do(t, evidence=False)
    assert (after["via"].fillna("") == "").all()
    assert set(after["principal"]) != set(before["principal"])
