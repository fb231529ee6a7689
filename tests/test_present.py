"""What notebooks show: curated text escaped, dates as precise as the source."""

from __future__ import annotations

from pathlib import Path

import research
from research import dates, present

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def _cards(t: research.Tables, position_id: str) -> str:
    sd = research.say_do(t)
    sd = sd[sd["position_id"] == position_id]
    return present.cards(sd, research.evidence(t, [position_id]), t.citations).markup


def test_cards_set_words_against_deeds_with_every_citation():
    html = _cards(research.load(MINIMAL), "never_armed")
    assert "contradicted" in html and "quote: “we never armed B”" in html
    assert "A supplied drones to B." in html and "status <strong>reported</strong>" in html
    assert "fixture: pundit; reported — “open secret”" in html  # the report ...
    assert "wire: lead_a; <strong>denies it</strong>; confirmed" in html  # ... and the denial
    assert "decided it" in html and "tested against AAA" in html
    assert "once, within by 22 Oct 2024" in html  # the missiles have no known start


def test_said_dates_are_shown_only_as_precisely_as_known():
    t = research.load(MINIMAL)
    assert "Said</strong> (2024, AAA" in _cards(t, "talks_yes")  # year precision
    assert "Said</strong> (Sep 2024, pundit" in _cards(t, "pundit_view")  # month precision
    assert "Said</strong> (30 Jul–22 Oct 2024, pundit" in _cards(t, "pundit_on_ab")  # a range


def test_a_deed_that_went_on_throughout_says_so():
    t = research.load(MINIMAL)
    wide = ["office_holder", "state_organ", "private_firm"]
    sd = research.say_do(t, attribution=wide)
    sd = sd[sd["position_id"] == "pundit_view"]
    pairs = research.evidence(t, ["pundit_view"], attribution=wide)
    html = present.cards(sd, pairs, t.citations).markup
    assert "throughout 1 Sep–15 Oct 2024" in html
    assert "wire: BBB; <strong>denies it</strong>" in html


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
    hostile = research.Tables.from_frames(**frames)
    html = _cards(hostile, "never_armed")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    table = present.table(positions, ["summary"]).markup
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert "<script>" not in present.paragraph("<script>").markup
    bundle = present.summary("<b>x</b>")
    assert bundle["text/html"] == '<p class="lead"><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>'
    assert bundle[present.SUMMARY_MIME] == {"summary": "<b>x</b>"}


def test_tables_write_dates_at_their_precision():
    t = research.load(MINIMAL)
    html = present.table(t.positions, ["position_id", "said", "window"]).markup
    assert "<td>2024</td>" in html and "<td>Sep 2024</td>" in html  # not 2024-01-01
    assert "<td>week of 23 Sep 2024</td>" in html and "<td>from 30 Sep 2024</td>" in html
