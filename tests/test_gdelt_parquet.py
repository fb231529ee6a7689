"""The import's day-partitioned Parquet: round trip, pruning, atomic writes (issue 12)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from research import engines, gdelt
from research.dyad import dyad_expr, dyad_series
from research.gdelt import read_export, write_parquet
from research.problems import DataError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "gdelt"
EXPORT = FIXTURE / "20191024143000.export.CSV"
TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.int64(): pd.Int64Dtype(),
         pa.float64(): pd.Float64Dtype()}  # fmt: skip


def _read(dest: Path) -> pd.DataFrame:
    """The dataset as pyarrow reads it (not through our engine code), in GLOBALEVENTID order."""
    part = pads.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
    table = pads.dataset(dest, format="parquet", partitioning=part).to_table()
    df = table.to_pandas(types_mapper=TYPES.get)
    df["day"] = pd.to_datetime(df["day"]).astype("datetime64[s]")
    df["added"] = df["added"].astype("datetime64[s]")
    df["line"] = df["line"].astype("int64")
    return df.sort_values("GLOBALEVENTID", kind="stable").reset_index(drop=True)


def _in_memory(**kw) -> pd.DataFrame:
    events = read_export([EXPORT], **kw).events
    return events.sort_values("GLOBALEVENTID", kind="stable").reset_index(drop=True)


def _split_export(tmp_path: Path) -> Path:
    """The fixture as two consecutive 15-minute exports (95 rows each)."""
    lines = EXPORT.read_bytes().splitlines(keepends=True)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "20191024143000.export.CSV").write_bytes(b"".join(lines[:95]))
    (folder / "20191024144500.export.CSV").write_bytes(b"".join(lines[95:]))
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_partitions_round_trip_the_in_memory_import(tmp_path):
    dest = tmp_path / "events"
    written = write_parquet([EXPORT], dest)
    expected = _in_memory()
    got = _read(dest)
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
    days = sorted(p.name for p in dest.iterdir())
    assert days == [f"day={d:%Y-%m-%d}" for d in sorted(set(expected["day"]))]
    assert (written.rows, written.kept, written.total, written.days) == (190, 190, 190, len(days))
    # one file per day, its rows once per GLOBALEVENTID in ascending order
    for day in dest.iterdir():
        (only,) = day.iterdir()
        ids = pq.read_table(only, columns=["GLOBALEVENTID"])["GLOBALEVENTID"].to_pylist()
        assert ids == sorted(set(ids))


def test_batches_and_filters_give_the_same_rows_as_the_in_memory_import(tmp_path):
    folder = _split_export(tmp_path)
    kw = {"actors": ["RUS"], "since": date(2019, 10, 1), "until": date(2019, 10, 24)}
    expected = read_export([folder], **kw).events
    expected = expected.sort_values("GLOBALEVENTID").reset_index(drop=True)
    dest = tmp_path / "events"
    written = write_parquet([folder], dest, batch_rows=7, **kw)  # many batches, two files
    got = _read(dest)
    assert written.kept == len(expected) > 20
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
    assert set(got["file"]) == {"20191024143000.export.CSV", "20191024144500.export.CSV"}


def test_reimport_merges_by_day_and_never_duplicates_a_row(tmp_path):
    dest = tmp_path / "events"
    first = write_parquet([EXPORT], dest, actors=["RUS"])
    again = write_parquet([EXPORT], dest, actors=["RUS"])
    assert first.total == again.total == 91
    everything = write_parquet([EXPORT], dest)  # the rest joins the days already there
    assert everything.total == 190
    pd.testing.assert_frame_equal(_read(dest)[list(_in_memory().columns)], _in_memory())


def test_days_an_import_does_not_touch_are_kept_unchanged(tmp_path):
    dest = tmp_path / "events"
    write_parquet([EXPORT], dest)
    before = _snapshot(dest)
    w = write_parquet([EXPORT], dest, since=date(2019, 10, 24), until=date(2019, 10, 24))
    assert w.touched == 1 and w.days == len(before)
    after = _snapshot(dest)
    untouched = [k for k in before if not k.startswith("day=2019-10-24")]
    assert untouched and all(before[k] == after[k] for k in untouched)
    assert w.total == 190


def test_a_malformed_row_leaves_no_dataset_and_no_partial_directory(tmp_path):
    folder = _split_export(tmp_path)
    late = folder / "20191024144500.export.CSV"
    late.write_bytes(late.read_bytes() + b"1\t2\n")  # the last row of the last file
    dest = tmp_path / "out" / "events"
    with pytest.raises(DataError, match="has 2 tab-separated fields"):
        write_parquet([folder], dest, batch_rows=10)  # earlier batches were already staged
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_import_leaves_the_existing_dataset_as_it_was(tmp_path, monkeypatch):
    dest = tmp_path / "events"
    write_parquet([EXPORT], dest, actors=["RUS"])
    before = _snapshot(dest)
    calls = []

    def failing_write(table, where, **kw):
        calls.append(where)
        if len(calls) == 3:
            raise OSError("disk full")
        return pq.write_table.__wrapped__(table, where, **kw)

    failing_write.__wrapped__ = pq.write_table
    monkeypatch.setattr(gdelt.pq, "write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        write_parquet([EXPORT], dest)
    monkeypatch.undo()
    assert _snapshot(dest) == before
    assert [p.name for p in tmp_path.iterdir()] == ["events"]  # nothing staged is left


def test_a_directory_that_is_not_a_dataset_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DataError, match="is not a day-partitioned events dataset"):
        write_parquet([EXPORT], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def _files_read(con, expr) -> int:
    plan = con.con.sql("EXPLAIN ANALYZE " + ibis.to_sql(expr, dialect="duckdb")).fetchall()
    (n,) = re.findall(r"Total Files Read: (\d+)", plan[0][1])
    return int(n)


def test_a_window_reads_only_the_partitions_of_its_days(tmp_path):
    dest = tmp_path / "events"
    write_parquet([EXPORT], dest)
    days = len(list(dest.iterdir()))
    con = engines.duckdb(threads=1)
    table = engines.events_table(dest, con)
    assert table.schema()["day"].is_date()
    window = dyad_expr(table, "NOR", "RUS", since=date(2019, 10, 23), until=date(2019, 10, 24))
    assert _files_read(con, window) == 2 < days
    assert _files_read(con, dyad_expr(table, "NOR", "RUS")) == days


@pytest.mark.parametrize(("a", "b"), [("RUS", "IRN"), ("NOR", "RUS"), ("IRN", "SYR")])
def test_dyad_series_equal_on_the_in_memory_and_the_parquet_path(tmp_path, a, b):
    dest = tmp_path / "events"
    write_parquet([EXPORT], dest)
    events = read_export([EXPORT]).events
    expected = dyad_series(events, a, b, freq="M")
    assert expected[["verbal_events", "material_events"]].to_numpy().sum() > 0
    pd.testing.assert_frame_equal(dyad_series(dest, a, b, freq="M"), expected)
    window = {"since": date(2019, 10, 1), "until": date(2019, 10, 24)}
    pd.testing.assert_frame_equal(
        dyad_series(dest, a, b, freq="D", **window), dyad_series(events, a, b, freq="D", **window)
    )


def test_import_command_writes_the_dataset_with_parquet(tmp_path):
    dest = tmp_path / "events"
    out = subprocess.run(
        [sys.executable, "-m", "research", "import", "gdelt", str(FIXTURE), "--parquet", str(dest)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "1 export file, 190 rows read, 190 kept" in out.stdout
    assert f"{dest}: 190 rows in" in out.stdout
    assert len(_read(dest)) == 190
    shutil.rmtree(dest)


def _cells(column: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in column.astype(object)]


def test_the_engine_reads_every_column_as_the_import_wrote_it(tmp_path):
    dest = tmp_path / "events"
    write_parquet([EXPORT], dest)
    got = engines.run(engines.events_table(dest)).sort_values("GLOBALEVENTID")
    expected = _in_memory()
    assert sorted(got.columns) == sorted(expected.columns)  # day last: it is the folder's
    for c in ("EventCode", "Actor2Geo_Lat", "GoldsteinScale", "SOURCEURL", "file", "line"):
        assert _cells(got[c]) == _cells(expected[c]), c
    assert [pd.Timestamp(d) for d in got["day"]] == expected["day"].tolist()
    assert [pd.Timestamp(d) for d in got["added"]] == expected["added"].tolist()


def test_import_command_writes_the_dataset_and_the_case_candidates_together(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("candidates"))
    dest = tmp_path / "events"
    out = subprocess.run(
        [sys.executable, "-m", "research", "import", "gdelt", str(FIXTURE), "--actors", "RUS,IRN",
         "--case", "russia-iran", "--data-dir", str(data), "--parquet", str(dest)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"{dest}: 5 rows in 1 day partitions" in out.stdout
    assert "1 candidates (1 new, 0 decided)" in out.stdout  # the review flow as before
    assert _read(dest)["GLOBALEVENTID"].tolist() == [881991936, 881991937, 881991938,
                                                     881991958, 881991959]  # fmt: skip
