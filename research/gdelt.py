"""Read GDELT 2.0 event exports exactly as GDELT publishes them.

GDELT writes one export every 15 minutes, ``YYYYMMDDHHMMSS.export.CSV.zip``:
tab-separated, no header, 61 columns, no quoting. This module reads such files
(zipped or not) from a directory the user downloaded — it never reaches the
network — and

* keeps event codes as strings (``0251`` is not ``251``);
* checks every row and raises :class:`~research.problems.DataError` naming
  file, line, column, value and rule for every malformed row at once;
* reports the 15-minute exports missing between the first and the last file
  given, instead of skipping them silently;
* writes, for engines to query (:func:`write_parquet`), a Parquet dataset
  partitioned by event day (``day=YYYY-MM-DD/``), a batch of files at a time
  so that memory stays bounded, and atomically: the dataset is built beside
  its destination and renamed into place only when every row has passed.

Only the standard library, NumPy, pandas and pyarrow are used: this is the
sources layer, below every engine and analysis.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from research.problems import FILE, ROW, DataError, Problem

#: The 61 columns of a GDELT 2.0 event export, in file order (BigQuery names:
#: ``SQLDATE`` is the codebook's ``Day``).
COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    *(
        f"{a}{part}"
        for a in ("Actor1", "Actor2")
        for part in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ),
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *(
        f"{a}Geo_{part}"
        for a in ("Actor1", "Actor2", "Action")
        for part in (
            "Type",
            "FullName",
            "CountryCode",
            "ADM1Code",
            "ADM2Code",
            "Lat",
            "Long",
            "FeatureID",
        )
    ),
    "DATEADDED",
    "SOURCEURL",
)
assert len(COLUMNS) == 61

#: A published export's name; the stamp is the UTC time of its 15-minute slot.
EXPORT_NAME = re.compile(r"(?P<stamp>[0-9]{14})\.export\.CSV(?P<zip>\.zip)?", re.IGNORECASE)
#: GDELT publishes one export per slot of this length.
SLOT = timedelta(minutes=15)

_INT = r"-?[0-9]+"
_FLOAT = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"
# column -> (pattern of a valid cell, what the rule says, required)
_CHECKS: dict[str, tuple[str, str, bool]] = {
    "GLOBALEVENTID": ("[0-9]+", "must be a whole number", True),
    "SQLDATE": ("[0-9]{8}", "must be a day written YYYYMMDD", True),
    "MonthYear": ("[0-9]{6}", "must be a month written YYYYMM", True),
    "Year": ("[0-9]{4}", "must be a year written YYYY", True),
    "FractionDate": (_FLOAT, "must be a number", True),
    "IsRootEvent": ("[01]", "must be 0 or 1", True),
    "EventCode": ("[0-9]{2,4}", "must be a CAMEO event code of 2 to 4 digits", True),
    "EventBaseCode": ("[0-9]{2,3}", "must be a CAMEO base code of 2 or 3 digits", True),
    "EventRootCode": ("[0-9]{2}", "must be a CAMEO root code of 2 digits", True),
    "QuadClass": ("[1-4]", "must be 1, 2, 3 or 4", True),
    "GoldsteinScale": (_FLOAT, "must be a number from -10 to 10", True),
    "NumMentions": ("[0-9]+", "must be a whole number of at least 0", True),
    "NumSources": ("[0-9]+", "must be a whole number of at least 0", True),
    "NumArticles": ("[0-9]+", "must be a whole number of at least 0", True),
    "AvgTone": (_FLOAT, "must be a number", True),
    **{
        f"{a}Geo_{part}": (pattern, rule, False)
        for a in ("Actor1", "Actor2", "Action")
        for part, pattern, rule in (
            ("Type", "[0-5]", "must be a geographic type from 0 to 5"),
            ("Lat", _FLOAT, "must be a number"),
            ("Long", _FLOAT, "must be a number"),
        )
    },
    "DATEADDED": ("[0-9]{14}", "must be a UTC time written YYYYMMDDHHMMSS", True),
    "SOURCEURL": (r"\S+", "a value is required (the article GDELT coded)", True),
}
_INTEGERS = ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "IsRootEvent", "QuadClass")
_COUNTS = ("NumMentions", "NumSources", "NumArticles")
_FLOATS = ("FractionDate", "GoldsteinScale", "AvgTone") + tuple(
    f"{a}Geo_{p}" for a in ("Actor1", "Actor2", "Action") for p in ("Lat", "Long")
)
_GEO_TYPES = tuple(f"{a}Geo_Type" for a in ("Actor1", "Actor2", "Action"))


@dataclass(frozen=True)
class Export:
    """Events read from GDELT 2.0 export files.

    ``events`` has the 61 GDELT columns (codes as strings, counts and scores
    as numbers) and ``day`` (SQLDATE as a date), ``added`` (DATEADDED as a
    UTC time), ``file`` and ``line`` (where each row was read). ``files`` are
    the exports read, in time order; ``missing`` the 15-minute slots with no
    export between the first and the last of them; ``ignored`` the files in
    the directories given that are not event exports; ``rows`` the rows read
    before the actor and date filters.
    """

    events: pd.DataFrame
    files: tuple[Path, ...]
    missing: tuple[datetime, ...]
    ignored: tuple[Path, ...]
    rows: int

    def summary(self) -> str:
        """What was read, in a few lines: files, rows kept, gaps in the series."""
        return _summary(self.files, self.missing, self.ignored, self.rows, len(self.events))


def _summary(
    files: Sequence[Path],
    missing: Sequence[datetime],
    ignored: Sequence[Path],
    rows: int,
    kept: int,
) -> str:
    lines = [
        f"{len(files)} export file{'s' if len(files) != 1 else ''}, {rows} rows read, {kept} kept"
    ]
    if files:
        first, last = slot(files[0]), slot(files[-1])
        lines.append(f"series {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
    if missing:
        lines.append(
            f"{len(missing)} 15-minute export{'s' if len(missing) != 1 else ''} "
            "missing from the series: " + ", ".join(f"{m:%Y%m%d%H%M%S}" for m in missing)
        )
    else:
        lines.append("no gaps in the 15-minute series")
    if ignored:
        lines.append(f"{len(ignored)} other files ignored (not event exports)")
    return "\n".join(lines)


def slot(path: str | Path) -> datetime:
    """The UTC slot of an export, from its name; ValueError for other names.

    >>> slot("20191024143000.export.CSV.zip")
    datetime.datetime(2019, 10, 24, 14, 30)
    """
    m = EXPORT_NAME.fullmatch(Path(path).name)
    if m is None:
        raise ValueError(f"{Path(path).name}: not a GDELT 2.0 export name")
    when = datetime.strptime(m["stamp"], "%Y%m%d%H%M%S")
    if when.minute % 15 or when.second:
        raise ValueError(f"{Path(path).name}: {when:%H:%M:%S} is not on a 15-minute slot")
    return when


def missing_slots(slots: Iterable[datetime]) -> list[datetime]:
    """The 15-minute slots absent between the earliest and the latest of ``slots``.

    >>> from datetime import datetime as d
    >>> missing_slots([d(2019, 10, 24, 14, 0), d(2019, 10, 24, 14, 45)])
    [datetime.datetime(2019, 10, 24, 14, 15), datetime.datetime(2019, 10, 24, 14, 30)]
    """
    have = sorted(set(slots))
    if not have:
        return []
    out, t = [], have[0]
    present = set(have)
    while t < have[-1]:
        t += SLOT
        if t not in present:
            out.append(t)
    return out


def export_files(
    paths: Sequence[str | Path], problems: list[Problem]
) -> tuple[list[Path], list[Path]]:
    """The exports named by ``paths`` (files, or directories searched one level),
    in slot order, and the other files found in those directories.

    A named file that is not an export, a path that does not exist, and two
    files for one slot (``.CSV`` beside ``.CSV.zip``) are problems.
    """
    found: list[Path] = []
    ignored: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if not f.is_file():
                    continue
                (found if EXPORT_NAME.fullmatch(f.name) else ignored).append(f)
        elif p.is_file():
            found.append(p)
        else:
            problems.append(Problem(str(p), 0, FILE, str(p), "no such file or directory"))
    by_slot: dict[datetime, Path] = {}
    for f in dict.fromkeys(found):
        try:
            when = slot(f)
        except ValueError as e:
            rule = str(e).split(": ", 1)[1] + " (YYYYMMDDHHMMSS.export.CSV or .CSV.zip)"
            problems.append(Problem(str(f), 0, FILE, f.name, rule))
            continue
        if when in by_slot:
            rule = f"a second export for slot {when:%Y%m%d%H%M%S}; first: {by_slot[when]}"
            problems.append(Problem(str(f), 0, FILE, f.name, rule))
            continue
        by_slot[when] = f
    return [by_slot[k] for k in sorted(by_slot)], ignored


def _file_bytes(path: Path, problems: list[Problem]) -> bytes | None:
    """The export's text: the file itself, or the one member of its zip archive."""
    data = path.read_bytes()
    if path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = [m for m in z.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    rule = f"a GDELT archive holds one export; this one holds {len(members)} files"
                    problems.append(Problem(str(path), 0, FILE, ", ".join(members), rule))
                    return None
                data = z.read(members[0])
        except (zipfile.BadZipFile, OSError) as e:
            problems.append(Problem(str(path), 0, FILE, "", f"not a readable zip archive: {e}"))
            return None
    return data


_EMPTY = pa.table({c: pa.array([], type=pa.string()) for c in COLUMNS})


def _parse(data: pa.Buffer | bytes, invalid_row_handler=None) -> pa.Table:
    """Tab-separated rows of 61 text cells, no quoting, as Arrow parses them."""
    return pcsv.read_csv(
        pa.py_buffer(data) if isinstance(data, bytes) else data,
        read_options=pcsv.ReadOptions(column_names=list(COLUMNS), use_threads=False),
        parse_options=pcsv.ParseOptions(
            delimiter="\t",
            quote_char=False,
            double_quote=False,
            ignore_empty_lines=False,
            invalid_row_handler=invalid_row_handler,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
        ),
    )


def _parse_clean(data: bytes) -> pa.Table | None:
    """The file parsed whole when every line is a good row, else None (screen it by line)."""
    if not data or b"\r" in data:
        return None
    bad = []

    def handler(row) -> str:
        bad.append(row)
        return "skip"

    try:
        table = _parse(data, handler)
    except pa.ArrowInvalid:  # not UTF-8, for one
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return None if bad or table.num_rows != lines else table


def _split(path: Path, data: bytes, problems: list[Problem]) -> tuple[pa.Table, np.ndarray]:
    """The file's rows (each 61 fields, as text) and their lines; malformed lines are problems.

    A file with neither carriage returns nor malformed lines is parsed by
    Arrow's CSV reader directly (no quoting, every cell kept as text). Any
    other is screened line by line in bytes (a count of tabs each) to name
    each bad line, and its good lines are then parsed the same way.
    """
    fast = _parse_clean(data)
    if fast is not None:
        return fast, np.arange(1, fast.num_rows + 1, dtype=np.int64)
    name = str(path)
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    pieces = data.split(b"\n")
    if pieces[-1] == b"":  # the newline ending the last row ends no further line
        pieces.pop()
    crlf = b"\r" in data
    good, lines = [], []
    for number, line in enumerate(pieces, start=1):
        if crlf:
            line = line.removesuffix(b"\r")
        tabs = line.count(b"\t")
        if tabs != len(COLUMNS) - 1 or not line:
            text = line.decode("utf-8", errors="replace")
            shown = text if len(text) <= 80 else text[:77] + "..."
            rule = (
                f"has {tabs + 1} tab-separated fields; a GDELT 2.0 export has 61"
                if line
                else "blank line; expected 61 fields"
            )
            problems.append(Problem(name, number, ROW, shown, rule))
            continue
        if not valid:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(name, number, ROW, "", "not valid UTF-8"))
                continue
        good.append(line)
        lines.append(number)
    if not good:
        return _EMPTY, np.array([], dtype=np.int64)
    table = _parse(pa.py_buffer(b"\n".join(good) + b"\n"))
    return table, np.array(lines, dtype=np.int64)


def _check(table: pa.Table, files: np.ndarray, lines: np.ndarray, problems: list[Problem]) -> None:
    """Every cell against its column's rule, a column at a time."""

    def report(column: str, bad: np.ndarray, rule: str) -> None:
        values = table[column]
        for row in np.flatnonzero(bad):
            problems.append(
                Problem(str(files[row]), int(lines[row]), column, values[int(row)].as_py(), rule)
            )

    for column, (pattern, rule, required) in _CHECKS.items():
        values = table[column]
        empty = pc.equal(values, "").to_numpy(zero_copy_only=False)
        ok = pc.match_substring_regex(values, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)
        bad = ~ok & (~empty | required)
        report(column, bad & empty, "a value is required")
        report(column, bad & ~empty, rule)
    # Codes nest: EventCode 0251 has base 025 and root 02.
    code, base, root = (table[c] for c in ("EventCode", "EventBaseCode", "EventRootCode"))
    nested = _starts_with(code, base) & _starts_with(base, root)
    report("EventCode", ~nested, "must begin with its base code, which begins with its root code")
    shaped = pc.match_substring_regex(table["SQLDATE"], "^[0-9]{8}$").to_numpy(zero_copy_only=False)
    not_a_day = _bad_values(
        table["SQLDATE"], lambda v: pd.to_datetime(v, format="%Y%m%d", errors="coerce").isna()
    )
    report("SQLDATE", shaped & not_a_day, "is not a day of the calendar")
    scale = pc.match_substring_regex(table["GoldsteinScale"], f"^{_FLOAT}$")
    off_scale = _bad_values(
        table["GoldsteinScale"], lambda v: ~pd.to_numeric(v, errors="coerce").between(-10, 10)
    )
    report("GoldsteinScale", scale.to_numpy(zero_copy_only=False) & off_scale,
           "must be a number from -10 to 10")  # fmt: skip


def _starts_with(text: pa.ChunkedArray, prefix: pa.ChunkedArray) -> np.ndarray:
    """Row by row, whether ``text`` begins with ``prefix`` (one slice per prefix length)."""
    lengths = pc.utf8_length(prefix).to_numpy(zero_copy_only=False)
    out = np.zeros(len(lengths), dtype=bool)
    for n in np.unique(lengths):
        head = pc.utf8_slice_codeunits(text, 0, int(n))
        same = pc.equal(head, prefix).to_numpy(zero_copy_only=False)
        out |= (lengths == n) & same
    return out


def _bad_values(cells: pa.ChunkedArray, bad) -> np.ndarray:
    """Rows whose value ``bad`` (a test on a Series) flags; each distinct value tested once."""
    distinct = pc.unique(cells)
    flagged = bad(pd.Series(distinct.to_pylist(), dtype=object)).to_numpy(dtype=bool)
    value_set = distinct.filter(pa.array(flagged))
    return pc.is_in(cells, value_set=value_set).to_numpy(zero_copy_only=False)


def _typed_arrow(table: pa.Table) -> pa.Table:
    """The checked cells in their types (empty optional cells missing), with ``day``
    (SQLDATE, a timestamp) and ``added`` (DATEADDED)."""

    def number(column: str, kind: pa.DataType) -> pa.ChunkedArray:
        cells = table[column]
        return pc.cast(pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells), kind)

    for c in _INTEGERS + _COUNTS + _GEO_TYPES:
        table = table.set_column(table.schema.get_field_index(c), c, number(c, pa.int64()))
    for c in _FLOATS:
        table = table.set_column(table.schema.get_field_index(c), c, number(c, pa.float64()))
    day = pc.strptime(table["SQLDATE"].cast(pa.string()), format="%Y%m%d", unit="s")
    added = pc.strptime(table["DATEADDED"], format="%Y%m%d%H%M%S", unit="s")
    return table.append_column("day", day).append_column("added", added)


def _typed(table: pa.Table, names: np.ndarray, lines: np.ndarray) -> pd.DataFrame:
    """The checked cells in their types; empty optional cells missing."""
    table = _typed_arrow(table)
    types = {pa.string(): pd.StringDtype("pyarrow"), pa.int64(): pd.Int64Dtype(),
             pa.float64(): pd.Float64Dtype()}  # fmt: skip
    df = table.to_pandas(types_mapper=types.get)
    for c in ("day", "added"):
        df[c] = df[c].astype("datetime64[s]")
    df["file"] = pd.array(names, dtype=pd.StringDtype("pyarrow"))
    df["line"] = lines.astype(np.int64)
    return df


def keep(
    events: pd.DataFrame,
    actors: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Rows between the listed actor countries, on days from ``since`` to ``until``.

    ``actors`` are CAMEO country codes (ISO 3166 alpha-3: ``RUS``, ``IRN``),
    matched against ``Actor1CountryCode`` and ``Actor2CountryCode`` — never
    against the FIPS ``*Geo_CountryCode`` fields. With two or more codes a row
    is kept when both its actors are listed and differ (an event between two
    of them); with one code, when that country is either actor. Days are the
    event's (SQLDATE), both ends included.
    """
    mask = np.ones(len(events), dtype=bool)
    if actors:
        wanted = list(actors)
        a1 = events["Actor1CountryCode"].isin(wanted).to_numpy(dtype=bool, na_value=False)
        a2 = events["Actor2CountryCode"].isin(wanted).to_numpy(dtype=bool, na_value=False)
        if len(set(wanted)) == 1:
            mask &= a1 | a2
        else:
            same = (events["Actor1CountryCode"] == events["Actor2CountryCode"]).to_numpy(
                dtype=bool, na_value=False
            )
            mask &= a1 & a2 & ~same
    if since is not None:
        mask &= (events["day"] >= pd.Timestamp(since)).to_numpy()
    if until is not None:
        mask &= (events["day"] <= pd.Timestamp(until)).to_numpy()
    return events[mask].reset_index(drop=True)


def read_export(
    paths: Sequence[str | Path],
    *,
    actors: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Export:
    """Read GDELT 2.0 event exports (``.CSV`` or ``.CSV.zip``) from files or directories.

    Parameters
    ----------
    paths : sequence of str or Path
        Export files, or directories holding them (searched one level down;
        other files there are listed in ``Export.ignored``).
    actors : sequence of str, optional
        CAMEO country codes to keep events between (see :func:`keep`).
    since, until : datetime.date, optional
        First and last event day (SQLDATE) to keep.

    Returns
    -------
    Export
        The rows kept, the files read, and the 15-minute slots missing from
        the series the files span.

    Raises
    ------
    DataError
        Naming every malformed row and cell (file, line, column, value, rule)
        and every unusable path at once. Nothing is returned half-read.

    Examples
    --------
    >>> from pathlib import Path
    >>> from research.gdelt import read_export
    >>> x = read_export([Path("tests/fixtures/gdelt")], actors=["RUS", "IRN"])
    >>> x.events["EventCode"].tolist()  # IRN->RUS: codes with their leading zero
    ['056', '056', '051', '056', '056']
    >>> x.missing
    ()
    """
    problems: list[Problem] = []
    files, ignored = export_files(paths, problems)
    tables: list[pa.Table] = [_EMPTY]
    lines: list[np.ndarray] = [np.array([], dtype=np.int64)]
    which: list[np.ndarray] = [np.array([], dtype=np.int64)]
    for i, f in enumerate(files):
        data = _file_bytes(f, problems)
        if data is None:
            continue
        got, at = _split(f, data, problems)
        tables.append(got)
        lines.append(at)
        which.append(np.full(len(at), i, dtype=np.int64))
    table = pa.concat_tables(tables)
    line_of, file_no = np.concatenate(lines), np.concatenate(which)
    paths_of = np.array([str(f) for f in files] + [""], dtype=object)[file_no]
    _check(table, paths_of, line_of, problems)
    if problems:
        raise DataError(sorted(set(problems)))
    names = np.array([f.name for f in files] + [""], dtype=object)[file_no]
    events = keep(_typed(table, names, line_of), actors, since, until)
    missing = missing_slots(slot(f) for f in files)
    return Export(events, tuple(files), tuple(missing), tuple(ignored), table.num_rows)


# --- day-partitioned Parquet ------------------------------------------------------------

#: The partition directory of an event day, ``day=YYYY-MM-DD`` (Hive style).
PARTITION = re.compile(r"day=[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Written:
    """What :func:`write_parquet` read and wrote.

    ``rows`` were read, ``kept`` passed the actor and date filters and were
    written; the dataset at ``path`` now holds ``total`` rows in ``days`` day
    partitions, of which ``touched`` were written by this import.
    """

    path: Path
    files: tuple[Path, ...]
    missing: tuple[datetime, ...]
    ignored: tuple[Path, ...]
    rows: int
    kept: int
    total: int
    days: int
    touched: int

    def summary(self) -> str:
        """What was read and written, in a few lines."""
        return (
            _summary(self.files, self.missing, self.ignored, self.rows, self.kept)
            + f"\n{self.path}: {self.total} rows in {self.days} day partitions "
            f"({self.touched} written by this import)"
        )


def _keep_mask(
    table: pa.Table, actors: Sequence[str] | None, since: date | None, until: date | None
) -> pa.ChunkedArray | None:
    """:func:`keep`'s rule on an Arrow table (``day`` a timestamp); None keeps every row."""
    mask = None

    def both(a, b):
        return b if a is None else pc.and_(a, b)

    if actors:
        wanted = pa.array(list(dict.fromkeys(actors)), type=pa.string())
        a1 = pc.is_in(table["Actor1CountryCode"], value_set=wanted)
        a2 = pc.is_in(table["Actor2CountryCode"], value_set=wanted)
        if len(wanted) == 1:
            mask = pc.or_(a1, a2)
        else:
            differ = pc.not_equal(table["Actor1CountryCode"], table["Actor2CountryCode"])
            mask = pc.and_(pc.and_(a1, a2), differ)
    if since is not None:
        mask = both(
            mask,
            pc.greater_equal(
                table["day"], pa.scalar(datetime(*since.timetuple()[:3]), pa.timestamp("s"))
            ),
        )
    if until is not None:
        mask = both(
            mask,
            pc.less_equal(
                table["day"], pa.scalar(datetime(*until.timetuple()[:3]), pa.timestamp("s"))
            ),
        )
    return mask


def _dataset_days(path: Path, problems: list[Problem]) -> list[str]:
    """The day partitions of an existing dataset; anything else there is a problem."""
    if not path.exists():
        return []
    if not path.is_dir():
        problems.append(Problem(str(path), 0, FILE, path.name, "exists and is not a directory"))
        return []
    days, other = [], []
    for entry in sorted(path.iterdir()):
        (days if entry.is_dir() and PARTITION.fullmatch(entry.name) else other).append(entry.name)
    if other:
        rule = (
            "is not a day-partitioned events dataset (it holds "
            + ", ".join(other[:5])
            + (", ..." if len(other) > 5 else "")
            + "); give a new or empty directory"
        )
        problems.append(Problem(str(path), 0, FILE, str(path), rule))
    return days


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_day(parts: list[pa.Table], folder: Path) -> int:
    """One day's rows, in the order read (old ones first), once per GLOBALEVENTID — the
    last read wins — written as one file in ``folder``."""
    table = pa.concat_tables(parts)
    ids = table["GLOBALEVENTID"].to_numpy()
    _, last = np.unique(ids[::-1], return_index=True)  # first from the end = last read
    if len(last) < len(ids):
        table = table.take(np.sort(len(ids) - 1 - last))
    folder.mkdir()
    pq.write_table(table, folder / "part-0.parquet")
    return table.num_rows


def _replace_dir(built: Path, dest: Path) -> None:
    """Put ``built`` where ``dest`` is: two renames on one file system, the old copy
    removed only once the new one is in place."""
    if not dest.exists():
        os.rename(built, dest)
        return
    old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.replaced-"))
    os.rename(dest, old / "dataset")
    try:
        os.rename(built, dest)
    except OSError:
        os.rename(old / "dataset", dest)  # put the old dataset back
        raise
    finally:
        if dest.exists():
            shutil.rmtree(old, ignore_errors=True)


def write_parquet(
    paths: Sequence[str | Path],
    dest: str | Path,
    *,
    actors: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    batch_rows: int = 500_000,
) -> Written:
    """Import GDELT 2.0 exports into a Parquet dataset partitioned by event day.

    The rows are read, checked and filtered exactly as by :func:`read_export`
    (with ``file`` and ``line`` kept), a batch of about ``batch_rows`` rows at
    a time, so memory stays bounded however many files there are. ``dest``
    gets one directory per event day, ``day=YYYY-MM-DD/`` (the column ``day``
    is the directory's: DuckDB reads it with ``hive_partitioning``, Spark and
    pyarrow likewise), each day's rows once per GLOBALEVENTID in one file.

    An existing dataset at ``dest`` is merged with: its days that this import
    does not touch are kept as they are, and a row it already holds is
    replaced by the row read now (a re-import never duplicates a row). The
    new dataset is built in a temporary directory beside ``dest`` and renamed
    into place only when every file has been read and every row passed: a
    malformed row, a missing file or a failure midway leaves ``dest`` as it
    was and no partial directory behind.

    Raises
    ------
    DataError
        Every malformed row and cell, every unusable path, and a ``dest``
        that is not a day-partitioned events dataset, at once.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from research.gdelt import write_parquet
    >>> out = Path(tempfile.mkdtemp()) / "events"
    >>> w = write_parquet(["tests/fixtures/gdelt"], out, actors=["RUS", "IRN"])
    >>> (w.kept, w.days, sorted(p.name for p in out.iterdir()))
    (5, 1, ['day=2019-10-24'])
    >>> duckdb.sql(f"SELECT count(*), min(day) FROM read_parquet('{out}/*/*.parquet', "
    ...            "hive_partitioning = true)").fetchall()
    [(5, datetime.date(2019, 10, 24))]
    """
    problems: list[Problem] = []
    dest = Path(dest)
    files, ignored = export_files(paths, problems)
    old_days = _dataset_days(dest, problems)
    if problems:
        raise DataError(sorted(set(problems)))
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.importing-"))
    try:
        raw, built = work / "raw", work / "built"
        state = {"rows": 0, "kept": 0, "batch": 0}
        pending: list[tuple[pa.Table, np.ndarray, int]] = []
        staged: dict[int, list[tuple[Path, int]]] = {}  # day (since 1970) -> record batches

        def flush() -> None:
            if not pending:
                return
            table = pa.concat_tables([t for t, _, _ in pending])
            line_of = np.concatenate([at for _, at, _ in pending])
            file_no = np.concatenate([np.full(len(at), i) for _, at, i in pending])
            pending.clear()
            state["rows"] += table.num_rows
            paths_of = np.array([str(f) for f in files], dtype=object)[file_no]
            _check(table, paths_of, line_of, problems)
            if problems:  # keep checking, stop writing: nothing will be kept
                return
            typed = _typed_arrow(table)
            del table
            names = pa.array(np.array([f.name for f in files], dtype=object)[file_no], pa.string())
            typed = typed.append_column("file", names).append_column("line", pa.array(line_of))
            mask = _keep_mask(typed, actors, since, until)
            if mask is not None:
                typed = typed.filter(mask)
            typed = typed.set_column(
                typed.schema.get_field_index("day"), "day", pc.cast(typed["day"], pa.date32())
            )
            state["kept"] += typed.num_rows
            if not typed.num_rows:
                return
            # Staged sorted by day (stable: read order kept), one record batch per day, so
            # that each day is gathered from every batch without reading the others.
            typed = typed.take(pc.sort_indices(typed, [("day", "ascending")])).combine_chunks()
            day_no = typed["day"].cast(pa.int32()).to_numpy()
            cuts = np.r_[0, np.flatnonzero(np.diff(day_no)) + 1, len(day_no)]
            raw.mkdir(exist_ok=True)
            path = raw / f"batch{state['batch']:06d}.arrow"
            options = pa.ipc.IpcWriteOptions(compression="lz4")
            with pa.ipc.new_file(path, typed.schema, options=options) as writer:
                for k, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
                    (batch,) = typed.slice(int(lo), int(hi - lo)).to_batches()
                    writer.write_batch(batch)
                    staged.setdefault(int(day_no[lo]), []).append((path, k))
            state["batch"] += 1

        held = 0
        for i, f in enumerate(files):
            data = _file_bytes(f, problems)
            if data is None:
                continue
            got, at = _split(f, data, problems)
            del data
            pending.append((got, at, i))
            held += got.num_rows
            if held >= batch_rows:
                flush()
                held = 0
        flush()
        if problems:
            raise DataError(sorted(set(problems)))
        built.mkdir()
        new_days = {f"day={np.datetime64(d, 'D')}": d for d in staged}
        total = 0
        for day in old_days:
            if day not in new_days:  # untouched: the same files, linked rather than copied
                (built / day).mkdir()
                for f in sorted((dest / day).glob("*.parquet")):
                    _link_or_copy(f, built / day / f.name)
                    total += pq.ParquetFile(f).metadata.num_rows
        readers: dict[Path, pa.ipc.RecordBatchFileReader] = {}
        for day, number in sorted(new_days.items()):
            parts = []
            for path, k in staged[number]:
                if path not in readers:
                    # read, not mapped: mapped pages would stay resident (and counted)
                    readers[path] = pa.ipc.open_file(pa.OSFile(str(path)))
                parts.append(
                    pa.Table.from_batches([readers[path].get_batch(k)]).drop_columns("day")
                )
            if day in old_days:
                for f in sorted((dest / day).glob("*.parquet")):
                    old = pq.ParquetFile(f).read()
                    try:
                        parts.insert(0, old.select(parts[-1].column_names).cast(parts[-1].schema))
                    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                        rule = f"its columns differ from this import's ({e})"
                        raise DataError([Problem(str(f), 0, FILE, f.name, rule)]) from None
            total += _write_day(parts, built / day)
        readers.clear()
        _replace_dir(built, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    missing = missing_slots(slot(f) for f in files)
    return Written(
        dest, tuple(files), tuple(missing), tuple(ignored), state["rows"], state["kept"],
        total, len(set(old_days) | set(new_days)), len(new_days),
    )  # fmt: skip
