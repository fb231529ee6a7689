"""CAMEO codes read into the model: actors, PLOVER event types, issues (issue 12, step 2)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import research
from research import cameo
from research.gdelt import read_export
from research.schema import schema

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "tests" / "fixtures" / "gdelt" / "20191024143000.export.CSV"
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"


def test_bundled_lookups_are_the_files_their_provenance_note_names():
    readme = (cameo.LOOKUPS / "README.md").read_text(encoding="utf-8")
    for f in sorted(cameo.LOOKUPS.glob("*.txt")):
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        assert re.search(rf"`{re.escape(f.name)}` \| [0-9,]+ \| `{digest}`", readme), f.name


def test_every_plover_event_of_the_crosswalk_is_a_deed_action():
    actions = set(schema()["events"].field("action").enum)
    events = {p.action for p in cameo.crosswalk().values()}
    assert events == actions  # PLOVER's 16 events, no more, no fewer


def test_crosswalk_reads_codes_with_their_leading_zeros_and_drops_ambiguous_roots():
    assert cameo.plover("072").action == "aid"
    assert cameo.plover("072").contexts == ("military",)
    assert cameo.plover("0874").mode == "disarm"
    assert cameo.plover("163").action == "coerce"  # PLOVER moves it out of root 16
    assert cameo.plover("1712").action == "assault"  # ... and this out of root 17
    assert cameo.plover("091").contexts == ("crime", "corruption")
    assert cameo.plover("08") is None  # listed as CONCEDE and as RETREAT
    assert cameo.plover("010") is None and cameo.plover("020") is None  # dropped by PLOVER
    assert cameo.plover("72") is None  # not 072


def test_gdelt_actor_countries_become_registry_states_and_geo_codes_stay_apart():
    t = research.load()
    events = cameo.with_model(read_export([EXPORT]).events, t.actors)
    dyad = events[(events["doer_id"] == "IRN") & (events["target_id"] == "RUS")]
    assert dyad["GLOBALEVENTID"].tolist() == [881991936, 881991937, 881991938, 881991958, 881991959]
    assert set(dyad["action"]) == {"support"}  # 056 forgive and 051 praise: PLOVER SUPPORT
    assert set(dyad["channel"]) == {"verbal"}
    assert dyad["GoldsteinScale"].tolist() == [7.0, 7.0, 3.4, 7.0, 7.0]  # kept as GDELT gives
    # An actor country the registry lacks stays unmapped; the FIPS geo field is untouched.
    nor = events[events["Actor1CountryCode"] == "NOR"]  # Norway: not in the registry
    assert len(nor) == 11 and nor["doer_id"].isna().all()
    assert set(events["ActionGeo_CountryCode"].dropna()) >= {"RS"}
    assert "RS" not in set(events["doer_id"].dropna()) | set(events["target_id"].dropna())
    material = events[events["QuadClass"].isin([2, 4])]
    assert set(material["channel"]) == {"material"}


def test_code_issues_are_declared_in_data_and_the_longest_code_wins():
    t = research.load(MINIMAL)
    rows = cameo.bearing("AAA", "BBB", "0721", t.code_issues)
    assert rows[["cameo_code", "issue_id", "stance", "status"]].values.tolist() == [
        ["072", "arms", 2, "confirmed"]
    ]
    assert cameo.bearing("AAA", "BBB", "073", t.code_issues)["cameo_code"].tolist() == ["07"]
    assert cameo.bearing("BBB", "AAA", "072", t.code_issues).empty  # direction matters
    assert cameo.bearing(None, "AAA", "036", t.code_issues).empty


def test_bundled_mapping_proposes_issues_for_the_cases_dyads():
    t = research.load()
    rows = cameo.bearing("IRN", "RUS", "072", t.code_issues)
    assert rows[["issue_id", "stance"]].values.tolist() == [["arms_to_russia", 2]]
    partnership = cameo.bearing("RUS", "IRN", "061", t.code_issues)
    assert partnership[["issue_id", "stance"]].values.tolist() == [["russia_iran_partnership", 1]]
