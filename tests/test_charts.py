"""Charts: deterministic specs that tell the truth and carry the evidence a reader hovers for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import research
from research import charts
from research.names import Names

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load(MINIMAL)


@pytest.fixture(scope="module")
def curated() -> research.Tables:
    return research.load()


def _walk(spec: object, key: str) -> list:
    """Every value stored under ``key`` anywhere in a spec."""
    found = []
    if isinstance(spec, dict):
        if key in spec:
            found.append(spec[key])
        for v in spec.values():
            found += _walk(v, key)
    elif isinstance(spec, list):
        for v in spec:
            found += _walk(v, key)
    return found


def _fields(spec: object) -> set[str]:
    return {f for f in _walk(spec, "field") if isinstance(f, str)}


def _rows(spec: dict) -> list[dict]:
    return [r for rows in spec["datasets"].values() for r in rows]


def test_same_data_gives_the_same_json(t):
    a = charts.timeline_chart(research.timeline(t), Names(t)).to_json()
    b = charts.timeline_chart(research.timeline(research.load(MINIMAL)), Names(t)).to_json()
    assert a == b
    assert "uuid" not in a and not re.search(r'"view_\d+"', a)  # no counters or random names


def test_timeline_tooltips_carry_quote_status_sources_and_written_date(t):
    spec = charts.timeline_chart(research.timeline(t), Names(t)).to_dict()
    tooltip_fields = {tip["field"] for tips in _walk(spec, "tooltip") for tip in tips}
    assert {"quote", "status", "sources", "label", "dating", "who", "actor"} <= tooltip_fields
    values = [r for r in _rows(spec) if "quote" in r]
    assert [v["quote"] for v in values if v["quote"]] == ["we never armed B"]
    assert {v["when"] for v in values} >= {"2022-22", "2024-W39"}  # as the source dates it
    summit = next(v for v in values if v["id"] == "summit")
    assert summit["sources"] == (  # every source by title, outlet and date
        "“Synthetic fixture for tests”, research test suite, Oct 2024; "
        "“Synthetic wire copy”, another site, 12 Oct 2024"
    )
    assert next(v for v in values if v["when"] == "2024-W39")["dating"] == "week of 23 Sep 2024"


def test_timeline_encodes_which_actor_and_labels_each_axis_end_in_words(t):
    spec = charts.timeline_chart(research.timeline(t), Names(t)).to_dict()
    colours = [c for c in _walk(spec, "color") if isinstance(c, dict) and "field" in c]
    assert colours and all(c["field"] == "actor" for c in colours)
    assert {"State A", "State B"} <= {r.get("actor") for r in _rows(spec)}
    texts = {r["text"] for r in _rows(spec) if "text" in r}
    assert "+2: supplies B" in texts and "−2: refuses or stops supplying B" in texts
    titles = [x["title"] for x in _walk(spec, "x") if isinstance(x, dict) and "title" in x]
    assert "date (as reported)" in titles
    axes = [a for a in _walk(spec, "axis") if isinstance(a, dict) and "format" in a]
    assert any(a["format"] == "%b %Y" for a in axes)  # the time axis has date labels


def test_undated_deeds_are_marked_and_drawn_up_to_their_last_day(t):
    tl = research.timeline(t)
    assert tl["date"].isna().any()
    spec = charts.timeline_chart(tl, Names(t)).to_dict()
    undated = [r for r in _rows(spec) if r.get("mark") == "undated"]
    assert undated and all(r["dating"].startswith("undated: ") for r in undated)
    for r in undated:
        assert r["at"] == r["end"]  # the mark sits at the last possible day, not a guess
    assert "undated" in spec["description"]


def test_a_row_long_before_the_rest_is_noted_not_allowed_to_squash_the_axis(t):
    tl = research.timeline(t)
    old = tl.index[tl["date"].notna()][0]
    tl.loc[old, ["date", "end"]] = pd.Timestamp("2015-03-01")
    tl.loc[old, "when"] = "2015-03"
    spec = charts.timeline_chart(tl, Names(t)).to_dict()
    lo, _ = charts.focus_range(tl)
    assert lo > pd.Timestamp("2020-01-01")
    before = [r for r in _rows(spec) if r.get("mark") == "before"]
    assert len(before) == 1 and before[0]["dating"] == "before the range shown: Mar 2015"
    assert "long before the rest (2015-03) drawn at the left edge" in spec["description"]


def test_verdict_counts_have_whole_number_ticks_and_verdicts_in_words(t):
    spec = charts.verdict_chart(research.say_do(t), "State A").to_dict()
    axes = [a for a in _walk(spec, "axis") if isinstance(a, dict) and "values" in a]
    assert axes and all(float(v).is_integer() for a in axes for v in a["values"])
    assert {r["verdict_words"] for r in _rows(spec)} <= {
        "contradicted",
        "mixed",
        "consistent",
        "untested",
        "not testable",
    }
    assert spec["description"].startswith("State A: verdicts by kind of position.")


def test_thin_alignment_scores_are_flagged(curated):
    al = research.alignment(curated, "PRK", "RUS", freq="Y", case="north-korea-russia")
    spec = charts.alignment_chart(al, names=Names(curated)).to_dict()
    rows = _rows(spec)
    thin = [r for r in rows if r["thin"] and r["s_score"] is not None]
    assert thin and all(r["note"] == "thin" for r in thin)
    assert all(r["note"] == "" for r in rows if not r["thin"])
    assert "2022 words: S +1.00 on 1 shared issue, thin" in spec["description"]


def test_gap_heatmap_and_alignment_encode_what_they_claim(t):
    heat = charts.gap_heatmap(research.gap_summary(t)).to_dict()
    assert {"speaker_id", "issue_id", "mean_gap"} <= _fields(heat)
    al = research.alignment(t, "AAA", "pundit", channel="words", freq="Y")
    al = charts.alignment_chart(al).to_dict()
    assert {"period", "s_score", "channel"} <= _fields(al)
    # a period with no shared issue is a null, not a 0
    assert all(r["s_score"] is None for r in _rows(al))


def test_every_chart_describes_itself_from_its_data(curated):
    n = Names(curated)
    tl = research.timeline(curated, actors="IRN", case="russia-iran")
    desc = charts.timeline_chart(tl, n).to_dict()["description"]
    words = int((tl["channel"] == "words").sum())
    assert desc.startswith("Timeline of ") and f"{words} statements" in desc
    assert "Iran" in desc and "IRN" not in desc
    sd = research.say_do(curated, actors="IRN", case="russia-iran")
    desc = charts.verdict_chart(sd, "Iran").to_dict()["description"]
    official = sd[sd["kind"] == "official_statement"]
    n_contra = int((official["verdict"] == "contradicted").sum())
    assert f"official statement: {n_contra} contradicted" in desc


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


#: Machado, Oliveira and Fernandes (2009) simulation matrices, severity 1.0, linear RGB.
SIMULATIONS = {
    "none": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _seen(hex_colour: str, matrix) -> tuple[float, float, float]:
    rgb = [_linear(int(hex_colour[i : i + 2], 16) / 255) for i in (1, 3, 5)]
    sim = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix]
    return _lab(tuple(sim))


@pytest.mark.parametrize("kind", list(SIMULATIONS))
@pytest.mark.parametrize(
    "palette",
    [
        charts.VERDICT_COLOURS.values(),
        charts.CHANNEL_COLOURS.values(),
        charts.OKABE_ITO[:5],  # the colours the first five actors of a timeline get
    ],
    ids=["verdicts", "channels", "actors"],
)
def test_palettes_stay_distinct_under_colour_blindness(palette, kind):
    seen = [_seen(c, SIMULATIONS[kind]) for c in palette]
    closest = min(
        sum((a - b) ** 2 for a, b in zip(p, q, strict=True)) ** 0.5
        for i, p in enumerate(seen)
        for q in seen[i + 1 :]
    )
    assert closest > 10, (kind, closest)  # CIE76 ΔE: clearly different colours


def test_report_build_renders_svg_with_the_shipped_font_and_keeps_the_spec(t, monkeypatch):
    monkeypatch.setenv(charts.STATIC_ENV, "1")
    assert charts.enable() == "research"
    bundle = charts.verdict_chart(research.say_do(t))._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    svg = data["image/svg+xml"]
    assert svg.lstrip().startswith("<svg") and "DejaVu Sans" in svg
    assert "http" not in svg.replace("http://www.w3.org", "")
    assert data[charts.SPEC_MIME]["description"].startswith("verdicts by kind")
    monkeypatch.delenv(charts.STATIC_ENV)
    assert charts.enable() == "default"


def test_chart_spec_is_valid_json_roundtrip(t):
    spec = charts.verdict_chart(research.say_do(t)).to_json()
    assert json.loads(spec)["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_timeline_zooms_its_time_axis_in_every_panel_with_shift_and_wheel(curated):
    tl = research.timeline(curated, actors=["RUS", "IRN"], case="russia-iran")
    spec = charts.timeline_chart(tl, Names(curated)).to_dict()
    (zoom,) = spec["params"]
    assert zoom["bind"] == "scales" and zoom["select"]["encodings"] == ["x"]
    assert zoom["select"]["zoom"] == "wheel![event.shiftKey]"  # plain scrolling scrolls the page
    assert len(set(zoom["views"])) >= tl["issue_id"].nunique()  # each panel's points


def _copies(tl: pd.DataFrame, n: int, distinct: bool) -> pd.DataFrame:
    """``n`` copies of a timeline with new ids; ``distinct`` moves each copy a day later."""
    parts = []
    for k in range(n):
        part = tl.assign(id=tl["id"] + f"_x{k}")
        if distinct:
            shift = pd.Timedelta(days=k)
            part = part.assign(date=part["date"] + shift, end=part["end"] + shift)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def test_a_timeline_of_identical_rows_draws_each_mark_once_with_their_number(t):
    tl = research.timeline(t)
    many = _copies(tl, 400, distinct=False)
    assert len(many) > 5000  # over Altair's row limit, which used to fail the report
    spec = charts.timeline_chart(many, Names(t)).to_dict()
    rows = [r for r in _rows(spec) if "rows" in r]
    assert len(rows) == len(tl) and {r["rows"] for r in rows} == {400}
    note = f"Drawn: {len(tl)} marks for {len(many):,} rows (identical rows as one mark"
    assert note in spec["description"] and spec["title"]["text"].startswith(note)
    tips = {tip["field"] for tips in _walk(spec, "tooltip") for tip in tips}
    assert "rows" in tips
    plain = charts.timeline_chart(tl, Names(t)).to_dict()  # under the limit: every row, no note
    assert "Drawn:" not in plain["description"] and "title" not in plain


def test_a_timeline_over_the_mark_limit_draws_an_even_sample_and_says_so(t):
    tl = research.timeline(t)
    many = _copies(tl, 600, distinct=True)
    spec = charts.timeline_chart(many, Names(t)).to_dict()
    rows = [r for r in _rows(spec) if "rows" in r]
    assert len(rows) <= charts.MAX_MARKS
    assert f"an even sample in time of {len(rows):,} of {len(many):,} marks" in spec["description"]
    # each issue keeps its share of the marks, give or take one
    share = tl["issue_id"].value_counts(normalize=True)
    drawn = pd.Series([r["issue_id"] for r in rows]).value_counts()
    for issue, s in share.items():
        assert abs(drawn.get(issue, 0) - s * len(rows)) <= 2, issue
    again = charts.timeline_chart(many, Names(t)).to_json()
    assert again == charts.timeline_chart(many, Names(t)).to_json()  # no random draw
