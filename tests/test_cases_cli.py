"""Scaffolding a new case and migrating version-1 tables, from the command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import research

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
V1 = ROOT / "tests" / "fixtures" / "v1"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "research", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_new_case_adds_the_case_and_one_report_per_notebook(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    reports = tmp_path / "reports.toml"
    reports.write_text("# reports\n", encoding="utf-8")
    out = _cli(
        "new-case", "a-and-b", "--title", "A and B", "--description", "Both, on arms.",
        "--actors", "AAA,BBB", "--data-dir", str(data), "--reports", str(reports),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    t = research.load(data)
    assert "a-and-b" in set(t.cases["case_id"])
    entries = tomllib.loads(reports.read_text(encoding="utf-8"))["reports"]
    assert set(entries) == {
        "a-and-b-say_do-AAA",
        "a-and-b-say_do-BBB",
        "a-and-b-dyad-AAA-BBB",
        "a-and-b-explore",
    }
    assert entries["a-and-b-dyad-AAA-BBB"]["parameters"]["case"] == "a-and-b"
    assert entries["a-and-b-say_do-BBB"]["title"].startswith("State B:")
    again = _cli(
        "new-case", "a-and-b", "--title", "x", "--description", "x", "--actors", "AAA",
        "--data-dir", str(data), "--reports", str(reports),
    )  # fmt: skip
    assert again.returncode == 1 and "already exists" in again.stderr


def test_new_case_refuses_unknown_actors_and_bad_names_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    reports = tmp_path / "reports.toml"
    reports.write_text("", encoding="utf-8")
    before = (data / "cases.csv").read_bytes()
    out = _cli(
        "new-case", "c-and-d", "--title", "x", "--description", "x", "--actors", "CCC,AAA",
        "--data-dir", str(data), "--reports", str(reports),
    )  # fmt: skip
    assert out.returncode == 1 and "unknown actor ids ['CCC']" in out.stderr
    out = _cli(
        "new-case", "Bad Name", "--title", "x", "--description", "x", "--actors", "AAA",
        "--data-dir", str(data), "--reports", str(reports),
    )  # fmt: skip
    assert out.returncode == 1 and "must match" in out.stderr
    assert (data / "cases.csv").read_bytes() == before and reports.read_text() == ""


def test_migrate_turns_version_1_tables_into_valid_version_2(tmp_path):
    dest = tmp_path / "v2"
    out = _cli("migrate", str(V1), str(dest), "--case", "old-case")
    assert out.returncode == 0, out.stderr
    assert "choices to review" in out.stdout and "claim set to own_conduct" in out.stdout
    t = research.load(dest)
    assert set(t.cases["case_id"]) == {"old-case"}
    roles = t.roles.set_index("actor_id")
    assert roles.loc["lead_a", "for_id"] == "AAA"  # speaks_for became a role
    said = t.positions.set_index("position_id")["said"]
    assert said["talks_yes"] == "2024" and said["pundit_view"] == "2024-09"  # no first days
    when = t.events.set_index("event_id")["when"]
    assert when["drones_2022"] == "2022-22" and when["missiles"] == "../2024-10-22"
    ei = t.event_issues.set_index("event_id")
    assert ei.loc["drones_2022", "issue_id"] == "arms" and ei.loc["drones_2022", "stance"] == 2
    status = t.events.set_index("event_id")["status"]
    assert status["missiles"] == "rumoured"  # the v1 status became the citation's
    quote = t.citations.set_index("position_id").loc["never_armed", "quote"]
    assert quote == "we never armed B"


def test_migrate_refuses_an_existing_destination_and_a_non_v1_directory(tmp_path):
    out = _cli("migrate", str(V1), str(MINIMAL))
    assert out.returncode == 1 and "exists" in out.stderr
    out = _cli("migrate", str(MINIMAL), str(tmp_path / "new"))
    assert out.returncode == 1 and "not a version-1 directory" in out.stderr
    assert not (tmp_path / "new").exists()


def test_a_version_1_directory_is_told_to_migrate(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(V1, old)
    shutil.copy(MINIMAL / "rules.json", old / "rules.json")
    problems = [str(p) for p in research.validate(old)]
    assert any("run `research migrate`" in p for p in problems), problems


def test_validate_prints_rows_per_table_and_per_case():
    out = _cli("validate", str(MINIMAL))
    assert out.returncode == 0, out.stderr
    assert "case case-a: 5 positions, 5 events" in out.stdout
    assert "case case-b: 1 positions, 1 events" in out.stdout


def test_migrate_adds_the_columns_of_version_2_1_to_version_2_0_tables(tmp_path):
    import csv
    import json

    old = tmp_path / "old"
    shutil.copytree(MINIMAL, old)
    package = json.loads((old / "datapackage.json").read_text(encoding="utf-8"))
    package["version"] = "2.0.0"
    package["resources"] = [r for r in package["resources"] if r["name"] != "code_issues"]
    (old / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (old / "code_issues.csv").unlink()  # added in 2.2
    with (MINIMAL / "positions.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with (old / "positions.csv").open("w", encoding="utf-8", newline="") as f:
        keep = [c for c in rows[0] if c not in ("counterpart", "condition_event")]
        w = csv.DictWriter(f, keep, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    assert "migrate" in str(research.validate(old)[0])  # the old version is named
    out = _cli("migrate", str(old), str(tmp_path / "new"))
    assert out.returncode == 0, out.stderr
    new, fixture = research.load(tmp_path / "new"), research.load(MINIMAL)
    assert new.counts() == {**fixture.counts(), "code_issues": 0}
    assert new.positions["counterpart"].isna().all()


def test_migrate_adds_the_code_issues_table_of_version_2_2_to_version_2_1_tables(tmp_path):
    import json

    old = tmp_path / "old"
    shutil.copytree(MINIMAL, old)
    package = json.loads((old / "datapackage.json").read_text(encoding="utf-8"))
    package["version"] = "2.1.0"
    package["resources"] = [r for r in package["resources"] if r["name"] != "code_issues"]
    (old / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (old / "code_issues.csv").unlink()
    assert "declares data model version 2.1.0" in str(research.validate(old)[0])
    out = _cli("migrate", str(old), str(tmp_path / "new"))
    assert out.returncode == 0, out.stderr
    new, fixture = research.load(tmp_path / "new"), research.load(MINIMAL)
    assert new.counts() == {**fixture.counts(), "code_issues": 0}
    header = (tmp_path / "new" / "code_issues.csv").read_text(encoding="utf-8")
    assert header == "doer_id,target_id,cameo_code,issue_id,stance,status,notes\n"
