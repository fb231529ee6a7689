"""Importing GDELT 2.0 event exports as GDELT publishes them (issue 12, step 1)."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from research.gdelt import COLUMNS, read_export
from research.problems import DataError, Problem

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "gdelt"
EXPORT = FIXTURE / "20191024143000.export.CSV"
ARTICLE = "https://www.bworldonline.com/iran-is-losing-leverage-in-syria/"


def _rows() -> list[list[str]]:
    """The fixture read independently of the importer: the plain csv module."""
    with EXPORT.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "research", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_fixture_is_the_slice_its_provenance_note_describes():
    readme = (FIXTURE / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(EXPORT.read_bytes()).hexdigest() in readme
    schema = FIXTURE / "events_schema.csv"
    assert hashlib.sha256(schema.read_bytes()).hexdigest() in readme


def test_column_order_is_the_published_schema():
    with (FIXTURE / "events_schema.csv").open(encoding="utf-8", newline="") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    assert tuple(names) == COLUMNS


def test_real_export_reads_whole_with_codes_as_strings():
    x = read_export([EXPORT])
    rows = _rows()
    assert len(x.events) == x.rows == len(rows) == 190
    assert list(x.events.columns[:61]) == list(COLUMNS)
    # Leading zeros intact: the importer's codes equal the file's text, cell by cell.
    for i, c in enumerate(("EventCode", "EventBaseCode", "EventRootCode"), start=26):
        assert x.events[c].tolist() == [r[i] for r in rows]
    assert (x.events["EventRootCode"].str.startswith("0")).sum() > 100
    assert x.events["QuadClass"].value_counts().sort_index().tolist() == [128, 18, 19, 25]
    assert x.events["GLOBALEVENTID"].tolist() == [int(r[0]) for r in rows]
    assert x.events["line"].tolist() == list(range(1, 191))
    assert set(x.events["added"]) == {datetime(2019, 10, 24, 14, 30)}


def test_zipped_export_reads_the_same_as_the_plain_file(tmp_path):
    archive = tmp_path / "20191024143000.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(EXPORT, EXPORT.name)
    plain, zipped = read_export([EXPORT]), read_export([archive])
    assert zipped.events.drop(columns="file").equals(plain.events.drop(columns="file"))
    assert set(zipped.events["file"]) == {archive.name}


def test_exports_missing_from_the_15_minute_series_are_reported(tmp_path):
    for stamp in ("20191024143000", "20191024144500", "20191024153000"):
        shutil.copy(EXPORT, tmp_path / f"{stamp}.export.CSV")
    (tmp_path / "20191024153000.mentions.CSV").write_text("not an export\n")
    x = read_export([tmp_path])
    assert x.missing == (datetime(2019, 10, 24, 15, 0), datetime(2019, 10, 24, 15, 15))
    assert [p.name for p in x.ignored] == ["20191024153000.mentions.CSV"]
    assert len(x.events) == 3 * 190
    assert "2 15-minute exports missing from the series: 20191024150000, 20191024151500" in (
        x.summary()
    )


def test_every_malformed_row_is_named_by_file_and_line_at_once(tmp_path):
    rows = _rows()[:6]
    rows[1] = rows[1][:60]  # line 2: a field short
    rows[2][29] = "5"  # line 3: QuadClass
    rows[3][26] = "56"  # line 4: a code that lost its leading zero (base stays 056)
    rows[4][1] = "20191345"  # line 5: no such day
    rows[5][30] = "12.5"  # line 6: Goldstein out of range
    bad = tmp_path / "20191024143000.export.CSV"
    bad.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_export([bad, tmp_path / "20191024144500.export.CSV.zip"])
    name = str(bad)
    assert e.value.problems == [
        Problem(name, 2, "(row)", e.value.problems[0].value, "has 60 tab-separated fields; "
                "a GDELT 2.0 export has 61"),
        Problem(name, 3, "QuadClass", "5", "must be 1, 2, 3 or 4"),
        Problem(name, 4, "EventCode", "56",
                "must begin with its base code, which begins with its root code"),
        Problem(name, 5, "SQLDATE", "20191345", "is not a day of the calendar"),
        Problem(name, 6, "GoldsteinScale", "12.5", "must be a number from -10 to 10"),
        Problem(str(tmp_path / "20191024144500.export.CSV.zip"), 0, "(file)",
                str(tmp_path / "20191024144500.export.CSV.zip"), "no such file or directory"),
    ]  # fmt: skip


def test_a_name_off_the_15_minute_slots_is_rejected(tmp_path):
    odd = tmp_path / "20191024143100.export.CSV"
    shutil.copy(EXPORT, odd)
    with pytest.raises(DataError, match="14:31:00 is not on a 15-minute slot"):
        read_export([odd])


def test_actor_filter_keeps_events_between_the_listed_states():
    dyad = read_export([EXPORT], actors=["RUS", "IRN"]).events
    assert dyad["GLOBALEVENTID"].tolist() == [881991936, 881991937, 881991938, 881991958, 881991959]
    assert set(dyad["SOURCEURL"]) == {ARTICLE}
    # One code: every event Russia is party to, as the plain file counts them.
    expected = sum(1 for r in _rows() if "RUS" in (r[7], r[17]))
    assert len(read_export([EXPORT], actors=["RUS"]).events) == expected == 91


def test_fips_geo_codes_are_never_matched_as_actors():
    events = read_export([EXPORT]).events
    assert (events["ActionGeo_CountryCode"] == "RS").any()  # FIPS 10-4 for Russia
    assert read_export([EXPORT], actors=["RS"]).events.empty


def test_since_and_until_bound_the_event_day():
    expected = sum(1 for r in _rows() if "20191023" <= r[1] <= "20191024")
    got = read_export([EXPORT], since=date(2019, 10, 23), until=date(2019, 10, 24)).events
    assert len(got) == expected > 0
    assert got["day"].min() >= datetime(2019, 10, 23)


def test_import_command_reports_what_it_read_and_fails_on_bad_rows(tmp_path):
    ok = _cli("import", "gdelt", str(FIXTURE), "--actors", "RUS,IRN")
    assert ok.returncode == 0, ok.stderr
    assert "1 export file, 190 rows read, 5 kept" in ok.stdout
    bad = tmp_path / "20191024143000.export.CSV"
    bad.write_text("1\t2\n", encoding="utf-8")
    out = _cli("import", "gdelt", str(bad))
    assert out.returncode == 1
    assert f"{bad}:1: (row): '1\\t2': has 2 tab-separated fields" in out.stderr
