"""The bundled Russia–Iran tables: they load, they are honest, and the verdicts
an analyst would expect come out of them."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import research

ROOT = Path(__file__).resolve().parents[1]


SOURCES = ROOT.parent / "shared" / "sources"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load()


@pytest.fixture(scope="module")
def verdicts(t) -> pd.DataFrame:
    return research.say_do(t, case="russia-iran").set_index(["position_id", "principal"])


def test_default_load_finds_both_cases_with_real_dtypes(t):
    assert t.data_dir == ROOT / "data"
    assert set(t.cases["case_id"]) == {"russia-iran", "north-korea-russia"}
    per_case = t.positions.groupby("case_id").size()
    assert per_case["russia-iran"] >= 30 and per_case["north-korea-russia"] >= 15
    assert str(t.positions["said_start"].dtype).startswith("datetime64")
    assert isinstance(t.events["status"].dtype, pd.CategoricalDtype)
    assert str(t.positions["stance"].dtype) == "Int8"
    assert str(t.events["negated"].dtype) == "boolean"
    assert str(t.actors["name"].dtype) == "string"


def test_every_position_and_deed_is_cited_by_a_known_source(t):
    known = set(t.sources["source_id"])
    assert set(t.citations["source_id"]) <= known
    assert set(t.positions["position_id"]) <= set(t.citations["position_id"].dropna())
    assert set(t.events["event_id"]) <= set(t.citations["event_id"].dropna())
    for name in ("actors", "roles", "issues"):
        df = getattr(t, name)
        assert df["source_id"].notna().all() and set(df["source_id"]) <= known, name


def test_states_use_iso_alpha3_and_leaders_hold_dated_roles(t):
    actors = t.actors.set_index("actor_id")
    for state in ("RUS", "IRN", "ISR", "USA", "ARM", "AZE", "PRK", "KOR", "GBR"):
        assert actors.loc[state, "kind"] == "state"
    roles = t.roles.set_index("actor_id")
    assert roles.loc["putin", "for_id"] == "RUS"
    pez = t.roles[t.roles["actor_id"] == "pezeshkian"].iloc[0]
    assert pez.for_id == "IRN" and pez.start == "2024-08-30"  # the article's date is kept ...
    assert "30 July 2024" in pez.notes  # ... and the public record's noted


def test_since_i_took_office_is_tied_to_the_role_start(t):
    p = t.positions.set_index("position_id").loc["pezeshkian_no_deliveries_since_office"]
    assert not pd.isna(p.window_from_role)
    assert p.window_start == pd.Timestamp("2024-08-30")


def test_no_statement_is_dated_to_a_made_up_first_of_january(t):
    made_up = t.positions[
        (t.positions["said_start"].dt.strftime("%m-%d") == "01-01")
        & (t.positions["said_precision"] == "day")
    ]
    assert made_up.empty, list(made_up["position_id"])
    # 'also denied' follows the 23 September remarks but carries no date: only its bounds
    undated = t.positions.set_index("position_id").loc["pezeshkian_denies_ballistic_missiles"]
    assert undated.said == "2024-08-30/2024-10-22" and undated.said_precision == "range"


def test_the_authors_inferences_are_not_deeds(t):
    ids = set(t.events["event_id"])
    for inferred in (
        "iran_ongoing_arms_supplies_to_russia",
        "pezeshkian_no_talks_with_western_leaders",
        "usa_strike_permission_withheld",
    ):
        assert inferred not in ids


def test_one_meeting_and_one_agreement_are_one_row_with_both_parties(t):
    doers = t.events.set_index("event_id")["doers"]
    assert set(doers["pezeshkian_putin_ashgabat_meeting"].split(";")) == {"pezeshkian", "putin"}
    agreements = t.events[t.events["summary"].str.contains("border guards", case=False)]
    agreements = agreements[agreements["action"] == "agree"]
    assert len(agreements) == 1 and ";" in agreements.iloc[0]["doers"]


def test_conflicting_reports_are_citations_of_one_deed(t):
    cites = t.citations[t.citations["event_id"] == "prk_arms_delivery_to_wagner_2022"]
    assert len(cites) >= 2 and cites["denies"].any() and (~cites["denies"]).any()
    hwasong = t.citations[t.citations["event_id"] == "prk_hwasong11_missile_to_russia_kharkiv_2024"]
    assert {"un_sanctions_monitors", "un_diplomatic_source_tass"} <= set(hwasong["claimed_by"])


def test_no_comment_is_not_a_denial(t):
    p = t.positions.set_index("position_id").loc["peskov_no_comment_prk_missiles_2024_01"]
    assert p.claim == "evidence" and p.stance == 0


def test_syndicated_copies_say_whose_text_they_carry(t):
    syndicated = t.sources[t.sources["syndicated_from"].notna()]
    assert len(syndicated) >= 3 and set(syndicated["syndicated_from"]) == {"Reuters"}


def test_sources_wording_of_certainty_is_kept(t):
    wording = " ".join(t.citations["source_wording"].dropna())
    for phrase in ("open secret", "Rumors", "reportedly", "Western speculations", "can confirm"):
        assert phrase.lower() in wording.lower(), phrase


def test_analysts_are_kept_apart_from_official_positions(t):
    kinds = t.positions.set_index("speaker_id")["kind"]
    assert set(kinds.loc[["solhdoost", "sadeghi"]]) <= {"analyst_assessment", "prediction"}
    claims = t.positions.set_index("speaker_id")["claim"]
    assert "assessment" not in set(claims.loc[["pezeshkian"]])


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not SOURCES.exists(), reason="needs ../shared/sources (absent in a user clone)")
def test_every_quote_is_verbatim_in_its_cited_source(t):
    copies = t.sources.set_index("source_id")["stored_copy"]
    quoted = t.citations[t.citations["quote"].notna()]
    assert len(quoted) >= 20
    checked = 0
    for c in quoted.itertuples(index=False):
        copy = copies[c.source_id]
        assert not pd.isna(copy), f"{c.citation_id}: its source names no stored copy"
        text = _normalised((SOURCES / copy).read_text(encoding="utf-8"))
        assert _normalised(c.quote) in text, f"{c.citation_id}: {c.quote!r} not in {copy}"
        assert len(c.quote) <= 300
        checked += 1
    assert checked == len(quoted)


def test_a_case_never_sees_another_cases_rows(t):
    ri = research.say_do(t, case="russia-iran")
    assert set(ri["case_id"]) == {"russia-iran"}
    nk_events = set(t.events.loc[t.events["case_id"] == "north-korea-russia", "event_id"])
    assert not {e for ids in ri["evidence_ids"] for e in ids} & nk_events
    al = research.alignment_by_issue(t, "RUS", "IRN", case="russia-iran")
    assert not set(al["issue_id"]) & {"prk_sanctions_compliance", "prk_sanctions_tightening"}


def test_never_supported_the_invasion_is_contradicted_by_the_2022_drones(verdicts):
    r = verdicts.loc[("pezeshkian_never_supported_invasion", "IRN")]
    assert r.verdict == "contradicted"
    assert "iran_shahed_drones_2022" in r.evidence_ids
    assert r.strongest_status == "reported"  # an "open secret", not confirmed


def test_no_deliveries_since_i_took_office_is_not_contradicted_by_earlier_deeds(verdicts, t):
    r = verdicts.loc[("pezeshkian_no_deliveries_since_office", "IRN")]
    assert r.verdict != "contradicted"
    assert "iran_shahed_drones_2022" not in r.evidence_ids
    before_office = t.events[t.events["end"] < pd.Timestamp("2024-08-30")]["event_id"]
    assert not set(before_office) & set(r.evidence_ids)


def test_every_contradicted_position_shows_its_evidence(verdicts):
    contradicted = verdicts[verdicts["verdict"] == "contradicted"]
    assert len(contradicted) >= 1
    assert all(len(ids) >= 1 for ids in contradicted["evidence_ids"])


def test_a_request_is_about_the_conduct_asked_of_its_addressee(t, verdicts):
    requests = t.positions[t.positions["claim"] == "request"]
    assert len(requests) >= 3 and requests["subjects"].notna().all()
    assert verdicts.loc["putin_restrained_response"].index.tolist() == ["IRN"]


def test_russia_and_iran_align_more_in_words_than_in_deeds(t):
    al = research.alignment(t, "RUS", "IRN", case="russia-iran")
    assert list(al["channel"]) == ["words", "deeds"]
    for _, r in al.iterrows():
        assert (r.n_shared == 0) == pd.isna(r.s_score)
        assert (r.reason != "") == pd.isna(r.s_score)


def test_frictionless_validates_the_data_package():
    exe = Path(sys.executable).with_name("frictionless")
    if not exe.exists():
        pytest.skip("frictionless is a dev dependency; not installed here")
    out = subprocess.run(
        [str(exe), "validate", str(ROOT / "data" / "datapackage.json")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-2000:]


def test_stance_3_and_unknown_actor_are_both_named_by_file_line_and_column(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "positions.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert not any("\n" in cell for row in rows for cell in row)  # one record per line
    header = rows[0]
    rows[1][header.index("stance")] = "3"  # line 2
    rows[2][header.index("speaker_id")] = "pezeshkjan"  # line 3
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    out = subprocess.run(
        [sys.executable, "-m", "research", "validate", str(data)], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "positions.csv:2: stance: '3': must be between -2 and 2" in out.stderr
    assert "positions.csv:3: speaker_id: 'pezeshkjan': unknown actor id" in out.stderr
    assert "did you mean 'pezeshkian'" in out.stderr


def test_frictionless_passes_what_only_research_validate_rejects(tmp_path):
    """The README's claim: rules.json is checked by research validate alone."""
    exe = Path(sys.executable).with_name("frictionless")
    if not exe.exists():
        pytest.skip("frictionless is a dev dependency; not installed here")
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", data)
    path = data / "positions.csv"
    text = path.read_text(encoding="utf-8")
    # A window that ends before it starts breaks a rule of rules.json, no Table Schema rule.
    path.write_text(text.replace("2022-02-24/2024-09-23", "2024-09-23/2022-02-24"), "utf-8")
    out = subprocess.run(
        [str(exe), "validate", str(data / "datapackage.json")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-2000:]
    problems = [str(p) for p in research.validate(data)]
    assert problems == [
        "positions.csv:2: window: '2024-09-23/2022-02-24': a window must not end before it starts"
    ]
