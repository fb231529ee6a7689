"""Words against deeds for any pair of states, from machine-coded events.

GDELT codes every event with a QuadClass: 1 verbal cooperation, 2 material
cooperation, 3 verbal conflict, 4 material conflict. The verbal classes are
what a state *says* to another, the material ones what it *does*, so each
direction of a dyad has two channels per period:

* ``*_events`` — how many events; ``*_mentions`` — their NumMentions summed;
* ``*_goldstein`` — the Goldstein score (-10 to +10) averaged with each event
  weighted by its NumMentions (an event many articles mention counts more);
* ``*_cooperation`` — the share of the channel's events that are cooperation
  (QuadClass 1 of the verbal, 2 of the material);
* ``gap_goldstein`` and ``gap_cooperation`` — words minus deeds: above zero,
  a state speaks more warmly than it acts.

The series are Ibis expressions (:func:`dyad_expr`), run on embedded DuckDB by
default; :func:`lead_lag` then asks whether words forecast deeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table

from research.engines import events_table, run

#: Period lengths: pandas-style names to Ibis truncation units.
FREQS = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}
VERBAL, MATERIAL = (1, 3), (2, 4)
COLUMNS = (
    "period", "doer", "target",
    "verbal_events", "material_events", "verbal_mentions", "material_mentions",
    "verbal_goldstein", "material_goldstein", "verbal_cooperation", "material_cooperation",
    "gap_goldstein", "gap_cooperation",
)  # fmt: skip


def _sums(
    events: Table, a: str, b: str, freq: str, since: date | None, until: date | None
) -> Table:
    """Per period and direction, the counts and sums the series' means are made of."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
    t = events
    a1, a2 = t.Actor1CountryCode, t.Actor2CountryCode
    t = t.filter(((a1 == a) & (a2 == b)) | ((a1 == b) & (a2 == a)))
    partitioned = "day" in t.columns and t.schema()["day"].is_date()
    sqldate = t.SQLDATE
    if since is not None:
        first = int(f"{since:%Y%m%d}")
        t = t.filter(sqldate >= first)
        if partitioned:
            t = t.filter(t.day >= since)
    if until is not None:
        last = int(f"{until:%Y%m%d}")
        t = t.filter(sqldate <= last)
        if partitioned:
            t = t.filter(t.day <= until)
    d = t.SQLDATE.cast("int64")
    day = ibis.date(d // 10000, (d // 100) % 100, d % 100)
    t = t.mutate(
        period=day.truncate(FREQS[freq]),
        doer=t.Actor1CountryCode,
        target=t.Actor2CountryCode,
        w=t.NumMentions.cast("float64"),
        wg=t.NumMentions.cast("float64") * t.GoldsteinScale.cast("float64"),
    )
    verbal, material = t.QuadClass.isin(VERBAL), t.QuadClass.isin(MATERIAL)
    g = t.group_by(["period", "doer", "target"]).aggregate(
        verbal_events=t.QuadClass.count(where=verbal),
        material_events=t.QuadClass.count(where=material),
        verbal_mentions=t.w.sum(where=verbal),
        material_mentions=t.w.sum(where=material),
        _verbal_wg=t.wg.sum(where=verbal),
        _material_wg=t.wg.sum(where=material),
        _verbal_coop=t.QuadClass.count(where=t.QuadClass == 1),
        _material_coop=t.QuadClass.count(where=t.QuadClass == 2),
    )
    return g


def dyad_expr(
    events: Table,
    a: str,
    b: str,
    freq: str = "M",
    since: date | None = None,
    until: date | None = None,
) -> Table:
    """The dyad series as one Ibis expression over a GDELT events table.

    Reads only ``SQLDATE`` (an integer YYYYMMDD), ``Actor1CountryCode``,
    ``Actor2CountryCode``, ``QuadClass``, ``GoldsteinScale`` and
    ``NumMentions``, GDELT's own columns, so the same expression compiles for
    any Ibis backend. Periods with no event in a direction are absent here.
    ``since`` and ``until`` bound the event day (SQLDATE), both included; on
    a table with a ``day`` date column (the import's day partitions) the
    bounds are also set on ``day``, so that an engine reads only those days.
    """
    g = _sums(events, a, b, freq, since, until)

    def ratio(num, den):
        return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null())

    g = g.mutate(
        verbal_goldstein=ratio(g._verbal_wg, g.verbal_mentions),
        material_goldstein=ratio(g._material_wg, g.material_mentions),
        verbal_cooperation=ratio(g._verbal_coop, g.verbal_events),
        material_cooperation=ratio(g._material_coop, g.material_events),
    )
    g = g.mutate(
        gap_goldstein=g.verbal_goldstein - g.material_goldstein,
        gap_cooperation=g.verbal_cooperation - g.material_cooperation,
    )
    return g.select(*COLUMNS).order_by(["doer", "period"])


def dyad_series(
    con_or_tables: object,
    a: str,
    b: str,
    freq: str = "M",
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Words (verbal events) against deeds (material events) between two states.

    Parameters
    ----------
    con_or_tables : Ibis connection, Ibis table, DataFrame or Parquet path
        GDELT events: a connection holding a ``gdelt_events`` table, a table,
        imported rows (:func:`research.gdelt.read_export`), or Parquet files
        (see :func:`research.engines.events_table`). DataFrames and Parquet
        run on embedded DuckDB.
    a, b : str
        CAMEO country codes (ISO 3166 alpha-3), e.g. ``"RUS"``, ``"IRN"``.
    freq : {"D", "W", "M", "Q", "Y"}
        Period length.
    since, until : datetime.date, optional
        First and last event day (SQLDATE) counted. On the import's day
        partitions (:func:`research.gdelt.write_parquet`) only those days'
        files are read.

    Returns
    -------
    pandas.DataFrame
        One row per direction (``doer`` → ``target``) and period, every
        period from the first to the last with an event in either direction
        (counts 0, means missing where a channel is empty): see the module
        docstring for the columns.

    Examples
    --------
    >>> from research.gdelt import read_export
    >>> events = read_export(["tests/fixtures/gdelt"]).events
    >>> s = dyad_series(events, "RUS", "IRN")
    >>> s[["period", "doer", "verbal_events", "verbal_goldstein", "material_events"]]
          period doer  verbal_events  verbal_goldstein  material_events
    0 2019-10-01  RUS              0               NaN                0
    1 2019-10-01  IRN              5               6.4                0
    """
    # The engine counts and sums; the means and gaps, a few divisions per period, are
    # computed here (the same IEEE operations dyad_expr asks the engine for): a smaller
    # expression compiles in a fraction of the time, which is most of the cost on small
    # inputs.
    found = run(_sums(events_table(con_or_tables), a, b, freq, since, until))
    return _regular(_means(found), a, b, freq)


def _means(sums: pd.DataFrame) -> pd.DataFrame:
    """:func:`dyad_expr`'s columns from :func:`_sums`' (missing where a channel is empty)."""

    def ratio(num: str, den: str) -> np.ndarray:
        n = sums[num].to_numpy(dtype=float, na_value=np.nan)
        d = sums[den].to_numpy(dtype=float, na_value=np.nan)
        out = np.full(len(sums), np.nan)
        np.divide(n, d, out=out, where=d > 0)
        return out

    out = sums.assign(
        verbal_goldstein=ratio("_verbal_wg", "verbal_mentions"),
        material_goldstein=ratio("_material_wg", "material_mentions"),
        verbal_cooperation=ratio("_verbal_coop", "verbal_events"),
        material_cooperation=ratio("_material_coop", "material_events"),
    )
    out["gap_goldstein"] = out["verbal_goldstein"] - out["material_goldstein"]
    out["gap_cooperation"] = out["verbal_cooperation"] - out["material_cooperation"]
    return out[list(COLUMNS)]


def _regular(found: pd.DataFrame, a: str, b: str, freq: str) -> pd.DataFrame:
    """Every period from the first to the last, in both directions."""
    found = found.assign(period=pd.to_datetime(found["period"]))
    if found.empty:
        periods = pd.DatetimeIndex([])
    else:
        step = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS", "Y": "YS"}[freq]
        periods = pd.date_range(found["period"].min(), found["period"].max(), freq=step)
    grid = pd.DataFrame(
        [(p, d, t) for d, t in ((a, b), (b, a)) for p in periods],
        columns=["period", "doer", "target"],
    ).astype({"period": found["period"].dtype})  # also when no event at all: an empty dyad
    out = grid.merge(found, on=["period", "doer", "target"], how="left")
    counts = ["verbal_events", "material_events", "verbal_mentions", "material_mentions"]
    out[counts] = out[counts].fillna(0)
    for c in counts[:2]:
        out[c] = out[c].astype("int64")
    for c in COLUMNS[7:]:
        out[c] = out[c].astype("float64")
    return out[list(COLUMNS)]  # a -> b first, then b -> a; periods in order


@dataclass(frozen=True)
class LeadLag:
    """Does one channel forecast the other? Cross-correlations and their p-values.

    ``table`` has, per lag k (words leading deeds by k periods), the Pearson
    correlation ``r`` of words at t with deeds at t + k over the ``n`` periods
    where both are known, and ``p_value`` from the permutation test. ``best``
    is the lag of largest |r|; ``p_value`` is for that largest |r| against the
    largest |r| of each permutation (so testing seven lags is paid for).
    """

    table: pd.DataFrame
    best: int
    r: float
    p_value: float
    permutations: int
    seed: int

    def verdict(self, alpha: float = 0.05, unit: str = "periods") -> str:
        """One sentence a report can print."""
        if np.isnan(self.p_value):  # no lag had 3 periods with both channels: nothing tested
            return f"too few {unit} with both words and deeds to test whether words lead deeds"
        if self.p_value < alpha:
            sign = "with" if self.r > 0 else "against"
            when = "in the same period as" if self.best == 0 else f"by {self.best} {unit}"
            return (
                f"words led deeds {when} (moving {sign} them: r = {self.r:.2f}, "
                f"permutation p = {self.p_value:.3f})"
            )
        return (
            f"words carried no signal about deeds (largest r = {self.r:.2f} at lag "
            f"{self.best}, permutation p = {self.p_value:.3f})"
        )


def _corr(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    ok = ~(np.isnan(x) | np.isnan(y))
    n = int(ok.sum())
    if n < 3:
        return float("nan"), n
    xs, ys = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    den = np.sqrt((xs * xs).sum() * (ys * ys).sum())
    return (float((xs * ys).sum() / den) if den > 0 else float("nan")), n


def cross_correlation(words: np.ndarray, deeds: np.ndarray, max_lag: int = 6) -> np.ndarray:
    """r(k) = corr(words[t], deeds[t + k]) for k = 0..max_lag (missing values skipped).

    >>> cross_correlation(np.array([1.0, 2, 3, 4, 5]), np.array([0.0, 1, 2, 3, 4]), 1)
    array([1., 1.])
    """
    words, deeds = np.asarray(words, dtype=float), np.asarray(deeds, dtype=float)
    out = np.full(max_lag + 1, np.nan)
    for k in range(max_lag + 1):
        if k < len(words):
            out[k] = _corr(words[: len(words) - k], deeds[k:])[0]
    return out


def lead_lag(
    series: pd.DataFrame,
    doer: str,
    measure: str = "goldstein",
    max_lag: int = 6,
    permutations: int = 999,
    seed: int = 0,
) -> LeadLag:
    """Whether a state's words towards the other forecast its deeds.

    Takes :func:`dyad_series` output and the direction's ``doer``; words are
    ``verbal_<measure>``, deeds ``material_<measure>`` (``goldstein`` or
    ``cooperation``). The permutation test shuffles the words series in time
    ``permutations`` times with a generator seeded by ``seed`` (the same
    answer on every run). Shuffling ignores autocorrelation, so p-values of
    strongly trending series are too small; read them as a screen.
    """
    rows = series[series["doer"] == doer].sort_values("period")
    words = rows[f"verbal_{measure}"].to_numpy(dtype=float, copy=True)  # writable when empty
    deeds = rows[f"material_{measure}"].to_numpy(dtype=float, copy=True)
    observed = cross_correlation(words, deeds, max_lag)
    ns = [_corr(words[: len(words) - k], deeds[k:])[1] if k < len(words) else 0
          for k in range(max_lag + 1)]  # fmt: skip
    rng = np.random.default_rng(seed)
    shuffled = np.array(
        [cross_correlation(rng.permutation(words), deeds, max_lag) for _ in range(permutations)]
    )
    abs_obs, abs_perm = np.abs(observed), np.abs(shuffled)
    per_lag = (1 + (abs_perm >= abs_obs - 1e-12).sum(axis=0)) / (permutations + 1)
    per_lag = np.where(np.isnan(observed), np.nan, per_lag)
    if np.all(np.isnan(observed)):
        best, r, p = 0, float("nan"), float("nan")
    else:
        best = int(np.nanargmax(abs_obs))
        r = float(observed[best])
        top = np.nanmax(np.where(np.isnan(abs_perm), -np.inf, abs_perm), axis=1)
        p = float((1 + (top >= abs_obs[best] - 1e-12).sum()) / (permutations + 1))
    table = pd.DataFrame(
        {"lag": np.arange(max_lag + 1), "r": observed, "n": ns, "p_value": per_lag}
    )
    return LeadLag(table, best, r, p, permutations, seed)
