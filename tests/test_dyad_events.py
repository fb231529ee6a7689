"""The dyad_events reports: the bundled GDELT slice, the finding they state, their charts.

The slice in ``data/events/gdelt`` is real GDELT data that ``make reports`` builds from on a
fresh clone; these tests hold it to its provenance file and to the test slice it overlaps.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import research
from research import build as rb
from research import charts, dyad_findings
from research.build import Report, fingerprint
from research.dyad import dyad_series, lead_lag
from research.dyad_findings import EventData, finding, read_events, statements, study
from research.gdelt import read_export
from research.names import Names

ROOT = Path(__file__).resolve().parents[1]
SLICE_DIR = ROOT / "data" / "events" / "gdelt"
SLICE = SLICE_DIR / "20191024143000.export.CSV"
TEST_SLICE = ROOT / "tests" / "fixtures" / "gdelt" / "20191024143000.export.CSV"
REPORTS = ROOT / "reports"
STATES = ("RUS", "IRN", "PRK")


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load()


@pytest.fixture(scope="module")
def bundled() -> EventData:
    return read_events(SLICE_DIR)


def _fields(line: bytes) -> list[bytes]:
    return line.split(b"\t")


# --- the bundled slice --------------------------------------------------------------------


def test_bundled_slice_matches_the_size_rows_and_sha256_its_provenance_states():
    readme = (SLICE_DIR / "README.md").read_text(encoding="utf-8")
    row = re.search(
        r"\| `20191024143000\.export\.CSV` \| ([\d,]+) \| (\d+) \| `([0-9a-f]{64})` \|", readme
    )
    assert row, "the provenance table names the file, its bytes, rows and SHA-256"
    data = SLICE.read_bytes()
    assert len(data) == int(row[1].replace(",", ""))
    assert data.count(b"\n") == int(row[2])
    assert hashlib.sha256(data).hexdigest() == row[3]


def test_bundled_slice_keeps_every_row_of_the_three_states_in_the_exports_format():
    lines = SLICE.read_bytes().splitlines()
    assert all(len(_fields(x)) == 61 for x in lines)
    assert all({_fields(x)[7].decode(), _fields(x)[17].decode()} & set(STATES) for x in lines)
    per_state = {
        s: sum(s.encode() in (_fields(x)[7], _fields(x)[17]) for x in lines) for s in STATES
    }
    assert per_state == {"RUS": 91, "IRN": 47, "PRK": 7}  # as its README says


def test_bundled_russia_and_iran_rows_are_byte_for_byte_those_of_the_test_slice():
    def rus_irn(path: Path) -> list[bytes]:
        keep = {b"RUS", b"IRN"}
        return [x for x in path.read_bytes().splitlines() if {_fields(x)[7], _fields(x)[17]} & keep]

    assert rus_irn(SLICE) == rus_irn(TEST_SLICE)
    assert len(rus_irn(SLICE)) == 133


def test_bundled_slice_reads_with_the_importer_and_the_readme_is_ignored(bundled):
    x = read_export([SLICE_DIR], actors=["RUS", "IRN"])
    assert x.rows == 140 and len(x.events) == 5 and x.missing == ()
    assert [p.name for p in x.ignored] == ["README.md"]
    assert set(x.events["EventCode"]) == {"056", "051"}  # leading zeros kept
    assert bundled.rows == 140
    assert (
        bundled.origin
        == "140 rows of the GDELT 2.0 export of 2019-10-24 14:30 UTC, one 15-minute file"
    )


def test_event_data_files_are_part_of_the_report_fingerprint(tmp_path):
    data = shutil.copytree(ROOT / "data", tmp_path / "data")
    report = Report("r", ROOT / "notebooks" / "dyad_events.ipynb", "T", {"actor_a": "RUS"})
    code = rb.code_fingerprint()
    before = fingerprint(report, data, code)
    assert data / "events" / "gdelt" / SLICE.name in rb.data_files(data)
    with (data / "events" / "gdelt" / SLICE.name).open("ab") as f:
        f.write(b" ")
    assert fingerprint(report, data, code) != before


# --- a dyad with nothing, or next to nothing, on record ------------------------------------------


def test_a_dyad_with_no_event_gives_an_empty_series_and_an_untestable_lead_lag(bundled):
    s = dyad_series(bundled.source, "PRK", "RUS", freq="M")
    assert s.empty and list(s.columns)[:3] == ["period", "doer", "target"]
    ll = lead_lag(s, "PRK")
    assert np.isnan(ll.p_value) and ll.table["n"].tolist() == [0] * 7
    assert ll.verdict(unit="months") == (
        "too few months with both words and deeds to test whether words lead deeds"
    )  # never "no signal" when nothing was tested


def test_thin_slice_finding_says_the_lead_lag_cannot_be_measured_not_that_words_carry_no_signal(
    t, bundled
):
    d = study(bundled, "RUS", "IRN", freq="M")
    f = finding(d, t, statements(t, "RUS", "IRN", "russia-iran"))
    text = " ".join(f.sentences)
    assert f.sentences[0].startswith(
        "GDELT's machine coding holds 5 events between Russia and Iran"
    )
    assert "Iran towards Russia 5 verbal and 0 material" in text
    assert "cannot be measured here" in text and "at least 3 months" in text
    assert "no signal" not in text
    assert "no say–do gap can be measured" in text
    assert "16 statements by Russia and Iran, said in 2024; none falls within" in text
    assert f.evidence == (
        "Evidence: 1 article (bworldonline.com), coded by GDELT's machine and read by no one here."
    )
    assert f.caveat.startswith("Thin: 5 events in 1 month from 1 article")
    assert f.sources == (
        "https://www.bworldonline.com/iran-is-losing-leverage-in-syria/ — 5 events (IRN→RUS), "
        "2019-10-24",
    )
    assert dict(f.figures)["lead–lag tests run"] == "0"


def test_a_dyad_absent_from_the_data_is_said_to_be_absent_with_each_states_rows(t, bundled):
    f = finding(study(bundled, "PRK", "RUS"), t, statements(t, "PRK", "RUS", "north-korea-russia"))
    assert "holds no event between North Korea and Russia" in f.sentences[0]
    assert "North Korea is an actor in 7 of its rows, Russia in 91" in f.sentences[0]
    assert "not evidence of absence" in f.sentences[1]
    assert f.evidence.startswith("Evidence: no GDELT event between them")
    assert f.sources == ()


# --- a long enough series ---------------------------------------------------------------------


def _gdelt_like(shares_ab: np.ndarray, material_ab: np.ndarray, shares_ba: np.ndarray):
    """Monthly events from 2020-01: 10 verbal and 10 material per month and direction, the
    given share of each cooperation (QuadClass 1 or 2), the rest conflict (3 or 4); IRN's
    material cooperation towards RUS is its verbal one reversed in time."""
    rows = []
    back_deeds = shares_ba[::-1]
    for m, (w, d, back) in enumerate(zip(shares_ab, material_ab, shares_ba, strict=True)):
        day = int(f"{2020 + m // 12}{m % 12 + 1:02d}15")
        pairs = (("RUS", "IRN", w, d), ("IRN", "RUS", back, back_deeds[m]))
        for doer, target, verbal, material in pairs:
            for i in range(10):
                rows.append((day, doer, target, 1 if i < round(10 * verbal) else 3, m, i))
                rows.append((day, doer, target, 2 if i < round(10 * material) else 4, m, i))
    df = pd.DataFrame(rows, columns=["SQLDATE", "Actor1CountryCode", "Actor2CountryCode",
                                     "QuadClass", "m", "i"])  # fmt: skip
    df["GoldsteinScale"] = df["QuadClass"].map({1: 3.0, 2: 7.0, 3: -2.0, 4: -9.0})
    df["NumMentions"] = 1
    df["SOURCEURL"] = "https://example.org/" + df["m"].astype(str) + "/" + df["i"].astype(str)
    return EventData(df.drop(columns=["m", "i"]), "synthetic events", len(df))


def test_words_that_lead_deeds_by_two_months_are_stated_with_their_p_value(t):
    rng = np.random.default_rng(5)
    words = rng.integers(1, 10, size=36) / 10
    deeds = np.concatenate([[0.5, 0.5], words[:-2]])  # material cooperation two months later
    other = rng.integers(1, 10, size=36) / 10
    d = study(_gdelt_like(words, deeds, other), "RUS", "IRN", freq="M")
    f = finding(d, t, statements(t, "RUS", "IRN", "russia-iran"))
    lead = f.sentences[1]
    assert lead.startswith(
        "Russia's verbal cooperation towards Iran led its material cooperation by 2 months"
    ), lead
    p = float(re.search(r"permutation p = ([0-9.]+), over 34 months", lead)[1])
    assert p < 0.05
    assert "Iran's verbal cooperation towards Russia carried no signal" in lead
    assert dict(f.figures)["lead–lag tests run"] == "2"
    assert f.caveat.startswith("Machine-coded events")  # 1,440 events in 36 months: not thin
    assert "Goldstein points" in f.sentences[2]


def test_statements_beside_are_the_cases_positions_of_the_two_sides(t):
    st = statements(t, "RUS", "IRN", "russia-iran")
    names = Names(t)
    sides = {names.side(p) for p in st["principal"].astype(str)}
    assert sides <= {"RUS", "IRN"} and len(st) == 16
    assert set(st["channel"]) == {"words"} and set(st["case_id"]) == {"russia-iran"}


# --- charts -----------------------------------------------------------------------------------


def test_dyad_charts_are_deterministic_and_describe_their_data(t, bundled):
    d = study(bundled, "RUS", "IRN")
    names = Names(t)
    st = statements(t, "RUS", "IRN", "russia-iran")
    a = charts.dyad_channels_chart(d.series, names, "cooperation", st).to_json()
    assert a == charts.dyad_channels_chart(d.series, names, "cooperation", st).to_json()
    spec = charts.dyad_channels_chart(d.series, names, "cooperation", st).to_dict()
    assert "Iran → Russia: 5 verbal events and 0 material events in 1 period" in spec["description"]
    assert "16 curated statements on the same time axis" in spec["description"]
    domains = {json_domain(c) for c in spec["vconcat"]}
    assert len(domains) == 1  # the events and the statements share one time axis
    gap = charts.dyad_gap_chart(d.series, names).to_dict()["description"]
    assert "Iran → Russia: no period with both words and deeds coded" in gap
    ll = charts.lead_lag_chart(d.tests, names, "months").to_dict()["description"]
    assert "not computed (fewer than 3 periods with both channels)" in ll


def json_domain(panel: dict) -> str:
    layers = panel.get("layer", [panel])
    return str(layers[0]["encoding"]["x"]["scale"]["domain"])


def test_lead_lag_chart_draws_a_bar_per_computed_lag_labelled_with_its_p_value(t):
    rng = np.random.default_rng(5)
    words = rng.integers(1, 10, size=24) / 10
    d = study(_gdelt_like(words, words, words), "RUS", "IRN", permutations=99)
    spec = charts.lead_lag_chart(d.tests, Names(t), "months").to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows if "lag" in r]
    assert len(rows) == 14 and all(r["label"].startswith("p=") for r in rows)
    assert "largest r +1.00 at lag 0 (months)" in spec["description"]


# --- the built reports ------------------------------------------------------------------------

CASES = {
    "russia-iran-dyad_events-RUS-IRN": ("russia-iran", "RUS", "IRN"),
    "north-korea-russia-dyad_events-PRK-RUS": ("north-korea-russia", "PRK", "RUS"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_dyad_events_report_states_its_finding_first(t, bundled, name):
    case, a, b = CASES[name]
    f = finding(study(bundled, a, b, freq="M"), t, statements(t, a, b, case))
    page = (REPORTS / f"{name}.html").read_text(encoding="utf-8")
    lead = re.search(r'<section[^>]*class="finding"[^>]*><p class="lead">(.*?)</p>', page, re.S)
    assert lead, f"{name}: no finding at the top"
    assert html.unescape(lead[1]) == " ".join(f.sentences)
    assert page.index('class="finding"') < page.index("<h2")  # before every section
    assert f.evidence in html.unescape(page)
    index = (REPORTS / "index.html").read_text(encoding="utf-8")
    assert f.sentences[0] in html.unescape(index)  # the index's one-line summary


def test_every_case_has_a_dyad_events_report():
    entries = rb.read_reports(ROOT / "reports.toml")
    dyads = {r.parameters["case"] for r in entries if r.notebook.name == "dyad_events.ipynb"}
    assert dyads == set(research.load().cases["case_id"])
    assert dyad_findings.events_path() == ROOT / "data" / "events" / "gdelt"


@pytest.mark.parametrize("dyad", [("RUS", "IRN"), ("PRK", "RUS")], ids=["thin", "empty"])
def test_dyad_charts_have_a_finite_size_even_with_nothing_to_draw(t, bundled, dyad):
    import vl_convert as vlc

    d = study(bundled, *dyad)
    names = Names(t)
    for chart in (
        charts.dyad_channels_chart(d.series, names, "cooperation"),
        charts.dyad_gap_chart(d.series, names),
        charts.lead_lag_chart(d.tests, names, "months"),
    ):
        svg = vlc.vegalite_to_svg(chart.to_dict())
        width, height = re.search(r'<svg[^>]* width="([^"]+)" height="([^"]+)"', svg).groups()
        assert float(width) < 1000 and float(height) < 1000, chart.to_dict()["description"]
