"""GDELT rows as candidates an analyst reviews: the round trip on the real export slice
(issue 12, step 3)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import research
from research.gdelt import read_export
from research.review import ReviewError, decide, import_candidates, paths, pending, read_decisions

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "gdelt"
EXPORT = FIXTURE / "20191024143000.export.CSV"
ARTICLE = "https://www.bworldonline.com/iran-is-losing-leverage-in-syria/"
AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of the bundled data: the real registry, with IRN and RUS as states."""
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d, ignore=shutil.ignore_patterns("candidates"))
    return d


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "research", *args], capture_output=True, text=True, cwd=ROOT
    )


def _dyad_candidate(data: Path) -> pd.Series:
    import_candidates(read_export([EXPORT], actors=["RUS", "IRN"]).events, "russia-iran", data)
    (c,) = [r for _, r in pd.read_parquet(paths("russia-iran", data)["candidates"]).iterrows()]
    return c


def test_five_rows_from_one_article_become_one_candidate_with_their_provenance(data):
    c = _dyad_candidate(data)
    assert c["source_url"] == ARTICLE
    assert (c["actor1_country"], c["actor2_country"]) == ("IRN", "RUS")
    assert (c["doer_id"], c["target_id"]) == ("IRN", "RUS")
    assert c["mentions"] == 5  # GDELT rows folded in
    assert c["global_event_ids"] == "881991936;881991937;881991938;881991958;881991959"
    assert c["event_codes"] == "051;056"
    # NumMentions 2, 2, 2, 4, 2 (the file's own cells): summed, and weighting Goldstein.
    assert c["num_mentions"] == 12
    assert c["goldstein"] == pytest.approx((7.0 * 2 + 7.0 * 2 + 3.4 * 2 + 7.0 * 4 + 7.0 * 2) / 12)
    assert (c["num_sources"], c["num_articles"]) == (1, 4)
    assert c["date_added"] == pd.Timestamp("2019-10-24 14:30:00")
    assert c["first_day"] == c["last_day"] == pd.Timestamp("2019-10-24")
    assert c["action"] == "support" and c["channel"] == "verbal"
    assert pd.isna(c["status"]) and c["issues"] == ""  # code_issues maps no 05x codes


def test_code_issues_propose_issue_stance_and_a_weaker_status_with_one_source(tmp_path):
    minimal = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", minimal)
    events = read_export([EXPORT], actors=["RUS", "IRN"]).events
    # The real rows, their actors renamed to the minimal registry's states and codes to 072.
    events["Actor1CountryCode"], events["Actor2CountryCode"] = "AAA", "BBB"
    events["EventCode"], events["EventBaseCode"], events["EventRootCode"] = "072", "072", "07"
    import_candidates(events, "case-a", minimal)
    (c,) = [r for _, r in pd.read_parquet(paths("case-a", minimal)["candidates"]).iterrows()]
    assert c["issues"] == "arms:2"  # 072 wins over 07 for the issue arms
    assert c["status"] == "reported"  # code_issues says confirmed; NumSources is 1


def test_accepting_a_candidate_as_a_deed_writes_a_valid_cited_deed(data):
    c = _dyad_candidate(data)
    row = decide(
        "russia-iran", c["candidate_id"], "deed", reason="Praise between the two governments.",
        reviewer="analyst", summary="Iran's government praised Russia's (GDELT coding, 2019).",
        issues=[("russia_iran_partnership", 1)], status="alleged", data_dir=data, at=AT,
    )  # fmt: skip
    assert row["decided_at"] == "2026-11-25T12:00:00Z"
    t = research.load(data)
    deed = t.events.set_index("event_id").loc[c["candidate_id"]]
    assert (deed["doers"], deed["targets"], deed["when"]) == ("IRN", "RUS", "2019-10-24")
    assert deed["action"] == "support" and deed["status"] == "alleged"
    assert "GLOBALEVENTID 881991936;881991937;881991938;881991958;881991959" in deed["notes"]
    cit = t.citations.set_index("event_id").loc[c["candidate_id"]]
    source = t.sources.set_index("source_id").loc[cit["source_id"]]
    assert source["url"] == ARTICLE and source["kind"] == "news_report"
    assert t.actors.set_index("actor_id").loc[cit["claimed_by"], "kind"] == "media"
    assert t.event_issues[t.event_issues["event_id"] == c["candidate_id"]][
        ["issue_id", "stance"]
    ].values.tolist() == [["russia_iran_partnership", 1]]
    decisions = read_decisions("russia-iran", data)
    assert decisions.to_dict("records") == [
        {
            "candidate_id": c["candidate_id"], "decision": "deed", "event_id": c["candidate_id"],
            "reason": "Praise between the two governments.", "reviewer": "analyst",
            "decided_at": "2026-11-25T12:00:00Z",
        }
    ]  # fmt: skip


def test_reimporting_never_duplicates_or_loses_a_decision(data):
    c = _dyad_candidate(data)
    decide("russia-iran", c["candidate_id"], "reject", reason="Rhetoric, not a deed.",
           reviewer="analyst", data_dir=data, at=AT)  # fmt: skip
    decisions = paths("russia-iran", data)["decisions"].read_bytes()
    again = import_candidates(read_export([EXPORT]).events, "russia-iran", data)
    assert (again.events, again.new_events) == (190, 185)
    assert again.decided == 1
    once_more = import_candidates(read_export([EXPORT]).events, "russia-iran", data)
    assert (once_more.events, once_more.new_events, once_more.new_candidates) == (190, 0, 0)
    assert once_more.candidates == again.candidates
    assert paths("russia-iran", data)["decisions"].read_bytes() == decisions
    assert c["candidate_id"] not in set(pending("russia-iran", data)["candidate_id"])
    with pytest.raises(ReviewError, match="already decided \\(reject\\) by analyst"):
        decide("russia-iran", c["candidate_id"], "deed", reason="changed my mind",
               reviewer="other", summary="x", data_dir=data)  # fmt: skip


def test_a_candidate_accepted_as_a_citation_cites_the_existing_deed(data):
    c = _dyad_candidate(data)
    before = research.load(data).events.set_index("event_id").loc["iran_shahed_drones_2022"]
    decide("russia-iran", c["candidate_id"], "citation", event_id="iran_shahed_drones_2022",
           reason="test of the mechanism only", reviewer="analyst", status="alleged",
           data_dir=data, at=AT)  # fmt: skip
    t = research.load(data)
    cites = t.citations[t.citations["event_id"] == "iran_shahed_drones_2022"]
    assert ARTICLE in set(t.sources.set_index("source_id").loc[cites["source_id"], "url"])
    assert t.events.set_index("event_id").loc["iran_shahed_drones_2022", "n_citations"] == (
        before["n_citations"] + 1
    )


def test_a_decision_that_would_break_the_data_writes_nothing(data):
    c = _dyad_candidate(data)
    tables = {p.name: p.read_bytes() for p in data.glob("*.csv")}
    with pytest.raises(ReviewError, match="unknown event id"):
        decide("russia-iran", c["candidate_id"], "citation", event_id="no_such_deed",
               reason="r", reviewer="analyst", status="alleged", data_dir=data)  # fmt: skip
    with pytest.raises(ReviewError, match="needs --summary"):
        decide("russia-iran", c["candidate_id"], "deed", reason="r", reviewer="analyst",
               issues=[("russia_iran_partnership", 1)], status="alleged",
               data_dir=data)  # fmt: skip
    with pytest.raises(ReviewError, match="give the reason"):
        decide("russia-iran", c["candidate_id"], "reject", reason=" ", reviewer="a",
               data_dir=data)  # fmt: skip
    assert {p.name: p.read_bytes() for p in data.glob("*.csv")} == tables
    assert not paths("russia-iran", data)["decisions"].exists()


def test_import_and_review_commands_round_trip(data):
    out = _cli("import", "gdelt", str(FIXTURE), "--actors", "RUS,IRN", "--case", "russia-iran",
               "--data-dir", str(data))  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "1 candidates (1 new, 0 decided)" in out.stdout
    listed = _cli("review", "russia-iran", "--data-dir", str(data))
    assert "1 candidates to review" in listed.stdout and ARTICLE in listed.stdout
    cid = listed.stdout.split()[6]
    done = _cli("review", "russia-iran", cid, "--reject", "--reason", "verbal only",
                "--reviewer", "analyst", "--data-dir", str(data))  # fmt: skip
    assert done.returncode == 0, done.stderr
    with paths("russia-iran", data)["decisions"].open(encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["candidate_id"], row["decision"], row["reason"], row["reviewer"]) == (
        cid, "reject", "verbal only", "analyst",
    )  # fmt: skip
    assert "0 candidates to review" in _cli("review", "russia-iran", "--data-dir", str(data)).stdout
