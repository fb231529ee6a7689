"""Evidence snapshots: what an engine returned, as Parquet keyed by the compiled query and
its parameters, read back without an engine, never used when partial."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ibis
import pandas as pd
import pytest

import research.build as rb
from research import snapshots
from research.snapshots import SnapshotError

ROOT = Path(__file__).resolve().parents[1]

EVENTS = pd.DataFrame(
    {
        "actor1": ["RUS", "RUS", "IRN", "IRN", "RUS"],
        "actor2": ["IRN", "IRN", "RUS", "RUS", "USA"],
        "quad_class": [1, 4, 3, 2, 1],
        "mentions": [5, 1, 2, 7, 3],
    }
)


def events_on_duckdb():
    """A fresh DuckDB connection holding the events as a named table."""
    con = ibis.duckdb.connect()
    return con, con.create_table("gdelt_events", EVENTS)


def mentions_by_quad(t, source: str):
    rows = t.filter(t.actor1 == source)
    return rows.group_by("quad_class").agg(mentions=rows.mentions.sum()).order_by("quad_class")


class Refusing:
    """An engine that must not be asked: any query fails the test."""

    name = "duckdb"

    def execute(self, expr):
        raise AssertionError("the engine was queried although a snapshot exists")


def test_same_expression_on_duckdb_gives_the_same_key():
    _, a = events_on_duckdb()
    _, b = events_on_duckdb()  # another connection, another process's worth of state
    params = {"source": "RUS"}
    key_a = snapshots.key(mentions_by_quad(a, "RUS"), params)
    assert key_a == snapshots.key(mentions_by_quad(b, "RUS"), params)
    assert len(key_a) == 64 and int(key_a, 16) >= 0


def test_snapshot_key_changes_with_parameters():
    _, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    keys = {
        snapshots.key(expr, {"source": "RUS"}),
        snapshots.key(expr, {"source": "IRN"}),
        snapshots.key(expr, {"source": "RUS", "freq": "M"}),
        snapshots.key(expr, {}),
    }
    assert len(keys) == 4
    # The parameters' order does not matter, their values do.
    assert snapshots.key(expr, {"a": 1, "b": 2}) == snapshots.key(expr, {"b": 2, "a": 1})


def test_snapshot_key_changes_with_the_query_and_the_dialect():
    u = ibis.table({"actor1": "string", "quad_class": "int64"}, name="gdelt_events")
    rus, irn = u.filter(u.actor1 == "RUS"), u.filter(u.actor1 == "IRN")
    assert snapshots.key(rus, dialect="duckdb") != snapshots.key(irn, dialect="duckdb")
    assert snapshots.key(rus, dialect="duckdb") != snapshots.key(rus, dialect="bigquery")


def test_rerun_reuses_the_snapshot_without_querying_the_engine(tmp_path):
    con, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    first = snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path, con=con)
    assert first.to_dict("list") == {"quad_class": [1, 4], "mentions": [8, 1]}
    again = snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path, con=Refusing())
    pd.testing.assert_frame_equal(first, again)
    assert len(list(tmp_path.glob("*.parquet"))) == 1


def test_changed_query_writes_a_new_snapshot(tmp_path):
    con, t = events_on_duckdb()
    rus = snapshots.fetch(mentions_by_quad(t, "RUS"), {"source": "RUS"}, folder=tmp_path)
    irn = snapshots.fetch(mentions_by_quad(t, "IRN"), {"source": "IRN"}, folder=tmp_path)
    assert rus["mentions"].tolist() == [8, 1]
    assert irn["mentions"].tolist() == [7, 2]
    assert len(list(tmp_path.glob("*.parquet"))) == len(list(tmp_path.glob("*.json"))) == 2


def test_snapshot_records_its_query_and_parameters_beside_it(tmp_path):
    con, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path)
    key = snapshots.key(expr, {"source": "RUS"})
    record = json.loads((tmp_path / f"{key}.json").read_text(encoding="utf-8"))
    assert record["sql"] == str(ibis.to_sql(expr))
    assert record["params"] == {"source": "RUS"}
    assert record["dialect"] == record["engine"] == "duckdb"
    assert record["rows"] == 2
    assert record["parquet"] == f"{key}.parquet"
    assert set(record["columns"]) == {"quad_class", "mentions"}


@pytest.mark.parametrize("damage", ["truncated", "changed", "no provenance", "empty"])
def test_partial_or_corrupted_snapshot_is_not_used(tmp_path, damage):
    con, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    good = snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path)
    key = snapshots.key(expr, {"source": "RUS"})
    parquet, provenance = snapshots.paths(tmp_path, key)
    data = parquet.read_bytes()
    if damage == "truncated":  # a copy or a write cut short
        parquet.write_bytes(data[: len(data) // 2])
    elif damage == "changed":  # one byte edited: still the right length
        parquet.write_bytes(data[:-20] + bytes([data[-20] ^ 0xFF]) + data[-19:])
    elif damage == "no provenance":  # stopped between the two renames
        provenance.unlink()
    else:
        parquet.write_bytes(b"")
    with pytest.raises(SnapshotError, match=str(tmp_path)):
        snapshots.read(tmp_path, key)
    assert not snapshots.is_valid(tmp_path, key)
    with pytest.raises(SnapshotError, match="live=False"):
        snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path, live=False)
    # Asked live, it runs the query again and replaces the bad snapshot.
    again = snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path, con=con)
    pd.testing.assert_frame_equal(good, again)
    assert snapshots.is_valid(tmp_path, key)


def test_failed_write_leaves_no_half_written_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    con, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    old = snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        snapshots.write(EVENTS, "SELECT 1", {"source": "RUS"}, folder=tmp_path)
    with pytest.raises(OSError, match="No space"):  # over an existing snapshot
        snapshots.write(EVENTS, str(ibis.to_sql(expr)), {"source": "RUS"}, folder=tmp_path,
                        dialect="duckdb")  # fmt: skip
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp files
    pd.testing.assert_frame_equal(
        old, snapshots.read(tmp_path, snapshots.key(expr, {"source": "RUS"}))
    )


def test_reading_a_snapshot_needs_no_engine(tmp_path):
    con, t = events_on_duckdb()
    expr = mentions_by_quad(t, "RUS")
    snapshots.fetch(expr, {"source": "RUS"}, folder=tmp_path)
    key = snapshots.key(expr, {"source": "RUS"})
    code = (
        "import sys\n"
        "for m in ('ibis', 'duckdb', 'pyspark', 'google.cloud.bigquery'):\n"
        "    sys.modules[m] = None  # importing any engine now fails\n"
        "from research.snapshots import read\n"
        f"print(read({str(tmp_path)!r}, {key!r}).to_json(orient='records'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"quad_class": 1, "mentions": 8},
        {"quad_class": 4, "mentions": 1},
    ]


def test_parameters_must_be_plain_values():
    with pytest.raises(SnapshotError, match="plain values"):
        snapshots.snapshot_key("SELECT 1", {"since": pd.Timestamp("2024-01-01")})
    with pytest.raises(SnapshotError, match="plain values"):
        snapshots.snapshot_key("SELECT 1", {"ratio": float("nan")})


def test_unbound_expression_needs_a_dialect():
    u = ibis.table({"a": "int64"}, name="gdelt_events")
    with pytest.raises(SnapshotError, match="give the dialect"):
        snapshots.key(u.filter(u.a > 1))


def test_new_snapshot_changes_the_build_data_fingerprint(tmp_path):
    data = tmp_path / "data"
    (data).mkdir()
    (data / "datapackage.json").write_text('{"resources": []}', encoding="utf-8")
    before = rb.data_fingerprint(data)
    con, t = events_on_duckdb()
    snapshots.fetch(
        mentions_by_quad(t, "RUS"), {"source": "RUS"}, folder=snapshots.snapshot_folder(data)
    )
    assert rb.data_fingerprint(data) != before
    # A stray temporary file (a write in progress) is not an input.
    after = rb.data_fingerprint(data)
    (data / "snapshots" / ".x.parquet.tmp").write_bytes(b"partial")
    assert rb.data_fingerprint(data) == after
