"""Benchmark event data at scale: the GDELT import and the dyad series against DuckDB.

Usage::

    python benchmarks/bench_events.py [--rows 10000000] [--file-rows 50000] [--days 730]
        [--seed 0] [--work DIR] [--keep] [--spark-rows 1000000] [--no-spark] [--no-rss]
        [--memory-limit 2GB] [--out benchmarks/results-events.jsonl]

Generates seeded GDELT-shaped data — the 61 columns of a GDELT 2.0 event export, with
realistic skew — as tab-separated export files (``YYYYMMDDHHMMSS.export.CSV``, one per
15-minute slot, ``--file-rows`` rows each, a continuous series) and as Parquet, then
measures, in one run:

``import``
    ``research import gdelt DIR --parquet OUT`` (every cell checked, day-partitioned
    Parquet written atomically) in rows per second, against DuckDB's own ``read_csv`` of
    the same files: once counting the rows (``duckdb_read_csv``), once writing the same
    day-partitioned Parquet (``duckdb_copy``; no checks). The CLI runs as a child process,
    and its peak resident memory (``VmHWM``) is read from ``/proc``.
``dyad``
    ``research.dyad_series(OUT, a, b, freq="M")`` on the import's Parquet against one
    hand-written DuckDB SQL query computing the same table (every period from the first
    to the last in both directions), both on one DuckDB configuration (2 threads), best of
    ``--repeat`` runs each; the two tables are compared cell by cell. Also with a window
    (``since``/``until``) on the day partitions.
``spark``
    The same ``dyad_series`` expression on a local Spark session against DuckDB, on the
    first ``--spark-rows`` rows' Parquet (10M rows on Spark local take minutes; the reason
    is printed when skipped).
``rss``
    In a child process: the whole process's peak resident set size (``VmHWM``) while it
    runs the import's DuckDB read and the dyad series over the full data, with DuckDB's
    ``memory_limit`` and ``temp_directory`` set (it spills past the limit).

The data: actor countries drawn from a Zipf law (exponent 1.1) over the CAMEO country
codes, ordered so that the countries most frequent in the real export come first (USA,
GBR, RUS, IRN, ...), with empty actors as often as in that export; event codes drawn with
the frequencies of the real GDELT export in ``../shared/fixtures/external/`` (2,111 rows;
its README gives repo@commit and SHA-256) or, in a clone without it, of the slice in
``tests/fixtures/gdelt/``, each with its own QuadClass, base and root code and Goldstein
score, so the columns agree with each other; event days over ``--days`` days ending
2024-12-31 (not tied to the file's slot: a back-file); mentions, sources and articles
heavy-tailed and nested (sources <= articles <= mentions); several events per article.

Human-readable lines come first; the LAST line is one JSON object, also appended to
``--out``. The exit status is 1 when a check fails (DuckDB and ``dyad_series`` disagree,
or the import's row count is not the generated one).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_say_do import _proc_status_kb  # noqa: E402  (the script's folder is on the path)

from research.gdelt import COLUMNS  # noqa: E402

# The shared fixtures sit beside the project (``../shared``); a worktree is one level deeper.
EXTERNAL = next(
    (p / "shared" / "fixtures" / "external" for p in (ROOT.parent, ROOT.parent.parent)
     if (p / "shared" / "fixtures" / "external").is_dir()),
    ROOT.parent / "shared" / "fixtures" / "external",
)  # fmt: skip
REAL_EXPORT = EXTERNAL / "gdelt2_20191024143000.export.CSV"
BUNDLED_EXPORT = ROOT / "tests" / "fixtures" / "gdelt" / "20191024143000.export.CSV"
COUNTRIES = ROOT / "research" / "lookups" / "CAMEO_country.txt"
FIRST_ID = 1_000_000_000
LAST_DAY = date(2024, 12, 31)
FIRST_SLOT = datetime(2024, 1, 1)
TYPES = ("", "GOV", "MIL", "BUS", "MED", "OPP", "REB", "CVL", "JUD", "LEG")
TYPE_P = (0.45, 0.25, 0.08, 0.05, 0.05, 0.04, 0.02, 0.03, 0.015, 0.015)


# --- the data -------------------------------------------------------------------------


def code_frequencies() -> tuple[dict, Path]:
    """Event-code tuples (code, base, root, quad, goldstein) and counts from a real export."""
    path = REAL_EXPORT if REAL_EXPORT.exists() else BUNDLED_EXPORT
    counts: dict[tuple[str, str, str, str, str], int] = {}
    actors: dict[str, int] = {}
    empty = 0
    rows = 0
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            key = (r[26], r[27], r[28], r[29], r[30])
            counts[key] = counts.get(key, 0) + 1
            for c in (r[7], r[17]):
                if c:
                    actors[c] = actors.get(c, 0) + 1
                else:
                    empty += 1
            rows += 1
    return {"codes": counts, "actors": actors, "empty_share": empty / (2 * rows)}, path


def country_order(seen: dict[str, int]) -> list[str]:
    """CAMEO country codes: the export's most frequent first, then the rest alphabetically."""
    with COUNTRIES.open(encoding="utf-8") as f:
        codes = [line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip()]
    known = set(codes)
    first = [c for c, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])) if c in known]
    return first + sorted(known - set(first))


def _take(values: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string()).take(pa.array(idx))


def _cat(*parts) -> pa.Array:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


class Generator:
    """Seeded chunks of GDELT-shaped rows (all 61 columns, as GDELT types them)."""

    def __init__(self, seed: int, days: int):
        freq, self.source = code_frequencies()
        self.codes = list(freq["codes"])
        w = np.array([freq["codes"][k] for k in self.codes], dtype=float)
        self.code_p = w / w.sum()
        self.countries = country_order(freq["actors"])
        ranks = np.arange(1, len(self.countries) + 1, dtype=float)
        zipf = ranks**-1.1
        self.country_p = zipf / zipf.sum()
        self.empty_share = freq["empty_share"]
        self.days = days
        self.rng = np.random.default_rng(seed)
        self.next_id = FIRST_ID
        with COUNTRIES.open(encoding="utf-8") as f:
            labels = dict(line.split("\t", 1) for line in f.read().splitlines()[1:] if "\t" in line)
        self.names = [labels.get(c, c).upper() for c in self.countries]

    def chunk(self, n: int, added: datetime) -> pa.Table:
        rng = self.rng
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        # Event days: uniform over the span, with a mild rise towards its end.
        back = np.floor(self.days * rng.power(1.3, n)).astype(np.int64)
        day = np.datetime64(LAST_DAY) - (self.days - 1 - np.minimum(back, self.days - 1))
        year = day.astype("datetime64[Y]").astype(np.int64) + 1970
        month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dom = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
        sqldate = year * 10000 + month * 100 + dom
        doy = (day - day.astype("datetime64[Y]")).astype(np.int64)
        frac = np.round(year + doy / 365.0, 4)

        code = rng.choice(len(self.codes), size=n, p=self.code_p)
        cols: dict[str, pa.Array] = {
            "GLOBALEVENTID": pa.array(ids),
            "SQLDATE": pa.array(sqldate),
            "MonthYear": pa.array(sqldate // 100),
            "Year": pa.array(year),
            "FractionDate": pa.array(frac),
        }
        for actor in ("Actor1", "Actor2"):
            c = rng.choice(len(self.countries), size=n, p=self.country_p)
            empty = rng.random(n) < self.empty_share
            kind = rng.choice(len(TYPES), size=n, p=TYPE_P)
            country = _take(self.countries, c)
            country = pa.array(np.where(empty, "", country.to_numpy(zero_copy_only=False)))
            ktext = _take(list(TYPES), kind)
            cols[f"{actor}Code"] = _cat(country, ktext)
            name = _take(self.names, c).to_numpy(zero_copy_only=False)
            cols[f"{actor}Name"] = pa.array(np.where(empty, "", name))
            cols[f"{actor}CountryCode"] = country
            for part in ("KnownGroupCode", "EthnicCode", "Religion1Code", "Religion2Code"):
                cols[f"{actor}{part}"] = pa.array([""] * n)
            cols[f"{actor}Type1Code"] = ktext
            cols[f"{actor}Type2Code"] = pa.array([""] * n)
            cols[f"{actor}Type3Code"] = pa.array([""] * n)
        cols["IsRootEvent"] = pa.array((rng.random(n) < 0.45).astype(np.int64))
        for i, name in enumerate(
            ("EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale")
        ):
            cols[name] = _take([k[i] for k in self.codes], code)
        mentions = np.minimum(1 + rng.geometric(0.25, n) * (rng.random(n) < 0.8)
                              + rng.zipf(2.0, n), 5000)  # fmt: skip
        articles = np.maximum(1, np.minimum(mentions, rng.binomial(mentions, 0.9)))
        sources = np.maximum(1, np.minimum(articles, rng.binomial(articles, 0.3)))
        cols["NumMentions"] = pa.array(mentions.astype(np.int64))
        cols["NumSources"] = pa.array(sources.astype(np.int64))
        cols["NumArticles"] = pa.array(articles.astype(np.int64))
        cols["AvgTone"] = pa.array(np.round(np.clip(rng.normal(-1.5, 3.5, n), -30, 30), 6))
        for g in ("Actor1", "Actor2", "Action"):
            c = rng.choice(len(self.countries), size=n, p=self.country_p)
            missing = rng.random(n) < 0.3
            gtype = np.where(missing, 0, rng.choice([1, 3, 4], size=n, p=[0.5, 0.2, 0.3]))
            fips = _take([x[:2] for x in self.countries], c).to_numpy(zero_copy_only=False)
            lat = np.round(rng.uniform(-60, 70, n), 4)
            lon = np.round(rng.uniform(-180, 180, n), 4)

            def text_or_empty(v, missing=missing):
                return pa.array(np.where(missing, "", v))

            cols[f"{g}Geo_Type"] = pa.array(gtype.astype(np.int64))
            cols[f"{g}Geo_FullName"] = text_or_empty(
                _take(self.names, c).to_numpy(zero_copy_only=False)
            )
            cols[f"{g}Geo_CountryCode"] = text_or_empty(fips)
            cols[f"{g}Geo_ADM1Code"] = text_or_empty(fips)
            cols[f"{g}Geo_ADM2Code"] = pa.array([""] * n)
            cols[f"{g}Geo_Lat"] = pa.array(lat, mask=missing)
            cols[f"{g}Geo_Long"] = pa.array(lon, mask=missing)
            cols[f"{g}Geo_FeatureID"] = text_or_empty(fips)
        cols["DATEADDED"] = pa.array(np.full(n, int(added.strftime("%Y%m%d%H%M%S"))))
        article = ids // 3  # about three events coded from each article
        outlet = article % 997
        cols["SOURCEURL"] = _cat(
            "https://outlet",
            pa.array(outlet).cast(pa.string()),
            ".example.org/news/",
            pa.array(article).cast(pa.string()),
        )
        return pa.table({c: cols[c] for c in COLUMNS})


def typed_for_parquet(t: pa.Table) -> pa.Table:
    """A generated chunk with the types the import gives its Parquet (codes as text)."""
    import pyarrow.compute as pc

    out = t
    for c in ("QuadClass",):
        out = out.set_column(out.schema.get_field_index(c), c, pc.cast(out[c], pa.int64()))
    for c in ("GoldsteinScale",):
        out = out.set_column(out.schema.get_field_index(c), c, pc.cast(out[c], pa.float64()))
    day = pc.strptime(pc.cast(t["SQLDATE"], pa.string()), format="%Y%m%d", unit="s")
    return out.append_column("day", pc.cast(day, pa.date32()))


def generate(work: Path, rows: int, file_rows: int, seed: int, days: int, log) -> dict:
    """Write the export files (``work/csv``) and flat Parquet (``work/flat``)."""
    gen = Generator(seed, days)
    csv_dir, flat = work / "csv", work / "flat"
    csv_dir.mkdir(parents=True)
    flat.mkdir()
    t0 = time.perf_counter()
    written = 0
    k = 0
    opts = pcsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    while written < rows:
        n = min(file_rows, rows - written)
        slot = FIRST_SLOT + timedelta(minutes=15 * k)
        chunk = gen.chunk(n, slot)
        pcsv.write_csv(chunk, csv_dir / f"{slot:%Y%m%d%H%M%S}.export.CSV", opts)
        pq.write_table(typed_for_parquet(chunk), flat / f"part-{k:06d}.parquet")
        written += n
        k += 1
    seconds = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in csv_dir.iterdir())
    log(f"generated {rows:,} rows in {k} export files ({size / 1e9:.2f} GB) in {seconds:.1f} s")
    return {
        "files": k,
        "csv_bytes": size,
        "generate_seconds": round(seconds, 2),
        "codes_from": str(gen.source),
        "codes_sha256": hashlib.sha256(gen.source.read_bytes()).hexdigest(),
        "distinct_codes": len(gen.codes),
        "countries": len(gen.countries),
        "top_countries": gen.countries[:6],
    }


# --- measuring ------------------------------------------------------------------------


def _child(step: str, *args: str) -> dict:
    """Run one step in a fresh process; it reports its seconds and peak RSS (VmHWM)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", step, *args]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = round(wall, 2)
    return report


def run_child(step: str, args: list[str]) -> None:
    """The child side of :func:`_child`: one step, then one JSON line."""
    t = time.perf_counter()
    out: dict = {}
    if step == "import":  # the CLI itself, in this process
        from research.cli import main

        csv_dir, dest = args
        code = main(["import", "gdelt", csv_dir, "--parquet", dest])
        if code != 0:
            raise SystemExit(code)
    elif step == "duckdb-copy":
        csv_dir, dest, memory, tmp = args
        con = _duckdb(memory, tmp, preserve_insertion_order=False)
        con.sql(
            f"COPY (SELECT *, make_date(SQLDATE // 10000, SQLDATE // 100 % 100, SQLDATE % 100) "
            f"AS day FROM {_read_csv(csv_dir)}) TO '{dest}' (FORMAT parquet, PARTITION_BY (day))"
        )
    elif step == "dyad":
        dest, a, b, memory, tmp = args
        from research import engines
        from research.dyad import dyad_series

        con = engines.duckdb(threads=2, memory_limit=memory, temp_directory=tmp)
        out["rows"] = len(dyad_series(engines.events_table(dest, con), a, b))
    out["seconds"] = round(time.perf_counter() - t, 3)
    hwm = _proc_status_kb("VmHWM")
    out["peak_rss_mb"] = None if hwm is None else round(hwm / 1024, 1)
    print(json.dumps(out))


def _duckdb(memory: str, tmp: str, **more):
    import duckdb

    return duckdb.connect(
        config={"threads": 2, "memory_limit": memory, "temp_directory": tmp, **more}
    )  # fmt: skip


def _read_csv(csv_dir: str) -> str:
    """DuckDB's reader for the exports: headerless TSV, no quoting, the import's types."""
    ints = {"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "IsRootEvent", "QuadClass",
            "NumMentions", "NumSources", "NumArticles", "DATEADDED",
            "Actor1Geo_Type", "Actor2Geo_Type", "ActionGeo_Type"}  # fmt: skip
    floats = {"FractionDate", "GoldsteinScale", "AvgTone"} | {
        f"{a}Geo_{p}" for a in ("Actor1", "Actor2", "Action") for p in ("Lat", "Long")
    }
    kind = {**{c: "VARCHAR" for c in COLUMNS}, **dict.fromkeys(ints, "BIGINT"),
            **dict.fromkeys(floats, "DOUBLE")}  # fmt: skip
    columns = ", ".join(f"'{c}': '{kind[c]}'" for c in COLUMNS)
    return (
        f"read_csv('{csv_dir}/*.export.CSV', delim = '\\t', header = false, quote = '', "
        f"escape = '', auto_detect = false, columns = {{{columns}}})"
    )


def hand_sql(source: str, a: str, b: str, where: str = "") -> str:
    """The dyad series (monthly) in one hand-written DuckDB query: filter, aggregate, then
    every month from the first to the last in both directions (a -> b first)."""
    verbal, material = "q IN (1, 3)", "q IN (2, 4)"
    return f"""
WITH e AS (
  SELECT date_trunc('month', make_date(SQLDATE // 10000, SQLDATE // 100 % 100, SQLDATE % 100))
           AS period,
         Actor1CountryCode AS doer, Actor2CountryCode AS target, QuadClass AS q,
         GoldsteinScale AS g, CAST(NumMentions AS DOUBLE) AS w
  FROM {source}
  WHERE ((Actor1CountryCode = '{a}' AND Actor2CountryCode = '{b}')
      OR (Actor1CountryCode = '{b}' AND Actor2CountryCode = '{a}')) {where}
), agg AS (
  SELECT period, doer, target,
    count(*) FILTER (WHERE {verbal}) AS verbal_events,
    count(*) FILTER (WHERE {material}) AS material_events,
    sum(w) FILTER (WHERE {verbal}) AS verbal_mentions,
    sum(w) FILTER (WHERE {material}) AS material_mentions,
    sum(w * g) FILTER (WHERE {verbal}) / nullif(sum(w) FILTER (WHERE {verbal}), 0)
      AS verbal_goldstein,
    sum(w * g) FILTER (WHERE {material}) / nullif(sum(w) FILTER (WHERE {material}), 0)
      AS material_goldstein,
    count(*) FILTER (WHERE q = 1) / nullif(count(*) FILTER (WHERE {verbal}), 0)
      AS verbal_cooperation,
    count(*) FILTER (WHERE q = 2) / nullif(count(*) FILTER (WHERE {material}), 0)
      AS material_cooperation
  FROM e GROUP BY ALL
), grid AS (
  SELECT CAST(p.period AS DATE) AS period, d.doer, d.target, d.o
  FROM (SELECT min(period) AS lo, max(period) AS hi FROM agg) AS span,
       generate_series(span.lo, span.hi, INTERVAL 1 MONTH) AS p(period),
       (VALUES ('{a}', '{b}', 0), ('{b}', '{a}', 1)) AS d(doer, target, o)
)
SELECT grid.period, grid.doer, grid.target,
  coalesce(agg.verbal_events, 0) AS verbal_events,
  coalesce(agg.material_events, 0) AS material_events,
  coalesce(agg.verbal_mentions, 0) AS verbal_mentions,
  coalesce(agg.material_mentions, 0) AS material_mentions,
  agg.verbal_goldstein, agg.material_goldstein,
  agg.verbal_cooperation, agg.material_cooperation,
  agg.verbal_goldstein - agg.material_goldstein AS gap_goldstein,
  agg.verbal_cooperation - agg.material_cooperation AS gap_cooperation
FROM grid LEFT JOIN agg USING (period, doer, target)
ORDER BY grid.o, grid.period
"""


def _same(series, hand) -> tuple[bool, str]:
    """Cell by cell: counts exactly, means within 1e-9 relative."""
    import pandas as pd

    if list(series.columns) != list(hand.columns) or len(series) != len(hand):
        return False, f"shape {series.shape} vs {hand.shape}"
    for c in series.columns:
        x, y = series[c], hand[c]
        if c == "period":
            ok = (pd.to_datetime(x).to_numpy() == pd.to_datetime(y).to_numpy()).all()
        elif x.dtype == object or str(x.dtype).startswith("str"):
            ok = (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all()
        else:
            xa, ya = x.to_numpy(dtype=float), y.to_numpy(dtype=float, na_value=np.nan)
            ok = np.allclose(xa, ya, rtol=1e-9, atol=1e-12, equal_nan=True)
        if not ok:
            return False, f"column {c} differs"
    return True, ""


def _best(fn, repeat: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(round(time.perf_counter() - t, 4))
    return min(times), times, result


def bench_dyad(dest: Path, flat: Path, a: str, b: str, args, log) -> dict:
    from research import engines
    from research.dyad import dyad_series

    memory, tmp = args.memory_limit, str(args.work / "duckdb-tmp")
    out: dict = {"dyad": [a, b]}
    since, until = date(2024, 3, 1), date(2024, 5, 31)
    cases = {
        "partitioned": (dest, f"read_parquet('{dest}/day=*/*.parquet', hive_partitioning = true)",
                        "", {}),
        "partitioned_window": (dest,
            f"read_parquet('{dest}/day=*/*.parquet', hive_partitioning = true)",
            f"AND day BETWEEN DATE '{since}' AND DATE '{until}' "
            f"AND SQLDATE BETWEEN {since:%Y%m%d} AND {until:%Y%m%d}",
            {"since": since, "until": until}),
        "flat": (flat, f"read_parquet('{flat}/*.parquet')", "", {}),
    }  # fmt: skip
    ok = True
    # One connection each, made before timing, with the same settings; timed: from the
    # files to the table (dyad_series includes making the Ibis table of the files).
    con = engines.duckdb(threads=2, memory_limit=memory, temp_directory=tmp)
    raw = _duckdb(memory, tmp)
    for name, (path, source, where, window) in cases.items():

        def ours(path=path, window=window):
            return dyad_series(engines.events_table(path, con), a, b, **window)

        def theirs(source=source, where=where):
            return raw.sql(hand_sql(source, a, b, where)).df()

        ours(), theirs()  # warm: file cache and imports
        s_best, s_times, series = _best(ours, args.repeat)
        h_best, h_times, hand = _best(theirs, args.repeat)
        same, why = _same(series, hand)
        ok &= same
        out[name] = {
            "dyad_series_seconds": s_best, "duckdb_sql_seconds": h_best,
            "ratio": round(s_best / h_best, 3), "equal": same, "why": why,
            "runs": {"dyad_series": s_times, "duckdb_sql": h_times}, "series_rows": len(series),
            "events_in_dyad": int(series[["verbal_events", "material_events"]].to_numpy().sum()),
        }  # fmt: skip
        log(f"dyad {a}-{b} {name}: dyad_series {s_best:.3f} s, hand-written DuckDB SQL "
            f"{h_best:.3f} s, ratio {s_best / h_best:.2f}, equal={same} {why}")  # fmt: skip
    out["ok"] = ok
    return out


def bench_spark(flat: Path, files: int, a: str, b: str, args, log) -> dict:
    """dyad_series on Spark local against DuckDB on the first ``files`` Parquet files."""
    from research import engines
    from research.dyad import dyad_series

    subset = args.work / "spark-input"
    subset.mkdir(exist_ok=True)
    for f in sorted(flat.glob("*.parquet"))[:files]:
        if not (subset / f.name).exists():
            (subset / f.name).symlink_to(f)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in subset.iterdir())
    t = time.perf_counter()
    spark = engines.spark(cores=2)
    start = time.perf_counter() - t
    try:
        table = spark.read_parquet(str(subset))
        dyad_series(table, a, b)  # warm: the JVM compiles on first use
        s_best, s_times, on_spark = _best(lambda: dyad_series(table, a, b), args.repeat)
    finally:
        spark._session.stop()
    con = engines.duckdb(threads=2)
    d_best, d_times, on_duckdb = _best(
        lambda: dyad_series(engines.events_table(subset, con), a, b), args.repeat
    )
    same, why = _same(on_spark, on_duckdb)
    log(
        f"spark at {rows:,} rows: session start {start:.1f} s, dyad_series {s_best:.2f} s "
        f"on Spark vs {d_best:.3f} s on DuckDB ({s_best / d_best:.1f}x), equal={same} {why}"
    )
    return {"rows": rows, "session_start_seconds": round(start, 1), "spark_seconds": s_best,
            "duckdb_seconds": d_best, "ratio": round(s_best / d_best, 2), "equal": same,
            "runs": {"spark": s_times, "duckdb": d_times}}  # fmt: skip


def bench_import(csv_dir: Path, dest: Path, duck: Path, args, log) -> tuple[dict, dict]:
    """The import (a child running the CLI) against DuckDB's read_csv and COPY."""
    for d in (dest, duck):
        shutil.rmtree(d, ignore_errors=True)
    imp = _child("import", str(csv_dir), str(dest))
    ok = True
    parts = sorted(dest.iterdir())
    total = sum(pq.ParquetFile(f).metadata.num_rows for p in parts for f in p.iterdir())
    ok &= total == args.rows
    log(f"research import gdelt --parquet: {imp['seconds']:.1f} s, "
        f"{args.rows / imp['seconds']:,.0f} rows/s, peak RSS {imp['peak_rss_mb']:,.0f} MB, "
        f"{total:,} rows in {len(parts)} day partitions")  # fmt: skip
    t = time.perf_counter()
    counted = (
        _duckdb(args.memory_limit, str(args.work / "duckdb-tmp"))
        .sql(f"SELECT count(*) FROM {_read_csv(str(csv_dir))}")
        .fetchall()[0][0]
    )
    read_seconds = time.perf_counter() - t
    ok &= counted == args.rows
    copy = _child("duckdb-copy", str(csv_dir), str(duck), args.memory_limit,
                  str(args.work / "duckdb-tmp"))  # fmt: skip
    log(
        f"duckdb read_csv (count): {read_seconds:.1f} s, {args.rows / read_seconds:,.0f} "
        f"rows/s; read_csv + COPY to day partitions: {copy['seconds']:.1f} s, "
        f"{args.rows / copy['seconds']:,.0f} rows/s, peak RSS {copy['peak_rss_mb']:,.0f} MB"
    )
    result_import = {
        "seconds": imp["seconds"], "rows_per_second": round(args.rows / imp["seconds"]),
        "peak_rss_mb": imp["peak_rss_mb"], "rows_written": total, "partitions": len(parts),
        "duckdb_read_csv_seconds": round(read_seconds, 2),
        "duckdb_read_csv_rows_per_second": round(args.rows / read_seconds),
        "duckdb_copy_seconds": copy["seconds"],
        "duckdb_copy_rows_per_second": round(args.rows / copy["seconds"]),
        "duckdb_copy_peak_rss_mb": copy["peak_rss_mb"],
        "ratio_vs_read_csv": round(imp["seconds"] / read_seconds, 2),
        "ratio_vs_copy": round(imp["seconds"] / copy["seconds"], 2),
    }  # fmt: skip
    imp["result"], imp["ok"] = result_import, ok
    return imp, copy


def machine() -> dict:
    import duckdb
    import pandas as pd
    import pyarrow

    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       None)  # fmt: skip
    except OSError:
        pass
    return {
        "cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
        "pandas": pd.__version__, "pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def commit() -> str | None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)  # fmt: skip
    return head.stdout.strip() or None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--file-rows", type=int, default=50_000, help="rows per export file")
    p.add_argument("--days", type=int, default=730, help="event days spanned")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument("--spark-rows", type=int, default=1_000_000)
    p.add_argument("--no-spark", action="store_true")
    p.add_argument(
        "--reuse-import",
        action="store_true",
        help="with --work: keep WORK/imported from an earlier run, measure the rest",
    )
    p.add_argument("--memory-limit", default="2GB", help="DuckDB memory_limit (it spills past it)")
    p.add_argument("--dyad", default="RUS,IRN")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-events.jsonl")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        run_child(args.child, args.child_args)
        return 0
    own = args.work is None
    args.work = Path(args.work or tempfile.mkdtemp(prefix="bench-events-"))
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "duckdb-tmp").mkdir(exist_ok=True)
    a, b = args.dyad.split(",")

    def log(msg: str) -> None:
        print(msg, flush=True)

    result: dict = {"bench": "events", "rows": args.rows, "file_rows": args.file_rows,
                    "days": args.days, "seed": args.seed, "memory_limit": args.memory_limit,
                    "when": datetime.now().isoformat(timespec="seconds"), "commit": commit(),
                    "machine": machine()}  # fmt: skip
    ok = True
    imp = copy = None
    try:
        csv_dir, flat = args.work / "csv", args.work / "flat"
        if csv_dir.exists():
            n = len(list(csv_dir.iterdir()))
            log(f"reusing {n} export files in {csv_dir}")
            result["data"] = {"files": n, "reused": True}
        else:
            result["data"] = generate(args.work, args.rows, args.file_rows, args.seed,
                                      args.days, log)  # fmt: skip
        dest, duck = args.work / "imported", args.work / "duckdb-copy"
        if args.reuse_import and dest.is_dir():
            log(f"reusing the import in {dest} (--reuse-import: import not measured)")
            result["import"] = {"reused": True}
            imp = copy = None
        else:
            imp, copy = bench_import(csv_dir, dest, duck, args, log)
            result["import"] = imp.pop("result")
            ok &= imp.pop("ok")
        result["dyad"] = bench_dyad(dest, flat, a, b, args, log)
        ok &= result["dyad"]["ok"]
        rss = _child("dyad", str(dest), a, b, args.memory_limit, str(args.work / "duckdb-tmp"))
        result["dyad"]["child_peak_rss_mb"] = rss["peak_rss_mb"]
        peaks = [rss["peak_rss_mb"]] + [x["peak_rss_mb"] for x in (imp, copy) if x]
        result["peak_rss_mb"] = max(peaks)
        log(f"peak RSS of the dyad series child: {rss['peak_rss_mb']:,.0f} MB; the largest "
            f"child (import, DuckDB COPY, dyad series): {max(peaks):,.0f} MB")  # fmt: skip
        if args.no_spark:
            result["spark"] = {"skipped": "--no-spark"}
        else:
            files = max(1, min(args.spark_rows, args.rows) // args.file_rows)
            if args.rows > args.spark_rows:
                log(f"spark: run on the first {files * args.file_rows:,} rows only, not on all "
                    f"{args.rows:,}: Spark local on 2 cores is an order of magnitude slower "
                    "than DuckDB here (the ratio at that size follows), so the full size would "
                    "take minutes per run; --spark-rows to change")  # fmt: skip
            result["spark"] = bench_spark(flat, files, a, b, args, log)
            ok &= result["spark"]["equal"]
    finally:
        if own and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    result["ok"] = bool(ok)
    result["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    line = json.dumps(result)
    with args.out.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
