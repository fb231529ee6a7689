"""The BigQuery path, without credentials or network.

* The SQL the dyad series and the import's selection of a dyad compile to is
  committed in ``tests/snapshots/bigquery/*.sql`` and compared exactly. After
  a deliberate change (to the expressions, the bounds or the Ibis version),
  review and rewrite them with::

      RESEARCH_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_bigquery.py

  then read ``git diff tests/snapshots`` before committing.
* The same bounded expressions run on DuckDB over the bundled export (with
  ``_PARTITIONTIME`` taken from DATEADDED, as BigQuery loads it), so what the
  SQL selects is checked against the local path, not only its text.
* The budget logic runs against a fake client that records every job config.
* No test may open a socket (a fixture makes any attempt fail) except the
  live one, which runs only when ``GOOGLE_APPLICATION_CREDENTIALS`` is set.
"""

from __future__ import annotations

import csv
import os
import socket
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from research import bigquery, engines
from research.bigquery import OverBudget, UnboundedQuery, Window
from research.cli import main
from research.dyad import _regular, dyad_expr, dyad_series
from research.gdelt import COLUMNS, keep, read_export

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "gdelt"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "bigquery"
UPDATE = os.environ.get("RESEARCH_UPDATE_SNAPSHOTS") == "1"
LIVE = bool(os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"))
QUARTER = Window(date(2019, 10, 1), date(2019, 12, 31))


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    """Any socket connection fails the test (the live test excepted)."""
    if request.node.get_closest_marker("live"):
        return

    def refuse(self, address, *args):
        raise AssertionError(f"a test tried to reach the network: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def check_snapshot(name: str, sql: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"{path} missing: create it with RESEARCH_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8"), (
        f"the compiled SQL differs from {path.relative_to(ROOT)}; if the change is meant, "
        "rewrite it with RESEARCH_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def dyad_plan(a="RUS", b="IRN", window=QUARTER, freq="M"):
    return bigquery.plan(lambda t: dyad_expr(t, a, b, freq), window, columns=bigquery.DYAD_COLUMNS)


# --- the table and the compiled SQL -------------------------------------------------


def test_events_schema_is_gdelts_published_bigquery_schema():
    with open(FIXTURE / "events_schema.csv", encoding="utf-8") as f:
        published = [(r["name"], r["type"]) for r in csv.DictReader(f)]
    assert list(bigquery.BIGQUERY_TYPES.items()) == published
    schema = bigquery.events_schema()
    assert list(schema.names) == [*COLUMNS, "_PARTITIONTIME"]
    assert schema["_PARTITIONTIME"].timezone == "UTC"


def test_dyad_series_sql_matches_the_snapshot():
    check_snapshot("dyad_series.sql", dyad_plan().sql)


def test_dyad_events_sql_matches_the_snapshot():
    p = bigquery.plan(lambda t: bigquery.dyad_events(t, "RUS", "IRN"), QUARTER, columns=COLUMNS)
    check_snapshot("dyad_events.sql", p.sql)


def test_compiled_sql_reads_the_window_partitions_and_only_the_columns_used():
    sql = dyad_plan().sql
    [(table, lower, upper)] = bigquery.partition_bounds(sql)
    assert table == "`gdelt-bq`.`gdeltv2`.`events_partitioned` AS `t0`"
    assert lower == ["TIMESTAMP('2019-09-30T00:00:00+00:00')"]  # 1 day before Oct 1
    assert upper == ["TIMESTAMP('2020-02-01T00:00:00+00:00')"]  # 31 days after Dec 31, excl.
    assert "`t0`.`SQLDATE` BETWEEN 20191001 AND 20191231" in sql
    read = {c for c in COLUMNS if f"`t0`.`{c}`" in sql}
    assert read == set(bigquery.DYAD_COLUMNS)


def test_slack_is_what_the_window_says():
    w = Window(date(2020, 1, 1), date(2020, 1, 1), before=3, after=366)
    [(_, [lower], [upper])] = bigquery.partition_bounds(dyad_plan(window=w).sql)
    assert lower == "TIMESTAMP('2019-12-29T00:00:00+00:00')"
    assert upper == "TIMESTAMP('2021-01-02T00:00:00+00:00')"
    with pytest.raises(ValueError, match="before it starts"):
        Window(date(2020, 1, 2), date(2020, 1, 1))
    with pytest.raises(ValueError, match="0 days or more"):
        Window(date(2020, 1, 1), date(2020, 1, 2), after=-1)


# --- refusing to read every partition ------------------------------------------------


def test_to_sql_refuses_a_query_without_partition_bounds():
    unbounded = dyad_expr(bigquery.unbound_events(), "RUS", "IRN")
    with pytest.raises(UnboundedQuery, match="no lower and no upper bound on _PARTITIONTIME"):
        bigquery.to_sql(unbounded)


def test_to_sql_refuses_a_query_bounded_on_one_side_only():
    t = bigquery.unbound_events()
    lower_only = t.filter(t["_PARTITIONTIME"] > ibis.timestamp("2019-10-01 00:00:00+00:00"))
    with pytest.raises(UnboundedQuery, match="no upper bound on _PARTITIONTIME"):
        bigquery.to_sql(lower_only.select("SQLDATE"))


def test_partition_bounds_under_an_or_bound_nothing():
    sql = (
        "SELECT SQLDATE FROM `gdelt-bq.gdeltv2.events_partitioned` AS t0 "
        "WHERE (t0._PARTITIONTIME >= TIMESTAMP('2019-10-01') "
        "AND t0._PARTITIONTIME < TIMESTAMP('2019-11-01')) OR t0.QuadClass = 1"
    )
    with pytest.raises(UnboundedQuery, match="no lower and no upper bound"):
        bigquery.require_partition_bounds(sql)


def test_every_read_of_the_table_needs_its_own_bounds():
    bounded = (
        "SELECT a.SQLDATE FROM `gdelt-bq.gdeltv2.events_partitioned` AS a "
        "WHERE a._PARTITIONTIME BETWEEN TIMESTAMP('2019-10-01') AND TIMESTAMP('2019-10-31')"
    )
    bigquery.require_partition_bounds(bounded)  # BETWEEN bounds both sides
    self_join = bounded + (
        " UNION ALL SELECT b.SQLDATE FROM `gdelt-bq.gdeltv2.events_partitioned` AS b"
        " WHERE b.SQLDATE > 20191001"
    )
    with pytest.raises(UnboundedQuery) as e:
        bigquery.require_partition_bounds(self_join)
    assert "AS b: no lower and no upper bound" in str(e.value)
    assert "AS a" not in str(e.value)


# --- what the bounded SQL selects, run on DuckDB -------------------------------------


@pytest.fixture(scope="module")
def export():
    return read_export([FIXTURE]).events


@pytest.fixture(scope="module")
def loaded(export):
    """The bundled export as BigQuery would hold it: partitioned by the UTC day
    it was added (every row of this export: 2019-10-24)."""
    con = engines.duckdb(threads=1)
    rows = export[list(COLUMNS)].assign(_PARTITIONTIME=export["added"].dt.tz_localize("UTC"))
    return con.create_table("events_partitioned", rows)


def test_bounded_series_on_duckdb_equal_the_local_series_for_the_window(export, loaded):
    window = Window(date(2019, 10, 1), date(2019, 10, 31))
    expr = dyad_expr(bigquery.bounded(loaded, window, bigquery.DYAD_COLUMNS), "RUS", "IRN")
    on_duckdb = _regular(expr.execute(), "RUS", "IRN", "M")
    local = dyad_series(keep(export, since=window.since, until=window.until), "RUS", "IRN")
    assert on_duckdb[["verbal_events", "material_events"]].to_numpy().sum() > 0
    pd.testing.assert_frame_equal(on_duckdb, local)


def test_slack_after_decides_whether_events_added_late_are_read(loaded):
    # Seven rows are dated 2019-10-17 and were added on 2019-10-24, seven days on.
    day = Window(date(2019, 10, 17), date(2019, 10, 17), after=7)
    assert bigquery.bounded(loaded, day).count().execute() == 7
    short = Window(date(2019, 10, 17), date(2019, 10, 17), after=6)
    assert bigquery.bounded(loaded, short).count().execute() == 0
    # The slack reads more partitions, never more event days.
    wide = Window(date(2019, 10, 17), date(2019, 10, 17), after=400)
    assert bigquery.bounded(loaded, wide).count().execute() == 7


def test_dyad_events_selects_what_the_import_keeps(export, loaded):
    window = Window(date(2019, 10, 1), date(2019, 10, 31))
    events = bigquery.bounded(loaded, window, COLUMNS)
    got = bigquery.dyad_events(events, "IRN", "RUS").execute()
    kept = keep(export, ["RUS", "IRN"], window.since, window.until)
    assert len(got) == len(kept) > 0
    assert got["GLOBALEVENTID"].tolist() == sorted(kept["GLOBALEVENTID"].tolist())
    assert list(got.columns) == list(COLUMNS)


# --- dry run and budget, against a client that records what it is asked -------------


class FakeClient:
    """Answers like ``google.cloud.bigquery.Client.query``: a dry run reports
    ``scans`` bytes; a real run returns ``rows``. Every (sql, config) is kept."""

    def __init__(self, scans: int, rows: pd.DataFrame | None = None):
        self.scans, self.rows, self.jobs = scans, rows, []

    def query(self, sql, job_config=None):
        self.jobs.append((sql, job_config))
        if job_config is not None and job_config.dry_run:
            return SimpleNamespace(total_bytes_processed=self.scans)
        rows = self.rows if self.rows is not None else pd.DataFrame({"n": [1]})
        return SimpleNamespace(to_dataframe=lambda: rows)


def test_dry_run_returns_the_bytes_without_the_cache():
    client = FakeClient(scans=123_456_789)
    assert bigquery.dry_run(client, dyad_plan().sql) == 123_456_789
    [(_, config)] = client.jobs
    assert config.dry_run is True
    assert config.use_query_cache is False


def test_run_dry_runs_first_then_runs_with_the_bill_capped():
    client = FakeClient(scans=5_000_000)
    sql = dyad_plan().sql
    out = bigquery.run(client, sql, max_bytes=6_000_000)
    assert out["n"].tolist() == [1]
    [(dry_sql, dry), (live_sql, live)] = client.jobs
    assert dry_sql == live_sql == sql
    assert dry.dry_run is True and dry.use_query_cache is False
    assert not live.dry_run
    assert live.maximum_bytes_billed == 6_000_000


def test_run_refuses_a_query_over_budget_naming_both_numbers():
    client = FakeClient(scans=5_000_000_000)
    with pytest.raises(OverBudget) as e:
        bigquery.run(client, dyad_plan().sql, max_bytes=1_000_000_000)
    assert "5,000,000,000 bytes" in str(e.value)
    assert "1,000,000,000 bytes" in str(e.value)
    assert (e.value.scanned, e.value.budget) == (5_000_000_000, 1_000_000_000)
    assert [c.dry_run for _, c in client.jobs] == [True]  # the query itself never sent


def test_run_refuses_unbounded_sql_before_asking_bigquery():
    client = FakeClient(scans=1)
    sql = ibis.to_sql(dyad_expr(bigquery.unbound_events(), "RUS", "IRN"), dialect="bigquery")
    with pytest.raises(UnboundedQuery):
        bigquery.run(client, sql, max_bytes=10**12)
    assert client.jobs == []


# --- the connection -------------------------------------------------------------------


def test_bigquery_engine_without_the_extra_names_research_bigquery(monkeypatch):
    for name in ("google.cloud.bigquery", "ibis.backends.bigquery"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    with pytest.raises(ImportError, match=r"research\[bigquery\]"):
        engines.bigquery("some-project")


def test_bigquery_engine_is_built_without_connecting_and_caps_every_query():
    from google.auth.credentials import AnonymousCredentials

    con = engines.bigquery("billing-project", credentials=AnonymousCredentials(), max_bytes=10**9)
    assert con.name == "bigquery"
    assert con.client.project == "billing-project"  # billed here, data read from gdelt-bq
    assert bigquery.events_location(con) == ("gdelt-bq.gdeltv2", "events_partitioned")
    assert con.client.default_query_job_config.maximum_bytes_billed == 10**9
    assert con.partition_column is None  # `_PARTITIONTIME` keeps its name


def test_connect_names_the_extra_when_bigquery_is_missing(monkeypatch):
    for name in ("google.cloud.bigquery", "ibis.backends.bigquery"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(engines.EngineError, match=r"research\[bigquery\]"):
        engines.connect("bigquery", project="some-project")


def test_evidence_snapshots_refuse_an_unbounded_bigquery_query(tmp_path):
    from research import snapshots

    ran = []
    con = SimpleNamespace(name="bigquery", execute=lambda expr: ran.append(expr))
    unbounded = dyad_expr(bigquery.unbound_events(), "RUS", "IRN")
    with pytest.raises(UnboundedQuery):
        snapshots.fetch(unbounded, {"a": "RUS"}, folder=tmp_path, con=con, dialect="bigquery")
    assert ran == []
    assert list(tmp_path.iterdir()) == []


# --- the command ----------------------------------------------------------------------

ARGS = ["dyad", "RUS", "IRN", "--since", "2019-10-01", "--until", "2019-12-31"]


def test_cli_prints_the_sql_without_credentials(capsys):
    assert main([*ARGS, "--engine", "bigquery", "--sql"]) == 0
    out, err = capsys.readouterr()
    assert out == (SNAPSHOTS / "dyad_series.sql").read_text(encoding="utf-8")
    assert "partitions 2019-09-30 to 2020-01-31" in err


@pytest.fixture
def fake_engine(monkeypatch):
    """``research.engines.bigquery`` answering through a FakeClient."""
    made = {}

    def connect(project=None, *, dataset, table, max_bytes=None):
        made.update(project=project, dataset=dataset, table=table, max_bytes=max_bytes)
        project_id, _, name = dataset.partition(".")
        return SimpleNamespace(
            client=made["client"], data_project=project_id, dataset=name,
            research_events_table=table,
        )  # fmt: skip

    monkeypatch.setattr(engines, "bigquery", connect)
    return made


def test_cli_dry_run_prints_the_bytes_it_would_scan(fake_engine, capsys):
    fake_engine["client"] = client = FakeClient(scans=2_147_483_648)
    assert main([*ARGS, "--engine", "bigquery", "--dry-run", "--project", "mine"]) == 0
    out = capsys.readouterr().out
    assert "dry run: would scan 2,147,483,648 bytes (2.00 GiB)" in out
    assert "partitions 2019-09-30 to 2020-01-31" in out
    assert [c.dry_run for _, c in client.jobs] == [True]
    assert fake_engine["project"] == "mine"


def test_cli_refuses_over_max_bytes(fake_engine, capsys):
    fake_engine["client"] = client = FakeClient(scans=2_000_000_000)
    assert main([*ARGS, "--engine", "bigquery", "--max-bytes", "1000000000"]) == 1
    err = capsys.readouterr().err
    assert "2,000,000,000 bytes" in err and "1,000,000,000 bytes" in err
    assert [c.dry_run for _, c in client.jobs] == [True]


def test_cli_live_run_needs_a_budget(fake_engine, capsys):
    fake_engine["client"] = client = FakeClient(scans=1)
    assert main([*ARGS, "--engine", "bigquery"]) == 2
    assert "--max-bytes" in capsys.readouterr().err
    assert client.jobs == []


def test_cli_runs_within_budget_and_prints_the_series(fake_engine, loaded, export, capsys):
    window = Window(date(2019, 10, 1), date(2019, 10, 31))
    answer = dyad_expr(bigquery.bounded(loaded, window, bigquery.DYAD_COLUMNS), "RUS", "IRN")
    fake_engine["client"] = client = FakeClient(scans=50_000_000, rows=answer.execute())
    argv = ["dyad", "RUS", "IRN", "--since", "2019-10-01", "--until", "2019-10-31"]
    assert main([*argv, "--engine", "bigquery", "--max-bytes", "60000000"]) == 0
    out = capsys.readouterr().out
    [_, (_, live)] = client.jobs
    assert live.maximum_bytes_billed == 60_000_000 == fake_engine["max_bytes"]
    local = dyad_series(keep(export, since=window.since, until=window.until), "RUS", "IRN")
    assert out == local.to_csv(index=False, date_format="%Y-%m-%d")


def test_cli_dyad_on_duckdb_reads_local_parquet(export, tmp_path, capsys):
    path = tmp_path / "events.parquet"
    export[list(COLUMNS)].to_parquet(path)
    argv = ["dyad", "IRN", "RUS", "--since", "2019-10-01", "--until", "2019-10-31"]
    assert main([*argv, "--events", str(path)]) == 0
    local = dyad_series(keep(export, since=date(2019, 10, 1), until=date(2019, 10, 31)),
                        "IRN", "RUS")  # fmt: skip
    assert capsys.readouterr().out == local.to_csv(index=False, date_format="%Y-%m-%d")
    assert main([*argv, "--events", str(path), "--dry-run"]) == 2


# --- live, only with credentials ------------------------------------------------------


@pytest.mark.live
@pytest.mark.skipif(
    not LIVE, reason="live BigQuery: set GOOGLE_APPLICATION_CREDENTIALS to run (never run here)"
)
def test_live_dry_run_and_capped_run_on_gdelt():
    con = engines.bigquery(os.environ.get("RESEARCH_BIGQUERY_PROJECT"))
    week = Window(date(2019, 10, 21), date(2019, 10, 27), before=1, after=1)
    p = bigquery.dry_run_plan(con, dyad_plan(window=week, freq="D"))
    assert 0 < p.bytes < 5 * 2**30, p.summary()
    series = _regular(bigquery.execute(con, p, max_bytes=p.bytes + 20 * 2**20), "RUS", "IRN", "D")
    assert set(series["doer"]) == {"RUS", "IRN"}
