"""Read GDELT 2.0 event exports exactly as GDELT publishes them.

GDELT writes one export every 15 minutes, ``YYYYMMDDHHMMSS.export.CSV.zip``:
tab-separated, no header, 61 columns, no quoting. This module reads such files
(zipped or not) from a directory the user downloaded — it never reaches the
network — and

* keeps event codes as strings (``0251`` is not ``251``);
* checks every row and raises :class:`~research.problems.DataError` naming
  file, line, column, value and rule for every malformed row at once;
* reports the 15-minute exports missing between the first and the last file
  given, instead of skipping them silently.

Only the standard library, NumPy, pandas and pyarrow are used: this is the
sources layer, below every engine and analysis.
"""

from __future__ import annotations

import io
import re
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
        lines = [
            f"{len(self.files)} export file{'s' if len(self.files) != 1 else ''}, "
            f"{self.rows} rows read, {len(self.events)} kept"
        ]
        if self.files:
            first, last = slot(self.files[0]), slot(self.files[-1])
            lines.append(f"series {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
        if self.missing:
            lines.append(
                f"{len(self.missing)} 15-minute export{'s' if len(self.missing) != 1 else ''} "
                "missing from the series: " + ", ".join(f"{m:%Y%m%d%H%M%S}" for m in self.missing)
            )
        else:
            lines.append("no gaps in the 15-minute series")
        if self.ignored:
            lines.append(f"{len(self.ignored)} other files ignored (not event exports)")
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


def _split(path: Path, data: bytes, problems: list[Problem]) -> tuple[pa.Table, np.ndarray]:
    """The file's rows (each 61 fields, as text) and their lines; malformed lines are problems.

    Lines are screened in bytes (a count of tabs each); the good ones are then
    parsed by Arrow's CSV reader, with no quoting, every cell kept as text.
    """
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
    table = pcsv.read_csv(
        pa.py_buffer(b"\n".join(good) + b"\n"),
        read_options=pcsv.ReadOptions(column_names=list(COLUMNS), use_threads=False),
        parse_options=pcsv.ParseOptions(
            delimiter="\t", quote_char=False, double_quote=False, ignore_empty_lines=False
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
        ),
    )
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
    code, base, root = (
        table[c].to_pylist() for c in ("EventCode", "EventBaseCode", "EventRootCode")
    )
    nested = np.array(
        [c.startswith(b) and b.startswith(r) for c, b, r in zip(code, base, root, strict=True)],
        dtype=bool,
    )
    report("EventCode", ~nested, "must begin with its base code, which begins with its root code")
    days = pd.to_datetime(pd.Series(table["SQLDATE"].to_pylist()), format="%Y%m%d", errors="coerce")
    shaped = pc.match_substring_regex(table["SQLDATE"], "^[0-9]{8}$").to_numpy(zero_copy_only=False)
    report("SQLDATE", shaped & days.isna().to_numpy(), "is not a day of the calendar")
    scale = pc.match_substring_regex(table["GoldsteinScale"], f"^{_FLOAT}$")
    goldstein = pd.to_numeric(pd.Series(table["GoldsteinScale"].to_pylist()), errors="coerce")
    out = scale.to_numpy(zero_copy_only=False) & ~goldstein.between(-10, 10).to_numpy()
    report("GoldsteinScale", out, "must be a number from -10 to 10")


def _typed(table: pa.Table, names: np.ndarray, lines: np.ndarray) -> pd.DataFrame:
    """The checked cells in their types; empty optional cells missing."""

    def number(column: str, kind: pa.DataType) -> pa.ChunkedArray:
        cells = table[column]
        return pc.cast(pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells), kind)

    for c in _INTEGERS + _COUNTS + _GEO_TYPES:
        table = table.set_column(table.schema.get_field_index(c), c, number(c, pa.int64()))
    for c in _FLOATS:
        table = table.set_column(table.schema.get_field_index(c), c, number(c, pa.float64()))
    day = pc.strptime(table["SQLDATE"].cast(pa.string()), format="%Y%m%d", unit="s")
    added = pc.strptime(table["DATEADDED"], format="%Y%m%d%H%M%S", unit="s")
    table = table.append_column("day", day).append_column("added", added)
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
