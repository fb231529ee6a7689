"""GDELT events on BigQuery: bounded queries, compiled SQL, dry runs and a byte budget.

GDELT publishes its event table on BigQuery as ``gdelt-bq.gdeltv2.events``
and, split into one partition per day, as ``events_partitioned``. BigQuery
bills the bytes a query reads, and a query reads every partition unless its
``WHERE`` bounds the pseudo-column ``_PARTITIONTIME`` (GDELT's announcement of
the partitioned tables: "add the special ``_PARTITIONTIME >= TIMESTAMP(...)``
syntax"). ``_PARTITIONTIME`` exists only on tables partitioned by *ingestion
time*: a row's partition is the UTC day it was loaded, not its event day
(``SQLDATE``). An event GDELT learns of late lands in a later partition, so
the bounds this module writes are the analysis window padded with slack:

* from ``since`` minus :data:`SLACK_BEFORE` days (1: a partition day is a UTC
  day, an event day is the article's), and
* to ``until`` plus :data:`SLACK_AFTER` days (31), plus the day itself,

and ``SQLDATE`` is then filtered to the window exactly, so the slack changes
what is scanned, never which events count. Of the 2,111 rows of GDELT's export
of 2019-10-24 14:30 UTC (a slice of it is ``tests/fixtures/gdelt``), 2,051 are
dated that day, 9 the day before, 7 a week before, 20 a month before and 24 a
year before: 31 days of slack keep all but the last
(1.1 %); pass ``after=366`` to keep those too, at the cost of scanning a year
more. How long GDELT takes to load an export into its partition has not been
measured here (no credentials): one day of slack before is a guess.

Every query is compiled from the same Ibis expressions that run on DuckDB and
Spark (:func:`research.dyad.dyad_expr`), over an *unbound* table with the
GDELT schema, so the SQL is known — and snapshot-tested — without credentials
or network. :func:`to_sql` refuses SQL that reads the partitioned table
without both partition bounds; :func:`run` dry-runs a query first and refuses
it over budget, then runs it with ``maximum_bytes_billed`` as well.

This is the engines layer: it knows the GDELT table, not what an analysis
means. ``google-cloud-bigquery`` is imported only when a query is sent
(``pip install 'research[bigquery]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import ibis
import ibis.expr.datatypes as dt
import pandas as pd
import sqlglot
from ibis.expr.types import Table
from sqlglot import exp

from research.gdelt import COLUMNS

#: Where GDELT publishes its events: project ``gdelt-bq``, dataset ``gdeltv2``.
DATASET = "gdelt-bq.gdeltv2"
#: The events table partitioned by day of ingestion.
TABLE = "events_partitioned"
#: BigQuery's pseudo-column of an ingestion-time partitioned table.
PARTITION = "_PARTITIONTIME"
#: Days of partitions read before the window's first day and after its last.
SLACK_BEFORE, SLACK_AFTER = 1, 31
#: The columns the dyad series reads (BigQuery bills per column read).
DYAD_COLUMNS = ("SQLDATE", "Actor1CountryCode", "Actor2CountryCode", "QuadClass",
                "GoldsteinScale", "NumMentions")  # fmt: skip

_BQ_TYPES = {"INTEGER": "int64", "FLOAT": "float64", "STRING": "string"}
_NOT_STRING = {
    **dict.fromkeys(
        ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "IsRootEvent", "QuadClass",
         "NumMentions", "NumSources", "NumArticles", "DATEADDED",
         "Actor1Geo_Type", "Actor2Geo_Type", "ActionGeo_Type"),
        "INTEGER",
    ),
    **dict.fromkeys(
        ("FractionDate", "GoldsteinScale", "AvgTone",
         *(f"{a}Geo_{p}" for a in ("Actor1", "Actor2", "Action") for p in ("Lat", "Long"))),
        "FLOAT",
    ),
}  # fmt: skip
#: BigQuery types of the 61 GDELT 2.0 event columns, in file order (from the
#: table schema GDELT publishes, as gdeltPyR's ``data/events2.csv`` lists it;
#: a copy is ``tests/fixtures/gdelt/events_schema.csv``). Note that DATEADDED
#: is an INTEGER there (YYYYMMDDHHMMSS), not a timestamp.
BIGQUERY_TYPES: dict[str, str] = {c: _NOT_STRING.get(c, "STRING") for c in COLUMNS}


class UnboundedQuery(ValueError):
    """SQL that would read a partitioned table without bounds on its partitions."""


class OverBudget(RuntimeError):
    """A query whose dry run reports more bytes than the budget allows."""

    def __init__(self, scanned: int, budget: int):
        self.scanned, self.budget = scanned, budget
        super().__init__(
            f"the dry run says this query would scan {scanned:,} bytes ({_size(scanned)}), "
            f"over the budget of {budget:,} bytes ({_size(budget)}) given by --max-bytes; "
            "not run (narrow the window or the slack, or raise the budget)"
        )


def _size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def events_schema() -> ibis.Schema:
    """The schema of ``events_partitioned`` as Ibis reads it: the 61 GDELT columns
    and the partition pseudo-column, a UTC timestamp.

    >>> s = events_schema()
    >>> len(s), str(s["EventCode"]), str(s["SQLDATE"]), str(s["_PARTITIONTIME"])
    (62, 'string', 'int64', "timestamp('UTC')")
    """
    fields = {c: _BQ_TYPES[t] for c, t in BIGQUERY_TYPES.items()}
    return ibis.schema({**fields, PARTITION: dt.Timestamp(timezone="UTC")})


def unbound_events(dataset: str = DATASET, table: str = TABLE) -> Table:
    """GDELT's partitioned events table as an unbound Ibis table: expressions over
    it compile to BigQuery SQL without a connection.

    >>> t = unbound_events()
    >>> t.get_name()
    'gdelt-bq.gdeltv2.events_partitioned'
    """
    project, _, name = dataset.rpartition(".")
    return ibis.table(events_schema(), name=table, catalog=project or None, database=name)


@dataclass(frozen=True)
class Window:
    """Event days ``since`` to ``until`` (both included) and the partitions read for them.

    >>> w = Window(date(2019, 10, 1), date(2019, 10, 31))
    >>> [f"{t:%Y-%m-%d}" for t in w.partitions]
    ['2019-09-30', '2019-12-02']
    >>> w.sqldates
    (20191001, 20191031)
    """

    since: date
    until: date
    before: int = SLACK_BEFORE
    after: int = SLACK_AFTER

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError(f"the window ends ({self.until}) before it starts ({self.since})")
        if self.before < 0 or self.after < 0:
            raise ValueError(
                f"slack must be 0 days or more, not {self.before} before and {self.after} after"
            )

    @property
    def partitions(self) -> tuple[datetime, datetime]:
        """The first partition read (included) and the first one not read, UTC."""
        first = datetime.combine(self.since - timedelta(days=self.before), datetime.min.time())
        end = datetime.combine(self.until + timedelta(days=self.after + 1), datetime.min.time())
        return first.replace(tzinfo=UTC), end.replace(tzinfo=UTC)

    @property
    def sqldates(self) -> tuple[int, int]:
        """The window as GDELT's integer days, YYYYMMDD."""
        return int(f"{self.since:%Y%m%d}"), int(f"{self.until:%Y%m%d}")


def bounded(events: Table, window: Window, columns: Sequence[str] | None = None) -> Table:
    """Events of the window's days, reading only the window's partitions.

    ``events`` must have :data:`PARTITION` (a UTC timestamp); ``columns``,
    if given, are the only other columns kept, so BigQuery reads (and bills)
    no more than those.
    """
    if PARTITION not in events.columns:
        raise ValueError(f"the events table has no {PARTITION} column to bound")
    lower, upper = window.partitions
    first, last = window.sqldates
    utc = dt.Timestamp(timezone="UTC")
    part = events[PARTITION]
    t = events.filter(
        part >= ibis.literal(lower, type=utc),
        part < ibis.literal(upper, type=utc),
        events.SQLDATE.between(first, last),
    )
    if columns is not None:
        t = t.select(*columns)
    return t


def dyad_events(events: Table, a: str, b: str) -> Table:
    """The import's selection of a dyad (:func:`research.gdelt.keep` with actors
    ``[a, b]``): events between the two states, either way, in GLOBALEVENTID
    order. Bound ``events`` to a window first (:func:`bounded`, :func:`plan`)."""
    if a == b:
        raise ValueError(f"a dyad is two different states, not {a!r} twice")
    a1, a2 = events.Actor1CountryCode, events.Actor2CountryCode
    t = events.filter(((a1 == a) & (a2 == b)) | ((a1 == b) & (a2 == a)))
    return t.order_by("GLOBALEVENTID")


def partition_bounds(sql: str, table: str = TABLE) -> list[tuple[str, list[str], list[str]]]:
    """Each read of ``table`` in BigQuery ``sql``: its name as written, and the lower
    and upper bounds its own ``WHERE`` puts on :data:`PARTITION` (conditions
    joined by AND at the top of that ``WHERE``; a bound under an OR bounds
    nothing)."""
    found = []
    for ref in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table):
        if ref.name != table:
            continue
        select = ref.find_ancestor(exp.Select)
        where = select.args.get("where") if select is not None else None
        names = {ref.alias_or_name, ref.name}
        lower: list[str] = []
        upper: list[str] = []
        if where is not None:
            for cond in _conjuncts(where.this):
                lower += _bounds(cond, names, (exp.GTE, exp.GT), (exp.LTE, exp.LT))
                upper += _bounds(cond, names, (exp.LTE, exp.LT), (exp.GTE, exp.GT))
        found.append((ref.sql(dialect="bigquery"), lower, upper))
    return found


def _conjuncts(cond: exp.Expression) -> list[exp.Expression]:
    cond = cond.unnest()
    if isinstance(cond, exp.And):
        return _conjuncts(cond.left) + _conjuncts(cond.right)
    return [cond]


def _is_partition(e: exp.Expression, names: set[str]) -> bool:
    e = e.unnest()
    return isinstance(e, exp.Column) and e.name == PARTITION and (not e.table or e.table in names)


def _bounds(cond, names, col_first, col_second) -> list[str]:
    """Constants that ``cond`` bounds the partition column by, on one side."""
    if isinstance(cond, exp.Between) and _is_partition(cond.this, names):
        side = cond.args["low"] if col_first[0] is exp.GTE else cond.args["high"]
        return [side.sql(dialect="bigquery")] if not list(side.find_all(exp.Column)) else []
    out = []
    if isinstance(cond, col_first) and _is_partition(cond.left, names):
        other = cond.right
    elif isinstance(cond, col_second) and _is_partition(cond.right, names):
        other = cond.left
    else:
        return out
    if not list(other.find_all(exp.Column)):
        out.append(other.sql(dialect="bigquery"))
    return out


def require_partition_bounds(sql: str, table: str = TABLE) -> None:
    """Raise :class:`UnboundedQuery` unless every read of ``table`` in ``sql``
    bounds :data:`PARTITION` from below and from above."""
    reads = partition_bounds(sql, table)
    bad = [
        f"{name}: no {' and no '.join(s for s, b in (('lower', lo), ('upper', hi)) if not b)} "
        f"bound on {PARTITION}"
        for name, lo, hi in reads
        if not (lo and hi)
    ]
    if bad:
        raise UnboundedQuery(
            "refusing to compile a query that reads every partition of the table (BigQuery "
            "bills the whole table): "
            + "; ".join(bad)
            + ". Build it on research.bigquery.bounded(events, Window(since, until))."
        )


def to_sql(expr: Table, table: str = TABLE) -> str:
    """BigQuery SQL for an Ibis expression, refused (:class:`UnboundedQuery`)
    if it reads ``table`` without partition bounds.

    >>> w = Window(date(2019, 10, 1), date(2019, 10, 31))
    >>> sql = to_sql(bounded(unbound_events(), w).select("SQLDATE"))
    >>> print(sql.splitlines()[-3])
      `t0`.`_PARTITIONTIME` >= TIMESTAMP('2019-09-30T00:00:00+00:00')
    """
    sql = ibis.to_sql(expr, dialect="bigquery")
    require_partition_bounds(sql, table)
    return sql.strip() + "\n"


def dry_run(client: object, sql: str) -> int:
    """The bytes BigQuery says ``sql`` would process, from a dry run (nothing is
    billed; the cache is not consulted, so the figure is the real scan).

    ``client`` is a ``google.cloud.bigquery.Client`` (or anything with its
    ``query(sql, job_config=...)``)."""
    from google.cloud import bigquery as bq

    config = bq.QueryJobConfig(dry_run=True, use_query_cache=False)
    job = client.query(sql, job_config=config)
    return int(job.total_bytes_processed)


def run(client: object, sql: str, *, max_bytes: int, table: str = TABLE) -> pd.DataFrame:
    """Run ``sql`` within a budget of ``max_bytes``.

    The partition bounds are checked, a dry run measures the scan and a scan
    over the budget raises :class:`OverBudget` before anything is billed; the
    query then runs with ``maximum_bytes_billed=max_bytes``, so BigQuery
    itself stops it if it would bill more (BigQuery bills at least 10 MB per
    table read, so a budget below that refuses every query).
    """
    from google.cloud import bigquery as bq

    if max_bytes < 1:
        raise ValueError(f"the budget must be at least 1 byte, not {max_bytes}")
    require_partition_bounds(sql, table)
    scanned = dry_run(client, sql)
    if scanned > max_bytes:
        raise OverBudget(scanned, max_bytes)
    job = client.query(sql, job_config=bq.QueryJobConfig(maximum_bytes_billed=max_bytes))
    return job.to_dataframe()


def events_location(con: object) -> tuple[str, str]:
    """The dataset and table a connection from :func:`research.engines.bigquery` reads."""
    return (
        f"{con.data_project}.{con.dataset}",
        getattr(con, "research_events_table", TABLE),
    )


@dataclass(frozen=True)
class Plan:
    """A query compiled for BigQuery: its SQL, the window it was bounded to, and
    the bytes a dry run said it would scan (None until one ran)."""

    sql: str
    window: Window
    table: str = TABLE
    bytes: int | None = None

    def summary(self) -> str:
        """What the query reads, in a line or two."""
        lower, upper = self.window.partitions
        lines = [
            f"event days {self.window.since} to {self.window.until}",
            f"partitions {lower:%Y-%m-%d} to {upper - timedelta(days=1):%Y-%m-%d} "
            f"(slack: {self.window.before} day(s) before, {self.window.after} after)",
        ]
        if self.bytes is not None:
            lines.append(f"dry run: would scan {self.bytes:,} bytes ({_size(self.bytes)})")
        return "\n".join(lines)


def plan(
    build: Callable[[Table], Table],
    window: Window,
    *,
    columns: Sequence[str],
    dataset: str = DATASET,
    table: str = TABLE,
) -> Plan:
    """Compile ``build(events)`` for BigQuery, ``events`` being GDELT's table
    bounded to ``window`` and narrowed to ``columns`` (no connection needed).

    >>> from research.dyad import dyad_expr
    >>> w = Window(date(2019, 10, 1), date(2019, 12, 31))
    >>> p = plan(lambda t: dyad_expr(t, "RUS", "IRN"), w, columns=DYAD_COLUMNS)
    >>> print(p.summary())
    event days 2019-10-01 to 2019-12-31
    partitions 2019-09-30 to 2020-01-31 (slack: 1 day(s) before, 31 after)
    """
    events = bounded(unbound_events(dataset, table), window, columns)
    return Plan(to_sql(build(events), table), window, table)


def dry_run_plan(con: object, p: Plan) -> Plan:
    """``p`` with the bytes a dry run on ``con`` (:func:`research.engines.bigquery`)
    says it would scan."""
    return replace(p, bytes=dry_run(con.client, p.sql))


def execute(con: object, p: Plan, *, max_bytes: int) -> pd.DataFrame:
    """Run a plan on ``con`` (:func:`research.engines.bigquery`) within ``max_bytes``
    (see :func:`run`)."""
    return run(con.client, p.sql, max_bytes=max_bytes, table=p.table)
