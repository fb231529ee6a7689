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
ARTICLE = ROOT.parent / "shared" / "sources" / "000_efa7d792a225166e.txt"


@pytest.fixture(scope="module")
def t() -> research.Tables:
    return research.load()


@pytest.fixture(scope="module")
def verdicts(t) -> pd.DataFrame:
    return research.say_do(t).set_index("position_id")


def test_default_load_finds_the_bundled_tables_with_real_dtypes(t):
    assert t.data_dir == ROOT / "data"
    counts = t.counts()
    assert counts["sources"] >= 1 and counts["actors"] >= 30
    assert counts["positions"] >= 30 and counts["events"] >= 30
    assert str(t.positions["said"].dtype).startswith("datetime64")
    assert isinstance(t.events["status"].dtype, pd.CategoricalDtype)
    assert str(t.positions["stance"].dtype) == "Int8"
    assert str(t.events["negated"].dtype) == "boolean"
    assert str(t.actors["name"].dtype) == "string"


def test_every_row_cites_a_known_source(t):
    known = set(t.sources["source_id"])
    for name, df in t:
        if "source_id" in df and name != "sources":
            assert df["source_id"].notna().all() and set(df["source_id"]) <= known, name


def test_states_use_iso_alpha3_and_leaders_speak_for_them(t):
    actors = t.actors.set_index("actor_id")
    for state in ("RUS", "IRN", "ISR", "USA", "ARM", "AZE"):
        assert actors.loc[state, "kind"] == "state"
    assert actors.loc["pezeshkian", "speaks_for"] == "IRN"
    assert actors.loc["putin", "speaks_for"] == "RUS"


def test_the_article_date_conflict_is_kept_and_noted(t):
    p = t.positions.set_index("position_id").loc["pezeshkian_no_deliveries_since_office"]
    assert p.window_start == pd.Timestamp("2024-08-30")  # the article's date is kept ...
    assert "30 July 2024" in p.notes  # ... and the public record's noted


def test_sources_wording_of_certainty_is_kept(t):
    wording = " ".join(t.events["source_wording"].dropna())
    for phrase in ("open secret", "Rumors", "reportedly", "Western speculations"):
        assert phrase in wording


def test_analysts_are_kept_apart_from_official_positions(t):
    kinds = t.positions.set_index("actor_id")["kind"]
    assert set(kinds.loc[["solhdoost", "sadeghi"]]) <= {"analyst_assessment", "prediction"}
    assert set(kinds.loc[["pezeshkian"]]) == {"official_statement"}


@pytest.mark.skipif(not ARTICLE.exists(), reason="needs ../shared/sources (absent in a user clone)")
def test_quotes_are_verbatim_and_short(t):
    text = ARTICLE.read_text(encoding="utf-8")
    quotes = t.positions["quote"].dropna()
    assert len(quotes) >= 5
    for q in quotes:
        assert q in text and len(q) <= 300, q


def test_never_supported_the_invasion_is_contradicted_by_the_2022_drones(verdicts):
    r = verdicts.loc["pezeshkian_never_supported_invasion"]
    assert r.verdict == "contradicted"
    assert "iran_shahed_drones_2022" in r.evidence_ids
    assert r.strongest_status == "reported"  # an "open secret", not confirmed


def test_no_deliveries_since_i_took_office_is_not_contradicted_by_earlier_deeds(verdicts, t):
    r = verdicts.loc["pezeshkian_no_deliveries_since_office"]
    assert r.verdict != "contradicted"
    assert "iran_shahed_drones_2022" not in r.evidence_ids
    before_office = t.events[t.events["end"] < pd.Timestamp("2024-08-30")]["event_id"]
    assert not set(before_office) & set(r.evidence_ids)
    assert "loosely dated" in r.reason  # what bears on it is only loosely dated


def test_every_contradicted_position_shows_its_evidence(verdicts):
    contradicted = verdicts[verdicts["verdict"] == "contradicted"]
    assert len(contradicted) >= 1
    assert all(len(ids) >= 1 for ids in contradicted["evidence_ids"])


def test_putin_asking_for_restraint_matches_russia_not_stopping_israeli_strikes(verdicts):
    assert verdicts.loc["putin_restrained_response", "verdict"] == "consistent"


def test_russia_and_iran_align_more_in_words_than_in_deeds(t):
    al = research.alignment(t, "RUS", "IRN")
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
    rows[2][header.index("actor_id")] = "pezeshkjan"  # line 3
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    out = subprocess.run(
        [sys.executable, "-m", "research", "validate", str(data)], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "positions.csv:2: stance: '3': must be between -2 and 2" in out.stderr
    assert "positions.csv:3: actor_id: 'pezeshkjan': unknown actor id" in out.stderr
    assert "did you mean 'pezeshkian'" in out.stderr
