"""Load the curated tables and validate them against the schema.

Every problem found in a data directory is collected, then raised at once as a
:class:`DataError` with one line per problem::

    positions.csv:14: stance: '3': must be between -2 and 2

Nothing is dropped, filled or coerced silently: a table either loads whole,
with real dtypes, or the load fails and names every cell that stopped it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pandas.api.extensions import ExtensionArray

from research.columnar import (
    WHITESPACE,
    arrow_strings,
    filled,
    member,
    positions,
    re2_class,
    repeated,
    to_numpy,
)
from research.problems import FILE, ROW, DataError, Problem, suggest
from research.rules import Parsed, check_rules
from research.schema import (
    MODEL_VERSION,
    TABLE_ORDER,
    Field,
    Table,
    bundled_rules,
    default_data_dir,
    parse_package,
    rules,
    schema,
)

BOM = "\ufeff"


@dataclass(frozen=True)
class Tables:
    """The curated tables, each a pandas DataFrame with schema dtypes.

    ``positions`` and ``events`` also carry columns derived from the others
    (their dates as days, their status from their citations): see
    :mod:`research.derive`.
    """

    cases: pd.DataFrame
    sources: pd.DataFrame
    actors: pd.DataFrame
    roles: pd.DataFrame
    issues: pd.DataFrame
    positions: pd.DataFrame
    events: pd.DataFrame
    event_issues: pd.DataFrame
    citations: pd.DataFrame
    code_issues: pd.DataFrame
    data_dir: Path
    fingerprint: str
    #: Per table, the line in its file of each row (for messages about a row), as
    #: an integer array: millions of rows cost 8 bytes each, not a Python int each.
    lines: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    #: References resolved to rows, by (table, column): see :meth:`rows_of`.
    _rows: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for name in TABLE_ORDER:
            yield name, getattr(self, name)

    @classmethod
    def from_frames(cls, data_dir: str | Path = "<memory>", **frames: pd.DataFrame) -> Tables:
        """Build tables from DataFrames, through the same checks as :func:`load`.

        Every value is read as the text a CSV file would hold and checked,
        across rows and across tables exactly as ``research validate`` checks
        a data directory; a problem raises :class:`DataError` naming the
        table, the row (as the line it would have under a header) and the
        column. Optional columns may be left out; an omitted table is empty.
        Unknown tables raise ValueError.

        The checks run a column at a time: Arrow-backed string columns are
        read as they are, without a Python string per cell, and the tables
        share their buffers.
        """
        unknown = set(frames) - set(TABLE_ORDER)
        if unknown:
            raise ValueError(f"unknown tables: {sorted(unknown)}")
        raws = {}
        for table in schema().tables:
            df = frames.get(table.name)
            raws[table.name] = (
                _Raw(header=list(table.columns), rows=[]) if df is None else _frame_raw(table, df)
            )
        parsed, problems, rows = _check_all(raws, label=lambda t: f"{t} (frame)")
        if problems:
            raise DataError(sorted(set(problems), key=_problem_order))
        return _tables(parsed, rows, Path(data_dir), "")

    def rows_of(self, table: str, column: str) -> np.ndarray:
        """For each row of ``table``, the row in the table its ``column`` refers to.

        Integer positions (-1 where the cell is empty), e.g. the event of each
        row of ``event_issues``: an analysis joins on them instead of on ids.
        References the loader checked come resolved from that check; others,
        and any whose frames have since been replaced, are looked up again.

        Examples
        --------
        >>> import research
        >>> t = research.load()
        >>> rows = t.rows_of("event_issues", "event_id")
        >>> bool((t.events["event_id"].to_numpy()[rows] == t.event_issues["event_id"]).all())
        True
        """
        fk = next((k for k in schema()[table].foreign_keys if k.column == column), None)
        if fk is None:
            raise ValueError(f"{table}.{column} refers to no table")
        source, target = getattr(self, table), getattr(self, fk.table)
        cached = self._rows.get((table, column))
        if cached is not None and cached[0] is source and cached[1] is target:
            return cached[2]
        found = np.asarray(positions(source[column], target[fk.target]))
        self._rows[(table, column)] = (source, target, found)
        return found

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(df) for name, df in self}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Tables({counts}, data_dir={str(self.data_dir)!r})"


def _frame_raw(table: Table, df: pd.DataFrame) -> _Raw:
    """A frame as a table read: its columns in schema order, then any others.

    Optional columns the frame leaves out are added, empty. A frame has no
    column order, so none is required of it.
    """
    rank = {c: i for i, c in enumerate(table.columns)}
    order = sorted(range(df.shape[1]), key=lambda i: (rank.get(df.columns[i], len(rank)), i))
    header = [df.columns[i] for i in order]
    columns = [df.iloc[:, i] for i in order]
    for f in table.fields:
        if f.name not in header and not f.required:
            header.append(f.name)
            columns.append(None)  # every cell empty
    return _Raw(header=header, columns=columns, size=len(df), reorder=True)


def _as_text(values: pd.Series) -> list[str]:
    """A column as the text a CSV file would hold: '' for missing, true/false, ISO days.

    Used on the distinct values of a column (see :func:`_text`), or on the
    cells of a column of mixed Python objects.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype(object).where(values.notna(), "").tolist()
    out = []
    for v in values.astype(object).tolist():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            out.append("")
        elif isinstance(v, bool | np.bool_):
            out.append("true" if v else "false")
        elif isinstance(v, float | np.floating) and float(v).is_integer():
            out.append(str(int(v)))
        elif isinstance(v, pd.Timestamp | date):
            out.append(v.strftime("%Y-%m-%d"))
        else:
            out.append(str(v))
    return out


# --- reading -----------------------------------------------------------------


@dataclass
class _Raw:
    """A table as read: its header, then its cells as CSV records or as frame columns.

    ``rows``: a CSV file's records, each with the line it starts on.
    ``columns``: a frame's columns, one per header name (None: every cell
    empty), and ``size`` rows. ``reorder``: the columns may come in any order
    (frames have no order).
    """

    header: list[str]
    rows: list[tuple[int, list[str]]] | None = None
    columns: list[pd.Series | None] | None = None
    size: int = 0
    reorder: bool = False


def _decode(data: bytes) -> str:
    """Decode UTF-8, accepting a BOM.

    Undecodable bytes are kept as lone surrogates so that the cell holding them
    can be reported by line and column instead of failing the whole file.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    return text.removeprefix(BOM)


_BAD_BYTE = re.compile("[\udc80-\udcff]")
# NUL and the other C0 controls and DEL; tab, line feed and carriage return
# may stand inside a quoted cell.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # the same class, as RE2 reads it


def _shown(value: str) -> str:
    """A cell as it is shown in a message: undecodable bytes as \\xNN, controls as \\uNNNN."""
    value = _BAD_BYTE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", value)
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _too_long(text: str, line: int, header: list[str] | None) -> tuple[str, str]:
    """Column and rule for a record whose field passes the CSV reader's limit."""
    limit = csv.field_size_limit()
    rest = "".join(text.splitlines(keepends=True)[line - 1 :])
    old = csv.field_size_limit(2**31 - 1)
    try:
        record = next(csv.reader(io.StringIO(rest, newline="")), [])
    except csv.Error:
        record = []
    finally:
        csv.field_size_limit(old)
    if not record:
        return ROW, f"a field is longer than the CSV reader's limit of {limit:,} characters"
    i = max(range(len(record)), key=lambda k: len(record[k]))
    column = header[i] if header and i < len(header) else ROW
    return column, (
        f"is {len(record[i]):,} characters long; the CSV reader's limit is {limit:,} characters"
    )


#: Files at least this large are read a column at a time by Arrow's CSV reader when
#: it reads them exactly as the csv module would (:func:`_read_plain`). Smaller ones,
#: and any file Arrow could read otherwise, go through the csv module record by record.
ARROW_MIN_BYTES = 1 << 20


def _read_csv(path: Path, problems: list[Problem]) -> _Raw | None:
    name = path.name
    if not path.exists():
        problems.append(Problem(name, 0, FILE, str(path), "file is missing"))
        return None
    data = path.read_bytes()
    if len(data) >= ARROW_MIN_BYTES:
        raw = _read_plain(data)
        if raw is not None:
            return raw
    text = _decode(data)
    del data
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
        if "field larger than field limit" in str(e):
            column, rule = _too_long(text, line, header)
            problems.append(Problem(name, line, column, "", rule))
        else:
            problems.append(Problem(name, line, ROW, "", f"malformed CSV: {e}"))
        return None
    assert header is not None
    return _Raw(header=header, rows=rows)


# A line that holds a double quote: only there can Arrow's reader and the csv module
# part ways (a quote closed before the cell ends, a quoted line break).
_QUOTED_LINE = re.compile(rb"(?m)^[^\n\"]*\"[^\n]*")


def _read_plain(data: bytes) -> _Raw | None:
    """A CSV file's cells as Arrow string columns, or None to read it record by record.

    Arrow reads millions of rows without a Python string per cell. Its result
    is used only where it is provably what the csv module reads: valid UTF-8,
    one record per line (no blank line, no line break inside a cell), line
    ends ``\n`` or ``\r\n``, a plain header, every field within the csv
    module's size limit — and every line holding a double quote read again
    by the csv module and found equal. Anything else (and every malformed
    file) returns None, and the csv module reads the file and reports it.
    """
    body = data.removeprefix(BOM.encode())
    if not body or body[:1] in b"\r\n" or b"\n\n" in body or b"\n\r\n" in body:
        return None  # a blank line: the csv module numbers lines around it
    if body.count(b"\r") != body.count(b"\r\n"):
        return None  # a lone carriage return ends a line for the csv module only
    head_end = body.find(b"\n")
    head = body[: len(body) if head_end < 0 else head_end].removesuffix(b"\r")
    if b'"' in head:
        return None
    try:
        header = head.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if len(set(header)) != len(header) or lines < 2:
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # a malformed record, or bytes that are not UTF-8
    if table.num_rows != lines - 1:
        return None
    limit = csv.field_size_limit()
    for col in table.columns:
        longest = pc.max(pc.utf8_length(col)).as_py() if len(col) else 0
        if longest is not None and longest > limit:
            return None  # the csv module refuses such a field: let it say so
    if not _quoted_lines_agree(body, table):
        return None
    string = pd.StringDtype("pyarrow")
    columns = [pd.Series(pd.array(col, dtype=string)) for col in table.columns]
    return _Raw(header=header, columns=columns, size=table.num_rows)


def _quoted_lines_agree(body: bytes, table: pa.Table) -> bool:
    """True when the csv module reads every line holding a quote as Arrow did."""
    if b'"' not in body:
        return True
    rows, texts, at, line = [], [], 0, 0
    for m in _QUOTED_LINE.finditer(body):
        line += body.count(b"\n", at, m.start())
        at = m.start()
        if line == 0:
            return False  # the header: plain by now, but never guess
        rows.append(line - 1)
        texts.append(m.group().removesuffix(b"\r").decode("utf-8"))
    if not rows:
        return True
    try:
        records = list(csv.reader(texts, strict=True))
    except csv.Error:
        return False
    if len(records) != len(rows):
        return False
    found = table.take(pa.array(rows)).to_pylist()
    return all(rec == list(row.values()) for rec, row in zip(records, found, strict=True))


# --- checking the header, and one cell ---------------------------------------------


def _check_header(table: Table, raw: _Raw, name: str, problems: list[Problem]) -> bool:
    """Report missing, extra, duplicated or misordered columns; True when usable."""
    expected, got = list(table.columns), [_shown(c) for c in raw.header]
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
            hint = suggest(col, expected)
            problems.append(Problem(name, 1, col, col, "unknown column" + hint))
            ok = False
    if ok and got != expected and not raw.reorder:
        problems.append(
            Problem(
                name, 1, ROW, ",".join(got), "columns out of order; expected " + ",".join(expected)
            )
        )
        ok = False
    return ok


def _control_rule() -> str:
    return next(r.text for r in rules() if r.kind == "no_control_characters")


def _parse_cell(f: Field, value: str) -> tuple[object, str | None]:
    """Return (typed value, None) or (None, the rule the value breaks)."""
    if _BAD_BYTE.search(value):
        return None, "not valid UTF-8 (the file must be saved as UTF-8)"
    bad = _CONTROL.search(value)
    if bad:
        return None, f"{_control_rule()}: U+{ord(bad.group()):04X} at character {bad.start() + 1}"
    if value == "":
        return (None, "a value is required") if f.required else (None, None)
    if f.type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return None, "must be a whole number"
        typed: object = int(value)
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
        return None, "must be one of: " + ", ".join(f.enum) + suggest(value, f.enum)
    if f.pattern is not None and not re.fullmatch(f.pattern, value, flags=re.ASCII):
        return None, f"must match the pattern {f.pattern}"
    if f.minimum is not None and f.maximum is not None and not (f.minimum <= typed <= f.maximum):
        return None, f"must be between {f.minimum} and {f.maximum}"
    if f.max_length is not None and len(value) > f.max_length:
        return None, f"longer than {f.max_length} characters"
    if f.format == "uri" and not re.fullmatch(r"https?://[^\s]+", value):
        return None, "must be an http(s) URL"
    return typed, None


# --- a column as text -----------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A column as the text a CSV file holds, in one of two forms.

    * ``cells``: each row's text, as a frame's Arrow-backed strings hold it
      (missing or '' is an empty cell); or
    * ``distinct`` and ``codes``: the distinct texts, none of them empty, and
      for each row the position of its text among them (-1: an empty cell).
      CSV columns come so, and a frame's columns of any other dtype, each
      distinct value written out once.
    """

    cells: pd.Series | None = None
    distinct: list[str] | None = None
    codes: np.ndarray | None = None

    @cached_property
    def empty(self) -> np.ndarray:
        """Which rows are empty."""
        if self.codes is not None:
            return self.codes < 0
        return to_numpy(pc.equal(arrow_strings(self.cells), ""), null=True)

    def value(self, row: int) -> str:
        """The text of one row."""
        if self.codes is None:
            return self.cells.iloc[row]
        return self.distinct[self.codes[row]]

    def keys(self) -> pa.Array | pa.ChunkedArray:
        """Per row, an Arrow value equal for rows of equal text (missing when empty)."""
        if self.codes is None:
            return arrow_strings(self.cells)
        return pa.array(self.codes, mask=self.empty)


def _smallest(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes in the narrowest integer type that holds -1 to ``n``."""
    for dtype in (np.int8, np.int16, np.int32):
        if n < np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes


def _distinct_texts(codes: np.ndarray, texts: list[str]) -> _Text:
    """A column from each row's code (-1: missing) into the text of each code.

    Codes that write out alike are merged, and '' becomes an empty cell.
    """
    position: dict[str, int] = {}
    remap = np.array(
        [-1 if t == "" else position.setdefault(t, len(position)) for t in texts] + [-1],
        dtype=np.int64,
    )
    codes = remap[codes]  # -1 (missing) picks the -1 appended last
    return _Text(distinct=list(position), codes=_smallest(codes, len(position)))


def _text(values: pd.Series | None, size: int) -> _Text:
    """A frame's column as the text a CSV file holds.

    Arrow-backed strings stay as they are, without a copy. Any other column
    is factorised and each distinct value written out once, by
    :func:`_as_text`: a million stances cost five conversions. A column of
    mixed Python objects is written out cell by cell first (``1`` and
    ``True`` are equal keys to a hash, but not the same text).
    """
    if values is None:  # a column the frame leaves out: every cell empty
        return _Text(distinct=[], codes=np.full(size, -1, dtype=np.int8))
    values = values.reset_index(drop=True)
    if arrow_strings(values) is not None:
        return _Text(cells=values)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            values = pd.Series(_as_text(values), dtype=object)
        codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        return _distinct_texts(codes, uniques.tolist())
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    return _distinct_texts(codes, _as_text(pd.Series(uniques)))


def _columns(
    table: Table, raw: _Raw, name: str, problems: list[Problem]
) -> tuple[dict[str, _Text], np.ndarray]:
    """The cells of each column of a table as text, and the line of each row.

    A CSV file's records are turned into columns here, once, after a record
    with too few or too many fields is reported and left out. A frame comes in
    columns already; its rows are numbered as the lines they would have under
    a header.
    """
    if raw.rows is None:
        assert raw.columns is not None
        by_name = dict(zip(raw.header, raw.columns, strict=True))
        lines = np.arange(2, raw.size + 2, dtype=np.int64)
        return {c: _text(by_name[c], raw.size) for c in table.columns}, lines
    width = len(raw.header)
    kept = []
    for line, record in raw.rows:
        if len(record) != width:
            shown = _shown(",".join(record))
            problems.append(
                Problem(name, line, ROW, shown, f"has {len(record)} fields; the header has {width}")
            )
            continue
        kept.append((line, record))
    lines = np.array([line for line, _ in kept], dtype=np.int64)
    cells = list(zip(*(record for _, record in kept), strict=True)) or [()] * width
    texts = {}
    for c, col in zip(raw.header, cells, strict=True):
        codes, uniques = pd.factorize(np.array(col, dtype=object))
        texts[c] = _distinct_texts(codes, uniques.tolist())
    return {c: texts[c] for c in table.columns}, lines


# --- checking cells, a column at a time ----------------------------------------------


def _surely_valid(f: Field, data: pa.ChunkedArray) -> np.ndarray:
    """Which cells break no rule of a text field, found by vectorised checks.

    A screen, never the judge: of the cells that are not empty (those are
    dealt with apart), it passes only ones that :func:`_parse_cell` accepts,
    and leaves every other (False) to it. For a field whose rules it cannot
    test on an array, it passes nothing.
    """
    if f.minimum is not None or f.maximum is not None or f.type in ("integer", "boolean"):
        return np.zeros(len(data), dtype=bool)
    space = re2_class(WHITESPACE)
    # No control character, no leading or trailing whitespace (what str.strip() removes).
    ok = pc.invert(pc.match_substring_regex(data, f"{_CONTROL_RE2}|^[{space}]|[{space}]$"))
    if f.enum is not None:
        ok = pc.and_(ok, pc.is_in(data, value_set=pa.array(f.enum, type=data.type)))
    if f.pattern is not None:
        try:  # the pattern as RE2 with fullmatch semantics; one RE2 cannot read is left to Python
            ok = pc.and_(ok, pc.match_substring_regex(data, f"^(?:{f.pattern})$"))
        except pa.ArrowInvalid:
            return np.zeros(len(data), dtype=bool)
    if f.max_length is not None:
        ok = pc.and_(ok, pc.less_equal(pc.utf8_length(data), f.max_length))
    if f.format == "uri":
        ok = pc.and_(ok, pc.match_substring_regex(data, f"^https?://[^{space}]+$"))
    return to_numpy(ok)


_STRING = pd.StringDtype("pyarrow")


@cache
def _dtype(f: Field) -> object:
    """The field's pandas dtype, made once."""
    return f.dtype


@dataclass
class _Verdicts:
    """What a field's rules say of a column.

    ``typed``: the column in the field's dtype, missing where a cell is empty
    or breaks a rule. ``broken``: the rows whose cell breaks a rule, and
    ``why`` for each: (the cell as shown, the rule).
    """

    typed: ExtensionArray
    broken: np.ndarray
    why: list[tuple[str, str]]


def _parse_distinct(
    f: Field, distinct: list[str], codes: np.ndarray
) -> tuple[ExtensionArray, np.ndarray, list[tuple[str, str]]]:
    """Parse each distinct text once; spread the verdicts over the rows that hold it.

    ``codes`` gives each row's position in ``distinct``, -1 for a row that
    holds none of them (empty, or left out). Returns the rows' typed values
    (missing at -1 and where broken), the broken rows and why they broke.
    """
    parsed = [_parse_cell(f, v) for v in distinct]
    bad = np.fromiter((rule is not None for _, rule in parsed), dtype=bool, count=len(parsed))
    broken = np.flatnonzero(np.append(bad, False)[codes])  # -1 lands on False
    shown = {k: _shown(distinct[k]) for k in np.flatnonzero(bad)}
    why = [(shown[k], parsed[k][1]) for k in codes[broken]]
    return _spread(f, [t for t, _ in parsed], codes), broken, why


def _spread(f: Field, typed: list[object], codes: np.ndarray) -> ExtensionArray:
    """Typed values (None: missing) spread over rows by their codes (-1: missing),
    in the field's dtype."""
    if f.enum is not None:
        category = {c: i for i, c in enumerate(f.enum)}
        at = np.array([-1 if v is None else category[v] for v in typed] + [-1], dtype=np.int64)
        return pd.Categorical.from_codes(at[codes], dtype=_dtype(f))
    if _dtype(f) == _STRING:  # straight through Arrow: the quickest way
        rows = pa.array(codes, mask=codes < 0)
        return pd.arrays.ArrowStringArray(pa.array(typed, type=pa.large_string()).take(rows))
    return pd.array(typed, dtype=_dtype(f)).take(codes, allow_fill=True)


def _verdicts(f: Field, text: _Text) -> _Verdicts:
    """Check a column against a field, each distinct text parsed once.

    A column of distinct texts is parsed text by text. An Arrow column is
    first screened on the whole array (:func:`_surely_valid`); only the cells
    the screen doubts are parsed, once per distinct text.
    """
    if text.codes is not None:
        return _Verdicts(*_parse_distinct(f, text.distinct, text.codes))
    data = arrow_strings(text.cells)
    doubt = np.flatnonzero(~text.empty & ~_surely_valid(f, data))
    codes, distinct = pd.factorize(text.cells.iloc[doubt])
    typed, at, why = _parse_distinct(f, distinct.tolist(), codes)
    broken = doubt[at]
    if f.type in ("integer", "boolean"):  # every cell not empty was parsed: spread its type
        rows = np.full(len(data), -1, dtype=np.intp)
        rows[doubt] = np.arange(len(doubt))
        return _Verdicts(typed.take(rows, allow_fill=True), broken, why)
    valid = ~text.empty
    valid[broken] = False
    return _Verdicts(_typed_cells(f, text.cells, data, valid), broken, why)


def _typed_cells(
    f: Field, cells: pd.Series, data: pa.ChunkedArray, valid: np.ndarray
) -> ExtensionArray:
    """An Arrow column of a text field in the field's dtype, missing where not ``valid``."""
    if f.enum is not None:
        at = pc.index_in(data, value_set=pa.array(f.enum, type=data.type))
        codes = np.where(valid, pc.fill_null(at, -1).to_numpy(zero_copy_only=False), -1)
        return pd.Categorical.from_codes(codes, dtype=_dtype(f))
    if not (~valid & ~np.asarray(cells.array.isna(), dtype=bool)).any():
        strings = cells.array.astype(_STRING)  # missing stays missing: the frame's own buffers
    else:
        strings = pd.array(pc.if_else(pa.array(valid), data, pa.scalar(None, data.type)), _STRING)
    return strings if _dtype(f) == _STRING else strings.astype(_dtype(f))


def _check_column(
    f: Field, text: _Text, lines: np.ndarray, name: str, problems: list[Problem]
) -> tuple[pd.Series, np.ndarray]:
    """Check every cell of one column against its field.

    Returns the column in the field's dtype (missing where empty or
    invalid) and the rows whose cell broke a rule.
    """
    if f.required:
        for row in np.flatnonzero(text.empty):
            problems.append(Problem(name, int(lines[row]), f.name, "", "a value is required"))
    verdicts = _verdicts(f, text)
    for row, (shown, rule) in zip(verdicts.broken, verdicts.why, strict=True):
        problems.append(Problem(name, int(lines[row]), f.name, shown, rule))
    return pd.Series(verdicts.typed, name=f.name), verdicts.broken


def _check_unique(
    f: Field, text: _Text, lines: np.ndarray, name: str, problems: list[Problem]
) -> None:
    """Report each repeat of a value in a unique column at the line after its first."""
    if text.codes is None:
        again = repeated([arrow_strings(text.cells)]) & ~text.empty
    else:
        assert text.distinct is not None
        counts = np.bincount(text.codes[~text.empty], minlength=len(text.distinct))
        again = np.append(counts > 1, False)[text.codes]
    first: dict[str, int] = {}
    for row in np.flatnonzero(again):
        value, line = text.value(row), int(lines[row])
        seen = first.setdefault(value, line)
        if seen != line:
            rule = f"duplicate id; first used on line {seen}"
            problems.append(Problem(name, line, f.name, value, rule))


def _check_key(
    table: Table, texts: dict[str, _Text], lines: np.ndarray, name: str, problems: list[Problem]
) -> None:
    """Report each repeat of a composite primary key whose parts are all filled."""
    key = table.primary_key
    full = ~np.logical_or.reduce([texts[c].empty for c in key])
    first: dict[tuple[str, ...], int] = {}
    for row in np.flatnonzero(repeated([texts[c].keys() for c in key]) & full):
        cells, line = tuple(texts[c].value(row) for c in key), int(lines[row])
        seen = first.setdefault(cells, line)
        if seen != line:
            rule = f"duplicate key ({', '.join(key)}); first used on line {seen}"
            problems.append(Problem(name, line, ROW, ",".join(cells), rule))


def _check_table(
    table: Table, texts: dict[str, _Text], lines: np.ndarray, name: str, problems: list[Problem]
) -> Parsed:
    """Every check within one table, a column at a time: cells, unique ids, the key."""
    columns: dict[str, pd.Series] = {}
    failed: dict[str, np.ndarray] = {}
    for f in table.fields:
        columns[f.name], failed[f.name] = _check_column(f, texts[f.name], lines, name, problems)
        if f.unique:
            _check_unique(f, texts[f.name], lines, name, problems)
    if len(table.primary_key) > 1:
        _check_key(table, texts, lines, name, problems)
    return Parsed(table, name, lines, columns, failed)


# --- checking across rows and tables ---------------------------------------------


def _singular(table: str) -> str:
    return {"cases": "case", "event_issues": "event issue"}.get(table, table[:-1])


#: References whose rows the tables keep from the check (see ``Tables.rows_of``):
#: the join every analysis of deeds makes. Others would cost memory for nothing.
_KEEP_ROWS = frozenset({("event_issues", "event_id")})


def _check_references(
    parsed: dict[str, Parsed], problems: list[Problem]
) -> dict[tuple[str, str], np.ndarray]:
    """Report ids that refer to nothing; return the rows found for ``_KEEP_ROWS``."""
    kept = {}
    for p in parsed.values():
        for fk in p.table.foreign_keys:
            if fk.table not in parsed:
                continue
            # Ids that failed their own checks are already reported (and missing here).
            known = parsed[fk.table].columns[fk.target]
            values = p.columns[fk.column]
            if (p.table.name, fk.column) in _KEEP_ROWS:
                rows = np.asarray(positions(values, known))
                kept[(p.table.name, fk.column)] = rows
                unknown = np.flatnonzero(filled(values) & (rows < 0))
            else:
                unknown = np.flatnonzero(filled(values) & ~member(values, known))
            if not len(unknown):
                continue
            candidates = known[known.notna()].unique().tolist()
            hints: dict[str, str] = {}  # a near miss is looked for once per unknown id
            for row in unknown:
                value = values.iloc[row]
                if value not in hints:
                    hints[value] = suggest(value, candidates)
                rule = f"unknown {_singular(fk.table)} id" + hints[value]
                problems.append(Problem(p.name, int(p.lines[row]), fk.column, value, rule))
    return kept


# --- the descriptor ------------------------------------------------------------------


def _check_descriptor(root: Path, problems: list[Problem]) -> None:
    """A data directory's own datapackage.json and rules.json must declare what this
    version of the package reads, so that a copy cannot quietly disagree with it."""
    for name, bundled in (("datapackage.json", schema().source), ("rules.json", bundled_rules())):
        path = root / name
        if not path.exists():
            problems.append(Problem(name, 0, FILE, str(path), "file is missing"))
            continue
        try:
            mine = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            line, col = getattr(e, "lineno", 0), getattr(e, "colno", 0)
            msg = getattr(e, "msg", str(e))
            problems.append(Problem(name, line, f"(char {col})", "", f"not valid JSON: {msg}"))
            continue
        expected = json.loads(bundled.read_text(encoding="utf-8"))
        if mine == expected:
            continue
        if name == "datapackage.json" and isinstance(mine, dict):
            version = mine.get("version", "1")
            if version != MODEL_VERSION and "resources" in mine:
                rule = (
                    f"declares data model version {version}; this package reads "
                    f"{MODEL_VERSION}: run `research migrate` on the directory"
                )
                problems.append(Problem(name, 1, "version", str(version), rule))
                continue
            try:
                parse_package(mine, path)
            except (KeyError, TypeError, ValueError) as e:
                problems.append(Problem(name, 1, FILE, "", f"not a usable descriptor: {e}"))
                continue
        where = _first_difference(mine, expected)
        problems.append(
            Problem(
                name,
                1,
                where,
                "",
                f"differs from the declaration this version of research reads ({bundled}); "
                "copy that file over it",
            )
        )


def _first_difference(a: object, b: object, path: str = "") -> str:
    """JSON path of the first place two parsed JSON documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                name = (x.get("name") or x.get("id")) if isinstance(x, dict) else None
                return _first_difference(x, y, f"{path}[{name or i}]")
        if len(a) != len(b):
            return f"{path}[{min(len(a), len(b))}]"
    return path or FILE


# --- building frames ---------------------------------------------------------------


def _frame(p: Parsed) -> pd.DataFrame:
    """A checked table as a DataFrame: its typed columns, in schema order."""
    return pd.DataFrame({f.name: p.columns[f.name] for f in p.table.fields})


def _tables(parsed: dict[str, Parsed], rows: dict, root: Path, fingerprint: str) -> Tables:
    from research.derive import derive

    frames = {name: _frame(parsed[name]) for name in TABLE_ORDER}
    # Line numbers live beside the frames, not in DataFrame.attrs, which pandas
    # copies deeply on most operations.
    lines = {name: parsed[name].lines for name in TABLE_ORDER}
    t = Tables(**derive(frames), data_dir=root, fingerprint=fingerprint, lines=lines)
    for (table, column), found in rows.items():  # derive keeps every row where it was
        target = next(k.table for k in schema()[table].foreign_keys if k.column == column)
        t._rows[(table, column)] = (getattr(t, table), getattr(t, target), found)
    return t


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the bytes of the descriptor, the rules and every table file."""
    h = hashlib.sha256()
    for name in ("datapackage.json", "rules.json", *(schema()[t].path for t in TABLE_ORDER)):
        path = Path(data_dir) / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()


def _check_all(
    raws: dict[str, _Raw | None], label: Callable[[str], str]
) -> tuple[dict[str, Parsed], list[Problem], dict]:
    """Every check on tables read as text, in one pass: cells, keys, references, rules."""
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    for table in schema().tables:
        raw, name = raws.get(table.name), label(table.path)
        if raw is None or not _check_header(table, raw, name, problems):
            continue
        texts, lines = _columns(table, raw, name, problems)
        parsed[table.name] = _check_table(table, texts, lines, name, problems)
    rows = _check_references(parsed, problems)
    check_rules(parsed, problems)
    return parsed, problems, rows


def _parse_dir(root: Path) -> tuple[dict[str, Parsed], list[Problem], dict]:
    problems: list[Problem] = []
    _check_descriptor(root, problems)
    raws = {t.name: _read_csv(root / t.path, problems) for t in schema().tables}
    parsed, more, rows = _check_all(raws, label=lambda path: path)
    return parsed, problems + more, rows


def validate(data_dir: str | Path | None = None) -> list[Problem]:
    """Return every problem in a data directory (an empty list when it is clean)."""
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if not root.is_dir():
        return [Problem(str(root), 0, FILE, str(root), "data directory not found")]
    _, problems, _ = _parse_dir(root)
    return sorted(set(problems), key=_problem_order)


def _problem_order(p: Problem) -> tuple:
    order = {}
    for i, t in enumerate(TABLE_ORDER):
        order[schema()[t].path] = i
        order[f"{schema()[t].path} (frame)"] = i
    order["datapackage.json"], order["rules.json"] = -2, -1
    return (order.get(p.file, len(order)), p.line, p.column, p.rule)


def load(data_dir: str | Path | None = None) -> Tables:
    """Load and validate the curated tables.

    Parameters
    ----------
    data_dir : str or Path, optional
        Directory holding ``datapackage.json``, ``rules.json`` and the table
        files. Defaults to the bundled ``data/`` (or ``$RESEARCH_DATA_DIR``).

    Returns
    -------
    Tables
        One DataFrame per table with real dtypes: enumerations as
        categoricals, stances as nullable integers, booleans as booleans;
        positions and events with their derived dates and status.

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
    parsed, problems, rows = _parse_dir(root)
    if problems:
        raise DataError(sorted(set(problems), key=_problem_order))
    tables = _tables(parsed, rows, root, fingerprint(root))
    del parsed, rows
    # Reading and checking left Arrow's allocator holding buffers no table uses: hand
    # them back, so that a notebook's memory is its tables' (86 MB of 800 at 1M deeds).
    pa.default_memory_pool().release_unused()
    return tables
