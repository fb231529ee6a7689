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
import re
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
            labels = dict(
                line.split("\t", 1) for line in f.read().splitlines()[1:] if "\t" in line
            )
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
            text_or_empty = lambda v: pa.array(np.where(missing, "", v))  # noqa: E731
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
            "https://outlet", pa.array(outlet).cast(pa.string()), ".example.org/news/",
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
