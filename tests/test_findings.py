"""The first screen's sentences: written from the data, with names, and honest about the
evidence they rest on."""

from __future__ import annotations

import re

import pytest

import research
from research import findings, present
from research.names import Names


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load()


def _say_do(t: research.Tables, actor: str, case: str) -> findings.Finding:
    sd = research.say_do(t, actors=actor, case=case)
    return findings.say_do(t, sd, research.evidence(t, list(sd["position_id"])), actor)


def test_say_do_finding_names_who_said_what_and_what_the_deeds_show(t):
    f = _say_do(t, "IRN", "russia-iran")
    assert 2 <= len(f.sentences) <= 4
    first, tension = f.sentences[0], f.sentences[1]
    assert first.startswith("Iran's own leaders and officials made 11 official statements")
    assert "7 by Masoud Pezeshkian" in first and "1 contradicted by the deeds on record" in first
    assert tension.startswith("Masoud Pezeshkian, Iran’s president, 23 Sep 2024:")
    assert "3 deeds by Iran or those acting for it point the other way" in tension
    assert "the strongest “reported”" in tension and tension.endswith("contradicted.")
    assert f.sentences[2].startswith("Others' words about Iran (")


def test_sentences_use_names_never_ids(t):
    ids = set(t.actors["actor_id"]) | set(t.issues["issue_id"]) | set(t.sources["source_id"])
    ids = {i for i in ids if "_" in i or i.islower()}  # ids that are not also plain words
    cases = [("IRN", "russia-iran"), ("RUS", "russia-iran"), ("PRK", "north-korea-russia")]
    for actor, case in cases:
        f = _say_do(t, actor, case)
        text = " ".join([*f.sentences, f.evidence, f.caveat])
        found = {i for i in ids if re.search(rf"\b{re.escape(i)}\b", text)}
        assert found == set(), (actor, found)


def test_a_report_on_one_source_says_so_in_one_line(t):
    f = _say_do(t, "RUS", "russia-iran")
    assert f.evidence == (
        "Evidence: one source — “The Fragile Alliance Between Russia and Iran”, The Townhall, "
        "Nikola Mikovic, Oct 2024 (analysis article)."
    )
    assert "rests on this one analysis article" in f.caveat
    # Russia's own words are one statement: the finding says so rather than hiding it
    assert f.sentences[0].startswith("Russia's own leaders and officials made 1 official statement")


def test_a_report_on_one_kind_of_source_says_so(t):
    f = _say_do(t, "PRK", "north-korea-russia")
    assert f.evidence.startswith("Evidence: 8 news reports, 8 Nov 2022 – 17 May 2024: ")
    assert "Reuters (2)" in f.evidence
    assert f.caveat == "All 8 sources are news reports; no other kind of source is cited."
    assert len(f.sources) == 8 and all("news report" in s for s in f.sources)


def test_an_untested_denial_says_why_with_the_weights(t):
    f = _say_do(t, "RUS", "north-korea-russia")
    tension = f.sentences[1]
    assert tension.startswith("Oleg Burmistrov, Russian Ambassador at Large, 15 Oct 2023:")
    assert "1 deed by Russia or those acting for it points the other way" in tension
    assert "weigh 0.50, under the 0.75 a verdict needs, so it stays untested" in tension


def test_dyad_finding_states_alignment_in_words_and_deeds_and_where_they_part(t):
    tl = research.timeline(t, actors=["RUS", "IRN"], case="russia-iran")
    overall = research.alignment(t, "RUS", "IRN", case="russia-iran")
    apart = research.divergence(t, "RUS", "IRN", case="russia-iran", at_least=2)
    f = findings.dyad(t, overall, apart, "RUS", "IRN", tl)
    assert f.sentences[0] == "In words, Russia and Iran share no issue on record."
    assert f.sentences[1].startswith("In deeds, they score S +0.42")
    assert "“Which Yemeni government to back” (in deeds: Russia −1.0, Iran +1.5)" in f.sentences[2]
    assert dict(f.figures)["S in words"] == "no shared issue"


def test_thin_alignment_is_flagged_in_words(t):
    tl = research.timeline(t, actors=["PRK", "RUS"], case="north-korea-russia")
    overall = research.alignment(t, "PRK", "RUS", case="north-korea-russia")
    apart = research.divergence(t, "PRK", "RUS", case="north-korea-russia", at_least=2)
    f = findings.dyad(t, overall, apart, "PRK", "RUS", tl)
    assert "on 1 shared issue, too few to go on (thin)" in f.sentences[0]
    assert dict(f.figures)["S in words"] == "+1.00 (1 issue, thin)"


def test_case_finding_counts_what_the_case_holds(t):
    f = findings.case(t, "north-korea-russia", research.say_do(t, case="north-korea-russia"))
    assert f.sentences[0].startswith("The case “North Korea, Russia and arms transfers")
    assert "by 19 actors" in f.sentences[0]
    assert f.sentences[1].startswith("Of 15 official statements tested against deeds, 9 contra")


def test_first_screen_publishes_the_summary_and_escapes_everything(t):
    f = findings.Finding(("<b>x</b> said.",), (("<i>n</i>", "1"),), "Evidence: <s>", "<u>", ())
    bundle = present.first_screen(f)
    assert bundle[present.SUMMARY_MIME] == {"summary": "<b>x</b> said."}
    markup = bundle["text/html"]
    assert "<b>" not in markup and "<i>" not in markup and "<s>" not in markup
    assert "<u>" not in markup and "&lt;b&gt;x&lt;/b&gt; said." in markup
    # the evidence line comes before the figures: it must be on the first screen
    assert markup.index('class="evidence"') < markup.index('class="figures"')


def test_names_join_several_doers_and_follow_roles_to_the_state(t):
    n = Names(t)
    assert n.actor("pezeshkian;putin") == "Masoud Pezeshkian and Vladimir Putin"
    assert n.side("shoigu") == "RUS" and n.side("prigozhin") == "RUS"
    assert n.who("putin") == "Vladimir Putin, Russian President"
    assert n.stance("arms_to_russia", -2).startswith("−2 (towards: Refuses")


def test_key_figures_agree_in_number_with_their_counts(t):
    figures = dict(_say_do(t, "RUS", "russia-iran").figures)
    assert figures["official statement by Russia's side"] == "1"
    assert figures["source"] == "1"
    figures = dict(_say_do(t, "IRN", "russia-iran").figures)
    assert figures["official statements by Iran's side"] == "11"
    assert figures["statements by others about Iran"] == "18"


@pytest.mark.parametrize(
    ("actor", "case"),
    [("IRN", "russia-iran"), ("RUS", "russia-iran"), ("PRK", "north-korea-russia")],
)
def test_the_first_screen_needs_only_the_deeds_of_the_cards_shown_and_the_quoted_statement(
    t, actor, case
):
    """A report on large tables fetches evidence for the statements it shows, not for
    every statement; its first screen must read exactly as with every pair."""
    sd = research.say_do(t, actors=actor, case=case)
    full = findings.say_do(t, sd, research.evidence(t, list(sd["position_id"])), actor)
    own, others = present.sections(sd, Names(t), actor)
    shown = [*own["position_id"].iloc[:1], *others["position_id"].iloc[:1]]
    wanted = [*shown, *findings.quoted(t, sd, actor)]
    assert len(set(wanted)) < sd["position_id"].nunique()  # fewer than all of them
    few = findings.say_do(t, sd, research.evidence(t, wanted), actor)
    assert few == full


def test_sections_split_a_say_do_table_into_own_words_and_others_in_verdict_order(t):
    names = Names(t)
    sd = research.say_do(t, actors="IRN", case="russia-iran")
    own, others = present.sections(sd, names, "IRN")
    assert len(own) + len(others) == len(sd) and not set(own.index) & set(others.index)
    assert (own["kind"].astype(str) == "official_statement").all()
    assert (own["speaker_id"].astype(str).map(names.side) == "IRN").all()
    rank = {v: i for i, v in enumerate(research.VERDICTS)}
    for part in (own, others):
        ranks = part["verdict"].astype(str).map(rank).tolist()
        assert ranks == sorted(ranks)


def test_the_list_of_every_source_stops_after_a_hundred_and_says_how_many_more():
    sources = tuple(f"Source {i}" for i in range(1, 251))
    f = findings.Finding(("Something was found.",), (("sources", "250"),), "Evidence.", "", sources)
    markup = present.first_screen(f)["text/html"]
    assert markup.count("<li>Source ") == present.MAX_SOURCES
    assert "… and 150 more" in markup and "Source 100<" in markup and "Source 101<" not in markup
