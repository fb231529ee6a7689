"""Load the curated tables and validate them against the schema.

Every problem found in a data directory is collected, then raised at once as a
:class:`DataError` with one line per problem::

    positions.csv:14: stance: '3': must be between -2 and 2

Nothing is dropped, filled or coerced silently: a table either loads whole,
with real dtypes, or the load fails and names every cell that stopped it.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from research.schema import TABLE_ORDER, Field, Table, default_data_dir, schema

BOM = "\ufeff"
ROW = "(row)"  # the column named for problems that concern a whole row
FILE = "(file)"  # ... and for problems that concern a whole file


class DataError(ValueError):
    """Bad data: ``problems`` holds one ``file:line: column: value: rule`` per entry."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data:"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule, located to a file, line and column."""

    file: str
    line: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.value!r}: {self.rule}"


@dataclass(frozen=True)
class Tables:
    """The five curated tables, each a pandas DataFrame with schema dtypes."""

    sources: pd.DataFrame
    actors: pd.DataFrame
    issues: pd.DataFrame
    positions: pd.DataFrame
    events: pd.DataFrame
    data_dir: Path
    fingerprint: str

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for name in TABLE_ORDER:
            yield name, getattr(self, name)

    @classmethod
    def from_frames(cls, data_dir: str | Path = "<memory>", **frames: pd.DataFrame) -> Tables:
        """Build tables from DataFrames, casting each column to its schema dtype.

        Missing optional columns are added empty; ``sources``, ``actors`` and
        ``issues`` may be omitted when ids alone are enough (they are then
        built from the ids the other tables use). Cross-table rules are not
        checked: this is for synthetic and imported data that the caller
        vouches for. Unknown tables or columns raise ValueError.
        """
        unknown = set(frames) - set(TABLE_ORDER)
        if unknown:
            raise ValueError(f"unknown tables: {sorted(unknown)}")
        if "actors" not in frames:
            ids = pd.concat([frames[t]["actor_id"] for t in ("positions", "events") if t in frames])
            frames["actors"] = pd.DataFrame({"actor_id": pd.unique(ids)})
        if "issues" not in frames:
            ids = pd.concat([frames[t]["issue_id"] for t in ("positions", "events") if t in frames])
            frames["issues"] = pd.DataFrame({"issue_id": pd.unique(ids)})
        out = {}
        for table in schema().tables:
            df = frames.get(table.name, pd.DataFrame(columns=[table.primary_key]))
            extra = set(df.columns) - set(table.columns)
            if extra:
                raise ValueError(f"{table.name}: unknown columns {sorted(extra)}")
            cols = {}
            for f in table.fields:
                if f.name in df.columns:
                    cols[f.name] = df[f.name].astype(f.dtype)
                else:
                    cols[f.name] = pd.Series(None, index=df.index, dtype=f.dtype)
            out[table.name] = pd.DataFrame(cols, index=df.index).reset_index(drop=True)
        return cls(**out, data_dir=Path(data_dir), fingerprint="")

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(df) for name, df in self}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Tables({counts}, data_dir={str(self.data_dir)!r})"


# --- reading -----------------------------------------------------------------


@dataclass
class _Raw:
    """A CSV file read as text: header and rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def _decode(data: bytes) -> str:
    """Decode UTF-8, accepting a BOM.

    Undecodable bytes are kept as lone surrogates so that the cell holding them
    can be reported by line and column instead of failing the whole file.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    return text.removeprefix(BOM)


_BAD_BYTE = re.compile("[\udc80-\udcff]")


def _shown(value: str) -> str:
    """A cell as it is shown in a message: undecodable bytes as \\xNN."""
    return _BAD_BYTE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", value)


def _read_csv(path: Path, problems: list[Problem]) -> _Raw | None:
    name = path.name
    if not path.exists():
        problems.append(Problem(name, 0, FILE, str(path), "file is missing"))
        return None
    text = _decode(path.read_bytes())
    if not text.strip():
        problems.append(Problem(name, 1, FILE, "", "file is empty: expected a header row"))
        return None
    # newline="" semantics: the csv module handles CRLF and LF itself.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    line = 1
    try:
        for record in reader:
            if header is None:
                if not record:
                    problems.append(Problem(name, 1, FILE, "", "the first line must be the header"))
                    return None
                header = record
            elif record:  # a wholly blank line is not a record
                rows.append((line, record))
            line = reader.line_num + 1
    except csv.Error as e:
        # `line` is where the broken record starts, not where the reader gave up.
        problems.append(Problem(name, line, ROW, "", f"malformed CSV: {e}"))
        return None
    assert header is not None
    return _Raw(header=header, rows=rows)


# --- checking one table --------------------------------------------------------


def _check_header(table: Table, raw: _Raw, problems: list[Problem]) -> bool:
    """Report missing, extra, duplicated or misordered columns; True when usable."""
    name, expected, got = table.path, list(table.columns), [_shown(c) for c in raw.header]
    ok = True
    for col in sorted({c for c in got if got.count(c) > 1}):
        problems.append(Problem(name, 1, col, col, "column appears more than once"))
        ok = False
    for col in expected:
        if col not in got:
            problems.append(Problem(name, 1, col, "", "required column is missing"))
            ok = False
    for col in got:
        if col not in expected:
            hint = _suggest(col, expected)
            problems.append(Problem(name, 1, col, col, "unknown column" + hint))
            ok = False
    if ok and got != expected:
        problems.append(
            Problem(
                name, 1, ROW, ",".join(got), "columns out of order; expected " + ",".join(expected)
            )
        )
        ok = False
    return ok


def _suggest(value: str, candidates: object) -> str:
    close = difflib.get_close_matches(value, list(candidates), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_cell(f: Field, value: str) -> tuple[object, str | None]:
    """Return (typed value, None) or (None, the rule the value breaks)."""
    if _BAD_BYTE.search(value):
        return None, "not valid UTF-8 (the file must be saved as UTF-8)"
    if value == "":
        return (None, "a value is required") if f.required else (None, None)
    if f.type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return None, "must be a whole number"
        typed: object = int(value)
    elif f.type == "date":
        if not _DATE.fullmatch(value):
            return None, "must be a date written YYYY-MM-DD"
        try:
            typed = date.fromisoformat(value)
        except ValueError as e:
            return None, f"not a real date ({e})"
    elif f.type == "boolean":
        if value in f.true_values:
            typed = True
        elif value in f.false_values:
            typed = False
        else:
            allowed = ", ".join(f.true_values + f.false_values)
            return None, f"must be one of: {allowed}"
    else:
        typed = value
        if value != value.strip():
            return None, "has leading or trailing spaces"
    if f.enum is not None and value not in f.enum:
        return None, "must be one of: " + ", ".join(f.enum) + _suggest(value, f.enum)
    if f.pattern is not None and not re.fullmatch(f.pattern, value, flags=re.ASCII):
        return None, f"must match the pattern {f.pattern}"
    if f.minimum is not None and f.maximum is not None and not (f.minimum <= typed <= f.maximum):
        return None, f"must be between {f.minimum} and {f.maximum}"
    if f.max_length is not None and len(value) > f.max_length:
        return None, f"longer than {f.max_length} characters"
    if f.format == "uri" and not re.fullmatch(r"https?://[^\s]+", value):
        return None, "must be an http(s) URL"
    return typed, None


@dataclass
class _Parsed:
    """A table's typed columns plus the line of each row, for later messages."""

    table: Table
    lines: list[int]
    columns: dict[str, list[object]]
    raw: dict[str, list[str]]


def _check_table(table: Table, raw: _Raw, problems: list[Problem]) -> _Parsed:
    name, width = table.path, len(table.columns)
    lines: list[int] = []
    columns: dict[str, list[object]] = {c: [] for c in table.columns}
    raw_cells: dict[str, list[str]] = {c: [] for c in table.columns}
    seen: dict[str, dict[object, int]] = {f.name: {} for f in table.fields if f.unique}
    for line, record in raw.rows:
        if len(record) != width:
            shown = _shown(",".join(record))
            problems.append(
                Problem(name, line, ROW, shown, f"has {len(record)} fields; the header has {width}")
            )
            continue
        lines.append(line)
        for f, value in zip(table.fields, record, strict=True):
            typed, rule = _parse_cell(f, value)
            if rule:
                problems.append(Problem(name, line, f.name, _shown(value), rule))
            if f.unique and value:
                first = seen[f.name].setdefault(value, line)
                if first != line:
                    problems.append(
                        Problem(
                            name, line, f.name, value, f"duplicate id; first used on line {first}"
                        )
                    )
            columns[f.name].append(typed)
            raw_cells[f.name].append(value)
    return _Parsed(table, lines, columns, raw_cells)


# --- checking across tables ------------------------------------------------------


def _check_references(parsed: dict[str, _Parsed], problems: list[Problem]) -> None:
    for p in parsed.values():
        for fk in p.table.foreign_keys:
            if fk.table not in parsed:
                continue
            # Ids that failed their own checks are already reported; skip them here.
            known = {v for v in parsed[fk.table].columns[fk.target] if v is not None}
            for line, value in zip(p.lines, p.columns[fk.column], strict=True):
                if value is not None and value not in known:
                    rule = f"unknown {fk.table[:-1]} id" + _suggest(value, known)
                    problems.append(Problem(p.table.path, line, fk.column, value, rule))


def _precision_bounds(start: date, end: date, precision: str) -> str | None:
    """Check that start/end are the bounds of the period the precision names."""
    whole_months = start.day == 1 and (end + pd.Timedelta(days=1)).day == 1
    span = (end.year - start.year) * 12 + end.month - start.month  # in months
    if precision == "month" and not (whole_months and span == 0):
        return "a month-precision date must run from the first to the last day of one month"
    if precision == "season" and not (whole_months and span == 2 and start.month % 3 == 0):
        return "a season-precision date must span three whole months from Mar, Jun, Sep or Dec"
    if precision == "year" and (
        start.year != end.year
        or (start.month, start.day) != (1, 1)
        or (end.month, end.day) != (12, 31)
    ):
        return "a year-precision date must run from 1 January to 31 December of one year"
    return None


_PERIOD_START = {
    "month": lambda d: d.day == 1,
    "season": lambda d: d.day == 1 and d.month in (3, 6, 9, 12),
    "year": lambda d: (d.month, d.day) == (1, 1),
}


def _check_rows(parsed: dict[str, _Parsed], problems: list[Problem]) -> None:
    """Rules that involve more than one cell of a row."""
    if "events" in parsed:
        e = parsed["events"]
        c = e.columns
        for i, line in enumerate(e.lines):
            start, end, precision = c["start"][i], c["end"][i], c["precision"][i]
            if e.raw["start"][i] == "" and precision not in (None, "range"):
                problems.append(
                    Problem(
                        "events.csv",
                        line,
                        "start",
                        "",
                        "may be empty only when precision is 'range'",
                    )
                )
            if start is not None and end is not None:
                if start > end:
                    problems.append(
                        Problem(
                            "events.csv",
                            line,
                            "end",
                            end.isoformat(),
                            f"is before start {start.isoformat()}",
                        )
                    )
                elif precision in ("month", "season", "year"):
                    rule = _precision_bounds(start, end, precision)
                    if rule:
                        problems.append(Problem("events.csv", line, "precision", precision, rule))
    if "positions" in parsed:
        p = parsed["positions"]
        c = p.columns
        for i, line in enumerate(p.lines):
            ws, we = c["window_start"][i], c["window_end"][i]
            if ws is not None and we is not None and ws > we:
                problems.append(
                    Problem(
                        "positions.csv",
                        line,
                        "window_end",
                        we.isoformat(),
                        f"is before window_start {ws.isoformat()}",
                    )
                )
            said, precision = c["said"][i], c["said_precision"][i]
            if (
                said is not None
                and precision in _PERIOD_START
                and not _PERIOD_START[precision](said)
            ):
                problems.append(
                    Problem(
                        "positions.csv",
                        line,
                        "said",
                        said.isoformat(),
                        f"with precision '{precision}' must be the first day of that {precision}",
                    )
                )
            if c["quote"][i] and not c["source_id"][i]:
                problems.append(
                    Problem(
                        "positions.csv", line, "quote", c["quote"][i], "a quote needs a source_id"
                    )
                )


def _check_speaks_for(parsed: dict[str, _Parsed], problems: list[Problem]) -> None:
    """The speaks-for chain must end; report each cycle once, at its first row."""
    if "actors" not in parsed:
        return
    a = parsed["actors"]
    parent = dict(zip(a.columns["actor_id"], a.columns["speaks_for"], strict=True))
    line_of = dict(zip(a.columns["actor_id"], a.lines, strict=True))
    reported: set[str] = set()
    for start in parent:
        path, node = [], start
        while node is not None and node in parent and node not in path:
            path.append(node)
            node = parent[node]
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            if not reported.intersection(cycle):
                reported.update(cycle)
                first = min(cycle, key=lambda n: line_of[n])
                chain = " -> ".join([*cycle, cycle[0]])
                problems.append(
                    Problem(
                        "actors.csv",
                        line_of[first],
                        "speaks_for",
                        parent[first],
                        f"speaks-for chain is a cycle: {chain}",
                    )
                )


# --- building frames ---------------------------------------------------------------


def _frame(p: _Parsed) -> pd.DataFrame:
    data = {}
    for f in p.table.fields:
        values = p.columns[f.name]
        if f.type == "date":
            data[f.name] = pd.Series(
                pd.to_datetime([v if v is not None else None for v in values]), dtype=f.dtype
            )
        else:
            data[f.name] = pd.Series(values, dtype=f.dtype)
    df = pd.DataFrame(data)
    df.attrs["lines"] = p.lines
    return df


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the bytes of the data package and every table file."""
    h = hashlib.sha256()
    for name in ("datapackage.json", *(schema()[t].path for t in TABLE_ORDER)):
        path = Path(data_dir) / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()


def _parse_all(data_dir: Path) -> tuple[dict[str, _Parsed], list[Problem]]:
    problems: list[Problem] = []
    parsed: dict[str, _Parsed] = {}
    for table in schema().tables:
        raw = _read_csv(data_dir / table.path, problems)
        if raw is None or not _check_header(table, raw, problems):
            continue
        parsed[table.name] = _check_table(table, raw, problems)
    _check_references(parsed, problems)
    _check_rows(parsed, problems)
    _check_speaks_for(parsed, problems)
    return parsed, problems


def validate(data_dir: str | Path | None = None) -> list[Problem]:
    """Return every problem in a data directory (an empty list when it is clean)."""
    _, problems = _parse_all(Path(data_dir) if data_dir is not None else default_data_dir())
    return sorted(set(problems), key=_problem_order)


def _problem_order(p: Problem) -> tuple:
    order = {schema()[t].path: i for i, t in enumerate(TABLE_ORDER)}
    return (order.get(p.file, len(order)), p.line, p.column, p.rule)


def load(data_dir: str | Path | None = None) -> Tables:
    """Load and validate the curated tables.

    Parameters
    ----------
    data_dir : str or Path, optional
        Directory holding the five CSV files. Defaults to the bundled ``data/``
        (or ``$RESEARCH_DATA_DIR``).

    Returns
    -------
    Tables
        One DataFrame per table with real dtypes: dates as ``datetime64``,
        enumerations as categoricals, stances as nullable integers.

    Raises
    ------
    DataError
        Listing every problem at once, one ``file:line: column: value: rule``
        per line.

    Examples
    --------
    >>> import research
    >>> t = research.load()
    >>> t.positions.stance.dtype
    Int8Dtype()
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if not root.is_dir():
        raise DataError([Problem(str(root), 0, FILE, str(root), "data directory not found")])
    parsed, problems = _parse_all(root)
    if problems:
        raise DataError(sorted(set(problems), key=_problem_order))
    frames = {name: _frame(parsed[name]) for name in TABLE_ORDER}
    return Tables(**frames, data_dir=root, fingerprint=fingerprint(root))
