"""What a ``dyad_events`` report found: two states' words against their deeds in
machine-coded events, in sentences written from the data.

:func:`study` runs the analysis for a report — :func:`research.dyad_series` and
:func:`research.lead_lag` for each direction of the dyad, the articles the
events were coded from, and how often each state appears at all — and
:func:`finding` turns it into a :class:`~research.findings.Finding` for
:func:`research.present.first_screen`. The sentences never claim more than
the data hold: with too few periods the lead–lag test is not run and the
finding says so, instead of calling words "no signal".

>>> from research.dyad_findings import read_events, study
>>> d = study(read_events("tests/fixtures/gdelt"), "RUS", "IRN", freq="M")
>>> int(d.series["verbal_events"].sum()), len(d.articles)
(5, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from research.dyad import LeadLag, dyad_series, lead_lag
from research.engines import events_table, run
from research.findings import Finding
from research.gdelt import read_export, slot
from research.load import Tables
from research.names import Names, count, listing, signed

#: Period lengths in words (singular, plural).
UNITS = {
    "D": ("day", "days"),
    "W": ("week", "weeks"),
    "M": ("month", "months"),
    "Q": ("quarter", "quarters"),
    "Y": ("year", "years"),
}
#: What the words and deeds channels are called, by measure.
MEASURES = {
    "cooperation": ("verbal cooperation", "material cooperation"),
    "goldstein": ("the tone of its words (Goldstein)", "the tone of its deeds (Goldstein)"),
}
#: A correlation needs this many periods where both channels are known (see ``dyad._corr``).
MIN_PERIODS = 3
#: Fewer events than this, or fewer periods than :data:`MIN_PERIODS`, make a slice "thin".
THIN_EVENTS = 30
ALPHA = 0.05


def _unit(freq: str, n: int | None = None) -> str:
    one, many = UNITS[freq]
    return one if n == 1 else many


# --- reading the events -----------------------------------------------------------------


@dataclass(frozen=True)
class EventData:
    """GDELT events for a report, and where they came from, in words.

    ``source`` is what :func:`research.dyad_series` takes: a DataFrame of
    imported rows or a Parquet path. ``origin`` says which exports (or
    Parquet files) they are, without the machine's paths.
    """

    source: object
    origin: str
    rows: int


def events_path(events: str = "", data_dir: str | Path | None = None) -> Path:
    """The events a report reads: ``events`` if given, else ``DATA_DIR/events/gdelt``."""
    from research.schema import default_data_dir

    if events:
        return Path(events)
    return Path(data_dir or default_data_dir()) / "events" / "gdelt"


def _is_parquet(path: Path) -> bool:
    if path.is_dir():
        return any(path.rglob("*.parquet"))
    return path.suffix == ".parquet" or "*" in path.name


def read_events(path: str | Path) -> EventData:
    """GDELT events from export files (a directory of ``.CSV``/``.CSV.zip``) or Parquet.

    Exports are read and checked by :func:`research.gdelt.read_export` (every
    row, no actor filter, so a report can say how often each state appears);
    Parquet (a file, a glob, or a directory holding ``.parquet`` files, such as
    an import's day partitions) is queried where it lies.
    """
    path = Path(path)
    if _is_parquet(path):
        rows = int(run(events_table(str(path)).count().as_table()).iloc[0, 0])
        return EventData(str(path), f"GDELT events in Parquet ({path.name})", rows)
    x = read_export([path])
    if not x.files:
        return EventData(x.events, f"no GDELT export in {path.name}", 0)
    first, last = slot(x.files[0]), slot(x.files[-1])
    if first == last:
        origin = (
            f"{count(x.rows, 'row')} of the GDELT 2.0 export of {first:%Y-%m-%d %H:%M} UTC, "
            "one 15-minute file"
        )
    else:
        origin = (
            f"{count(x.rows, 'row')} of {len(x.files)} GDELT 2.0 exports, 15 minutes each, "
            f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
        )
    if x.missing:
        origin += f", {count(len(x.missing), 'export')} missing from the series"
    return EventData(x.events, origin, x.rows)


# --- the analysis a report shows ---------------------------------------------------------


@dataclass(frozen=True)
class DyadEvents:
    """Everything a ``dyad_events`` report shows about one dyad.

    Attributes
    ----------
    series : DataFrame
        :func:`research.dyad_series` of ``a`` and ``b``.
    tests : dict of str to LeadLag
        :func:`research.lead_lag` per direction, keyed by the doer.
    articles : DataFrame
        One row per article (``SOURCEURL``) the dyad's events were coded from:
        ``events``, ``mentions``, ``first_day``, ``last_day``, ``directions``.
    appearances : dict of str to int
        How many rows of the whole data each state is an actor of.
    """

    a: str
    b: str
    freq: str
    measure: str
    series: pd.DataFrame
    tests: dict[str, LeadLag]
    articles: pd.DataFrame
    appearances: dict[str, int]
    origin: str

    def lead_lags(self, names: Names | None = None) -> pd.DataFrame:
        """The lead–lag tests of both directions as one table: direction, lag, r, n, p."""
        frames = []
        for doer, t in self.tests.items():
            target = self.b if doer == self.a else self.a
            who = names.actor if names is not None else str
            frames.append(t.table.assign(direction=f"{who(doer)} → {who(target)}"))
        out = pd.concat(frames, ignore_index=True)
        return out[["direction", "lag", "r", "n", "p_value"]]


def _articles(table, a: str, b: str) -> pd.DataFrame:
    a1, a2 = table.Actor1CountryCode, table.Actor2CountryCode
    t = table.filter(((a1 == a) & (a2 == b)) | ((a1 == b) & (a2 == a)))
    t = t.mutate(direction=t.Actor1CountryCode.concat("→", t.Actor2CountryCode))
    g = t.group_by("SOURCEURL").aggregate(
        events=t.count(),
        mentions=t.NumMentions.cast("int64").sum(),
        first_day=t.SQLDATE.cast("int64").min(),
        last_day=t.SQLDATE.cast("int64").max(),
        directions=t.direction.collect(distinct=True),
    )
    df = run(g)
    for c in ("first_day", "last_day"):
        df[c] = pd.to_datetime(df[c].astype(str), format="%Y%m%d")
    df["directions"] = [", ".join(sorted(d)) for d in df["directions"]]
    df = df.rename(columns={"SOURCEURL": "article"})
    cols = ["article", "events", "mentions", "first_day", "last_day", "directions"]
    return df[cols].sort_values(["first_day", "article"]).reset_index(drop=True)


def _appearances(table, codes: list[str]) -> dict[str, int]:
    a1, a2 = table.Actor1CountryCode, table.Actor2CountryCode
    counts = table.aggregate(**{f"n_{c}": table.count(where=(a1 == c) | (a2 == c)) for c in codes})
    row = run(counts).iloc[0]
    return {c: int(row[f"n_{c}"]) for c in codes}


def study(
    events: EventData,
    a: str,
    b: str,
    freq: str = "M",
    measure: str = "cooperation",
    max_lag: int = 6,
    permutations: int = 999,
    seed: int = 0,
) -> DyadEvents:
    """Words against deeds between ``a`` and ``b``: series, lead–lag tests, articles.

    ``measure`` is what the lead–lag test correlates: ``"cooperation"`` (the
    share of a channel's events that are cooperation) or ``"goldstein"``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    table = events_table(events.source)
    series = dyad_series(table, a, b, freq)
    tests = {doer: lead_lag(series, doer, measure, max_lag, permutations, seed) for doer in (a, b)}
    return DyadEvents(
        a, b, freq, measure, series, tests, _articles(table, a, b),
        _appearances(table, [a, b]), events.origin,
    )  # fmt: skip


# --- curated statements beside the series --------------------------------------------------


def statements(tables: Tables, a: str, b: str, case: str) -> pd.DataFrame:
    """The case's curated statements that count as ``a``'s or ``b``'s words, dated.

    Rows of :func:`research.timeline` (channel ``words``) whose principal is
    either state or anyone speaking for it.
    """
    from research.timeline import timeline

    tl = timeline(tables, actors=[a, b], case=case)
    names = Names(tables)
    words = tl[tl["channel"] == "words"]
    sides = words["principal"].astype(str).map(lambda p: [names.side(x) for x in p.split(";") if x])
    keep = sides.map(lambda s: bool({a, b} & set(s)))
    return words[keep.astype(bool)].reset_index(drop=True)


# --- the finding ---------------------------------------------------------------------------


def _span(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> str:
    fmt = {"D": "%Y-%m-%d", "W": "%Y-%m-%d", "M": "%b %Y", "Q": "%b %Y", "Y": "%Y"}[freq]
    lo, hi = f"{first:{fmt}}", f"{last:{fmt}}"
    return lo if lo == hi else f"{lo} to {hi}"


def _direction_counts(d: DyadEvents, names: Names) -> str:
    parts = []
    for doer, target in ((d.a, d.b), (d.b, d.a)):
        rows = d.series[d.series["doer"] == doer]
        v, m = int(rows["verbal_events"].sum()), int(rows["material_events"].sum())
        who = f"{names.actor(doer)} towards {names.actor(target)}"
        parts.append(f"{who} none" if v + m == 0 else f"{who} {v} verbal and {m} material")
    return "; ".join(parts)


def _both(d: DyadEvents, doer: str) -> int:
    """Periods where both channels of the measure are known for ``doer``."""
    rows = d.series[d.series["doer"] == doer]
    known = rows[f"verbal_{d.measure}"].notna() & rows[f"material_{d.measure}"].notna()
    return int(known.sum())


def _lead_lag_sentence(d: DyadEvents, names: Names) -> str:
    said, done = MEASURES[d.measure]
    ran = {doer: t for doer, t in d.tests.items() if pd.notna(t.p_value)}
    if not ran:
        most = max(_both(d, d.a), _both(d, d.b))
        return (
            f"Whether words lead deeds cannot be measured here: the lead–lag test needs "
            f"words and deeds of one direction both coded in at least {MIN_PERIODS} "
            f"{_unit(d.freq)}, "
            f"and this data has {most or 'none'}."
        )
    parts = []
    for doer, t in ran.items():
        target = d.b if doer == d.a else d.a
        n = int(t.table.loc[t.table["lag"] == t.best, "n"].iloc[0])
        stats = f"r = {t.r:.2f}, permutation p = {t.p_value:.3f}, over {count(n, *UNITS[d.freq])}"
        towards = f"{names.possessive(doer)} {said} towards {names.actor(target)}"
        if t.p_value < ALPHA:
            when = (
                f"in the same {_unit(d.freq, 1)}"
                if t.best == 0
                else f"by {count(t.best, *UNITS[d.freq])}"
            )
            how = "led" if t.r > 0 else "led, in the opposite direction,"
            if t.best == 0:
                how = "moved with" if t.r > 0 else "moved against"
            parts.append(f"{towards} {how} its {done} {when} ({stats})")
        else:
            parts.append(
                f"{towards} carried no signal about its {done} (largest r = {t.r:.2f} at a lag "
                f"of {count(t.best, *UNITS[d.freq])}, permutation p = {t.p_value:.3f})"
            )
    for doer in d.tests:
        if doer not in ran:
            target = d.b if doer == d.a else d.a
            parts.append(
                f"{names.possessive(doer)} towards {names.actor(target)} could not be tested "
                f"(fewer than {MIN_PERIODS} {_unit(d.freq)} with both channels coded, or a "
                "channel that never varies)"
            )
    text = listing(parts)
    return text[0].upper() + text[1:] + "."


def _gap_sentence(d: DyadEvents, names: Names) -> str:
    parts = []
    for doer, target in ((d.a, d.b), (d.b, d.a)):
        rows = d.series[d.series["doer"] == doer]
        gaps = rows["gap_goldstein"].dropna()
        if gaps.empty:
            continue
        mean = float(gaps.mean())
        way = "warmer" if mean > 0 else "cooler" if mean < 0 else "no warmer"
        parts.append(
            f"{names.possessive(doer)} words towards {names.actor(target)} ran "
            f"{abs(mean):.1f} Goldstein points {way} than its deeds "
            f"(mean gap {signed(mean, 1)} over {count(len(gaps), _unit(d.freq, 1))})"
        )
    if not parts:
        return (
            f"No {_unit(d.freq, 1)} has both words and deeds coded in either direction, so no "
            "say–do gap can be measured."
        )
    return "Where both were coded, " + listing(parts) + "."


def _statements_sentence(d: DyadEvents, names: Names, st: pd.DataFrame) -> str:
    both = f"{names.actor(d.a)} and {names.actor(d.b)}"
    if st.empty:
        return f"The case's curated record holds no statement by {both} to set beside them."
    days = st["date"].dropna()
    ends = st["end"].fillna(st["date"]).dropna() if "end" in st else days
    span = ""
    if len(days):  # a statement dated only to a range counts from its first to its last day
        lo, hi = days.min().year, ends.max().year
        span = f", said in {lo}" if lo == hi else f", said between {lo} and {hi}"
    lead = f"The case's curated record holds {count(len(st), 'statement')} by {both}{span}"
    periods = d.series["period"]
    if periods.empty:
        return lead + "; with no event between them, there is nothing to set them beside."
    lo = periods.min()
    hi = periods.max() + pd.tseries.frequencies.to_offset(
        {"D": "D", "W": "W", "M": "MS", "Q": "QS", "Y": "YS"}[d.freq]
    )
    inside = int(((days >= lo) & (days < hi)).sum())
    if inside == 0:
        return lead + "; none falls within the dates of these events, so they stand apart."
    verb = "falls" if inside == 1 else "fall"
    return lead + f"; {inside} of them {verb} within the dates of these events."


def _evidence(d: DyadEvents) -> tuple[str, tuple[str, ...]]:
    arts = d.articles
    if arts.empty:
        return f"Evidence: no GDELT event between them in {d.origin}.", ()
    hosts: dict[str, int] = {}
    for url in arts["article"]:
        host = url.split("//", 1)[-1].split("/", 1)[0].removeprefix("www.")
        hosts[host] = hosts.get(host, 0) + 1
    shown = ", ".join(h if n == 1 else f"{h} ({n})" for h, n in hosts.items())
    line = (
        f"Evidence: {count(len(arts), 'article')} ({shown}), coded by GDELT's machine and "
        "read by no one here."
    )
    full = tuple(
        f"{r.article} — {count(int(r.events), 'event')} ({r.directions}), "
        f"{r.first_day:%Y-%m-%d}"
        + ("" if r.first_day == r.last_day else f" to {r.last_day:%Y-%m-%d}")
        for r in arts.itertuples()
    )
    return line, full


def finding(d: DyadEvents, tables: Tables, st: pd.DataFrame | None = None) -> Finding:
    """What a ``dyad_events`` report found, for :func:`research.present.first_screen`.

    Parameters
    ----------
    d : DyadEvents
        From :func:`study`.
    st : DataFrame, optional
        :func:`statements` of the two states in the case.
    """
    names = Names(tables)
    st = st if st is not None else pd.DataFrame(columns=["date"])
    na, nb = names.actor(d.a), names.actor(d.b)
    rows = int(d.articles["events"].sum()) if not d.articles.empty else 0
    periods = d.series["period"].drop_duplicates()
    active = d.series.loc[
        (d.series["verbal_events"] + d.series["material_events"]) > 0, "period"
    ].drop_duplicates()
    if rows == 0:
        (ca, n_a), (cb, n_b) = d.appearances.items()
        seen = f"{names.actor(ca)} is an actor in {n_a or 'none'} of its rows"
        seen += f", {names.actor(cb)} in {n_b or 'none'}"
        sentences = [
            f"This event data ({d.origin}) holds no event between {na} and {nb}: "
            f"{seen}, never with the other.",
            "With nothing coded between them, it says nothing about their words or deeds "
            "towards each other — an absence in one slice of machine-coded news is not "
            "evidence of absence.",
        ]
    else:
        sentences = [
            f"GDELT's machine coding holds {count(rows, 'event')} between {na} and {nb} "
            f"({d.origin}), in {count(len(active), _unit(d.freq, 1))} "
            f"({_span(periods.min(), periods.max(), d.freq)}): {_direction_counts(d, names)}.",
            _lead_lag_sentence(d, names),
            _gap_sentence(d, names),
        ]
    sentences.append(_statements_sentence(d, names, st))
    line, full = _evidence(d)
    if rows == 0:
        caveat = "Nothing here rests on an event between them."
    elif len(active) < MIN_PERIODS or rows < THIN_EVENTS:
        caveat = (
            f"Thin: {count(rows, 'event')} in {count(len(active), _unit(d.freq, 1))} from "
            f"{count(len(d.articles), 'article')} — this shows what the analysis does, not how "
            "these states deal with each other."
        )
    else:
        caveat = "Machine-coded events: each is one reading of one article, not a verified deed."
    tests_run = sum(pd.notna(t.p_value) for t in d.tests.values())
    figures = (
        ("event between them" if rows == 1 else "events between them", str(rows)),
        ("article" if len(d.articles) == 1 else "articles", str(len(d.articles))),
        (f"{_unit(d.freq, len(active))} with events", str(len(active))),
        ("lead–lag tests run" if tests_run != 1 else "lead–lag test run", str(tests_run)),
        (
            "curated statement" if len(st) == 1 else "curated statements",
            str(len(st)),
        ),
    )
    return Finding(tuple(sentences), figures, line, caveat, full)


__all__ = [
    "DyadEvents",
    "EventData",
    "events_path",
    "finding",
    "read_events",
    "statements",
    "study",
]
