"""What notebooks show: curated text escaped, dates as precise as the source."""

from __future__ import annotations

from pathlib import Path

import research
from research import present

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def _cards(t: research.Tables, position_id: str) -> str:
    sd = research.say_do(t)
    sd = sd[sd["position_id"] == position_id]
    return present.cards(sd, research.evidence(t, [position_id])).markup


def test_cards_set_words_against_deeds_with_status_claimant_and_source():
    html = _cards(research.load(MINIMAL), "never_armed")
    assert "contradicted" in html and "“we never armed B”" in html
    assert "A supplied drones to B." in html and "status <strong>reported</strong>" in html
    assert "claimed by pundit" in html and "decisive" in html
    assert "undated, by 2024-10-22" in html  # the missiles have no known start


def test_said_dates_are_shown_only_as_precisely_as_known():
    t = research.load(MINIMAL)
    assert "Said</strong> (2024, AAA" in _cards(t, "talks_yes")  # year precision
    assert "Said</strong> (2024-09, pundit" in _cards(t, "pundit_on_a")  # month precision


def test_curated_text_is_escaped_everywhere():
    t = research.load(MINIMAL)
    positions = t.positions.copy()
    positions.loc[0, "summary"] = "<script>alert(1)</script>"
    hostile = research.Tables.from_frames(
        actors=t.actors, issues=t.issues, positions=positions, events=t.events, sources=t.sources
    )
    html = _cards(hostile, "never_armed")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    table = present.table(positions, ["summary"]).markup
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert "<script>" not in present.paragraph("<script>").markup
    bundle = present.summary("<b>x</b>")
    assert bundle["text/html"] == '<p class="lead"><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>'
    assert bundle[present.SUMMARY_MIME] == {"summary": "<b>x</b>"}
