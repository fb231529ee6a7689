"""Charts: deterministic specs that carry the evidence a reader hovers for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import research
from research import charts

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load(MINIMAL)


def _fields(spec: object) -> set[str]:
    """Every encoded field name anywhere in a spec."""
    found: set[str] = set()
    if isinstance(spec, dict):
        if "field" in spec and isinstance(spec["field"], str):
            found.add(spec["field"])
        for v in spec.values():
            found |= _fields(v)
    elif isinstance(spec, list):
        for v in spec:
            found |= _fields(v)
    return found


def test_same_data_gives_the_same_json(t):
    a = charts.timeline_chart(research.timeline(t)).to_json()
    b = charts.timeline_chart(research.timeline(research.load(MINIMAL))).to_json()
    assert a == b
    assert "uuid" not in a and "view_" not in a  # no counters or random names


def test_timeline_tooltips_carry_quote_status_sources_and_written_date(t):
    spec = charts.timeline_chart(research.timeline(t)).to_dict()
    tooltip_fields = set()
    for layer in spec["spec"]["layer"]:
        for tip in layer.get("encoding", {}).get("tooltip", []):
            tooltip_fields.add(tip["field"])
    assert {"quote", "status", "sources", "label", "when"} <= tooltip_fields
    values = next(iter(spec["datasets"].values()))
    quotes = [v["quote"] for v in values if v["quote"]]
    assert quotes == ["we never armed B"]
    assert {v["date"] for v in values} >= {"2022-06-01", "2024-09-23"}  # ISO days, no zone
    assert {v["when"] for v in values} >= {"2022-22", "2024-W39"}  # as the source dates it
    summit = next(v for v in values if v["id"] == "summit")
    assert summit["sources"] == "fixture, wire"


def test_gap_heatmap_and_alignment_encode_what_they_claim(t):
    heat = charts.gap_heatmap(research.gap_summary(t)).to_dict()
    assert {"speaker_id", "issue_id", "mean_gap"} <= _fields(heat)
    al = research.alignment(t, "AAA", "pundit", channel="words", freq="Y")
    al = charts.alignment_chart(al).to_dict()
    assert {"period", "s_score", "channel"} <= _fields(al)
    # a period with no shared issue is a null, not a 0
    rows = next(iter(al["datasets"].values()))
    assert all(r["s_score"] is None for r in rows)


def test_static_rendering_uses_svg_with_the_shipped_font(t, monkeypatch):
    monkeypatch.setenv(charts.STATIC_ENV, "1")
    assert charts.enable() == "svg"
    bundle = charts.verdict_chart(research.say_do(t))._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    svg = data["image/svg+xml"]
    assert svg.lstrip().startswith("<svg") and "DejaVu Sans" in svg
    assert "http" not in svg.replace("http://www.w3.org", "")
    monkeypatch.delenv(charts.STATIC_ENV)
    assert charts.enable() == "default"


def test_chart_spec_is_valid_json_roundtrip(t):
    spec = charts.verdict_chart(research.say_do(t)).to_json()
    assert json.loads(spec)["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
