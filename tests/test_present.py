"""What notebooks show: curated text escaped, names for ids, dates as precise as the source,
and every verdict with its basis."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import synthetic

import research
from research import dates, present
from research.findings import basis
from research.names import Names

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def _cards(t: research.Tables, position_id: str, **kw) -> str:
    sd = research.say_do(t)
    sd = sd[sd["position_id"] == position_id]
    return present.cards(
        sd, research.evidence(t, [position_id]), t.citations, Names(t), **kw
    ).markup


def test_cards_set_words_against_deeds_with_every_citation():
    html = _cards(research.load(MINIMAL), "never_armed")
    assert "contradicted" in html and "quote: “we never armed B”" in html
    assert "A supplied drones to B." in html and "status <strong>reported</strong>" in html
    # the report, by source title and outlet, and who claims it ...
    assert "“Synthetic fixture for tests”, research test suite, Oct 2024</span>" in html
    assert 'claimed by <span title="pundit">A pundit</span>; reported — the source writes' in html
    # ... and the denial
    assert 'claimed by <span title="lead_a">Leader of A</span>; <strong>denies it</strong>' in html
    assert "decided it" in html
    assert 'tested against the deeds of <span title="AAA">State A</span>' in html
    assert "once, within by 22 Oct 2024" in html  # the missiles have no known start


def test_cards_show_names_with_ids_on_hover_and_stances_in_words():
    html = _cards(research.load(MINIMAL), "never_armed")
    assert '<span title="lead_a">Leader of A, President</span>' in html  # name and role
    assert '<span title="arms">Arms to B</span>' in html
    assert "stance −2 (towards: refuses or stops supplying B)" in html
    assert "official statement, denial, own words" in html
    assert 'title="never_armed"' in html  # the statement's id for people who cite it


def test_every_verdict_states_its_basis_where_it_is_stated():
    t = research.load(MINIMAL)
    sd = research.say_do(t)
    names = Names(t)
    pairs = research.evidence(t, list(sd["position_id"]))
    html = present.cards(sd, pairs, t.citations, names).markup
    assert html.count('<p class="basis">') == len(sd)
    contradicted = _cards(t, "never_armed")
    assert "Contradicted: deeds against it weigh 1.52, deeds for it 0.00" in contradicted

    # untested statements say why in a sentence: too little weight, or no deed at all
    t = research.load()
    sd = research.say_do(t, actors="IRN", case="russia-iran")
    names, pairs = Names(t), research.evidence(t, list(sd["position_id"]))
    why = {
        r["position_id"]: basis(names, r, pairs)
        for _, r in sd[sd["verdict"] == "untested"].iterrows()
    }
    assert why["pezeshkian_no_deliveries_since_office"].startswith(
        "Untested: deeds against it weigh "
    )
    assert "under the 0.75 a verdict needs" in why["pezeshkian_no_deliveries_since_office"]
    assert why["pezeshkian_counter_sanctions"].startswith("Untested: no deed by Iran or anyone")
    request = sd[sd["position_id"] == "putin_restrained_response"].iloc[0]
    assert basis(names, request, pairs) == (
        "Not testable: a request to others: what the speaker asks of someone is not its own "
        "conduct."
    )


def test_cards_can_list_only_the_deeds_that_weigh():
    t = research.load(MINIMAL)
    every = _cards(t, "never_armed")
    counted = _cards(t, "never_armed", deeds="counted")
    assert "A may have sent missiles to B." in every  # weighs 0 in the window
    assert "A may have sent missiles to B." not in counted
    assert "A supplied drones to B." in counted


def test_said_dates_are_shown_only_as_precisely_as_known():
    t = research.load(MINIMAL)
    assert 'Said</strong> (2024, <span title="AAA">' in _cards(t, "talks_yes")  # year
    assert 'Said</strong> (Sep 2024, <span title="pundit">' in _cards(t, "pundit_view")  # month
    assert 'Said</strong> (30 Jul–22 Oct 2024, <span title="pundit">' in _cards(t, "pundit_on_ab")


def test_a_deed_that_went_on_throughout_says_so():
    t = research.load(MINIMAL)
    wide = ["office_holder", "state_organ", "private_firm"]
    sd = research.say_do(t, attribution=wide)
    sd = sd[sd["position_id"] == "pundit_view"]
    pairs = research.evidence(t, ["pundit_view"], attribution=wide)
    html = present.cards(sd, pairs, t.citations, Names(t)).markup
    assert "throughout 1 Sep–15 Oct 2024" in html
    assert 'claimed by <span title="BBB">State B</span>; <strong>denies it</strong>' in html


def test_dates_are_written_in_words_at_their_precision():
    assert dates.show("2024") == "2024"
    assert dates.show("2024-W39") == "week of 23 Sep 2024"
    assert dates.show("2024-24") == "winter 2024"
    assert dates.show("../..") == "any time"
    assert dates.show("2023-12-30/2024-01-02") == "30 Dec 2023–2 Jan 2024"


def test_curated_text_is_escaped_everywhere():
    t = research.load(MINIMAL)
    frames = {name: df for name, df in t}
    positions = frames["positions"][[c for c in research.schema()["positions"].columns]].copy()
    positions.loc[0, "summary"] = "<script>alert(1)</script>"
    frames = {n: df[list(research.schema()[n].columns)] for n, df in frames.items()}
    frames["positions"] = positions
    actors = frames["actors"].copy()
    actors.loc[actors["actor_id"] == "lead_a", "name"] = "<img src=x onerror=alert(2)>"
    frames["actors"] = actors
    hostile = research.Tables.from_frames(**frames)
    html = _cards(hostile, "never_armed")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html
    table = present.table(positions, ["summary", "speaker_id"], names=Names(hostile)).markup
    assert "<script>" not in table and "&lt;script&gt;" in table and "<img" not in table
    assert "<script>" not in present.paragraph("<script>").markup
    assert "<script>" not in present.heading("<script>").markup
    bundle = present.summary("<b>x</b>")
    assert bundle["text/html"] == '<p class="lead"><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>'
    assert bundle[present.SUMMARY_MIME] == {"summary": "<b>x</b>"}


def test_tables_write_dates_at_their_precision():
    t = research.load(MINIMAL)
    html = present.table(t.positions, ["position_id", "said", "window"]).markup
    assert "<td>2024</td>" in html and "<td>Sep 2024</td>" in html  # not 2024-01-01
    assert "<td>week of 23 Sep 2024</td>" in html and "<td>from 30 Sep 2024</td>" in html


def test_tables_with_names_show_names_words_and_headings_keeping_ids_on_hover():
    t = research.load(MINIMAL)
    sd = research.say_do(t)
    html = present.table(sd, ["speaker_id", "issue_id", "kind", "verdict"], names=Names(t)).markup
    assert "<th>speaker</th><th>issue</th>" in html
    assert '<span title="lead_a">Leader of A</span>' in html
    assert '<span title="arms">Arms to B</span>' in html
    assert "official statement" in html and "official_statement" not in html
    assert "not testable" in html or "not_testable" not in html


def test_wide_tables_scroll_inside_their_own_box():
    html = present.table(pd.DataFrame({"a": ["x" * 500]})).markup
    assert html.startswith('<div class="table-wrap" tabindex="0"><table>')


def test_cards_name_the_role_that_makes_words_count_for_a_state():
    html = _cards(research.load(MINIMAL), "never_armed")
    assert 'counts for <span title="AAA">State A</span> via <span title="lead_a_president">' in html


def test_cards_without_tables_show_the_ids():
    t = research.load(MINIMAL)
    sd = research.say_do(t)
    sd = sd[sd["position_id"] == "never_armed"]
    html = present.cards(sd, research.evidence(t, ["never_armed"]), t.citations).markup
    assert "Said</strong> (23 Sep 2024, lead_a; counts for AAA via lead_a_president;" in html


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of #rgb or #rrggbb."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_text_colours_meet_wcag_aa_contrast_on_every_background_of_the_page():
    """Every text colour of the report style against white and every background the
    style declares: at least 4.5:1 (WCAG 2.1 AA for body text)."""
    import re

    from research.render import STYLE

    texts = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b", STYLE))
    backgrounds = set(re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})\b", STYLE))
    backgrounds.add("#ffffff")
    assert len(texts) >= 3 and len(backgrounds) >= 3, (texts, backgrounds)
    for fg in texts:
        for bg in backgrounds:
            hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
            ratio = (hi + 0.05) / (lo + 0.05)
            assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f}:1"


def _many_deeds() -> research.Tables:
    """One denial against twelve deeds the other way, of every certainty, weakest first."""
    statuses = ["rumoured"] * 3 + ["alleged"] * 4 + ["reported"] * 3 + ["confirmed"] * 2
    return synthetic.tables(
        actors=["AAA", "BBB"],
        issues=["arms"],
        positions=[
            {
                "position_id": f"deny{i}",
                "speaker_id": "AAA",
                "issue_id": "arms",
                "stance": -2,
                "said": "2024-09-01",
                "claim": "denial",
            }
            for i in range(3)
        ],
        events=[
            {
                "event_id": f"deed{i:02d}",
                "doers": "AAA",
                "when": "2024-06",
                "issues": {"arms": 2},
                "status": s,
            }
            for i, s in enumerate(statuses)
        ],
    )


def test_cards_list_the_strongest_deeds_first_and_summarise_the_rest():
    t = _many_deeds()
    sd = research.say_do(t).head(1)
    pairs = research.evidence(t, list(sd["position_id"]))
    html = present.cards(sd, pairs, t.citations, Names(t), max_deeds=3).markup
    shown = re.findall(r"status <strong>(\w+)</strong>", html)
    assert shown == ["confirmed", "confirmed", "reported"]  # the most certain first
    assert "… and 9 more deeds (9 against it; 9 weigh in the verdict; the strongest reported)" in (
        html
    )
    assert "research.evidence(t, [&quot;deny0&quot;])" in html  # where the rest are listed
    # the verdict's basis still weighs every deed, not only those listed
    every = present.cards(sd, pairs, t.citations, Names(t), max_deeds=100).markup
    assert re.findall(r'<p class="basis">.*?</p>', html) == re.findall(
        r'<p class="basis">.*?</p>', every
    )
    assert every.count('<div class="done') == 12 and "more deed" not in every


def test_a_section_shows_its_first_cards_and_tallies_the_other_statements():
    t = _many_deeds()
    sd = research.say_do(t)
    pairs = research.evidence(t, list(sd["position_id"]))
    html = present.cards(sd, pairs, t.citations, Names(t), max_cards=1).markup
    assert html.count('<div class="card ') == 1 and 'title="deny0"' in html
    assert "… and 2 more statements (2 contradicted), each tested the same way" in html


def test_a_long_unbroken_cell_may_wrap_and_copies_as_the_same_text():
    long = "x" * 10_000
    markup = present.table(pd.DataFrame({"summary": [long, "short words stay whole"]})).markup
    cell = re.search(r"<td>(x[^<]*(?:<wbr>[^<]*)*)</td>", markup)[1]
    assert cell.replace("<wbr>", "") == long
    assert max(len(part) for part in cell.split("<wbr>")) <= present.WRAP_EVERY
    assert "<td>short words stay whole</td>" in markup
