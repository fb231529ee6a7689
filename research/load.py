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
from pathlib import Path

import numpy as np
import pandas as pd

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
    data_dir: Path
    fingerprint: str
    #: Per table, the line in its file of each row (for messages about a row), as
    #: an integer array: millions of rows cost 8 bytes each, not a Python int each.
    lines: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for name in TABLE_ORDER:
            yield name, getattr(self, name)

    @classmethod
    def from_frames(cls, data_dir: str | Path = "<memory>", **frames: pd.DataFrame) -> Tables:
        """Build tables from DataFrames, through the same checks as :func:`load`.

        Every value is written out as the text a CSV file would hold and
        checked cell by cell, across rows and across tables exactly as
        ``research validate`` checks a data directory; a problem raises
        :class:`DataError` naming the table, the row (as the line it would
        have under a header) and the column. Optional columns may be left out;
        an omitted table is empty. Unknown tables raise ValueError.
        """
        unknown = set(frames) - set(TABLE_ORDER)
        if unknown:
            raise ValueError(f"unknown tables: {sorted(unknown)}")
        raws = {}
        for table in schema().tables:
            df = frames.get(table.name)
            if df is None:
                raws[table.name] = _Raw(header=list(table.columns), rows=[])
                continue
            header = [c for c in table.columns if c in df.columns]
            header += [c for c in df.columns if c not in table.columns]
            missing = [f.name for f in table.fields if f.name not in df.columns and not f.required]
            cells = [_as_text(df[c]) for c in header] + [[""] * len(df) for _ in missing]
            raws[table.name] = _Raw(
                header=header + missing,
                rows=[(i + 2, list(row)) for i, row in enumerate(zip(*cells, strict=True))]
                if cells
                else [(i + 2, []) for i in range(len(df))],
                reorder=True,
            )
        parsed, problems = _check_all(raws, label=lambda t: f"{t} (frame)")
        if problems:
            raise DataError(sorted(set(problems), key=_problem_order))
        return _tables(parsed, Path(data_dir), "")

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(df) for name, df in self}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Tables({counts}, data_dir={str(self.data_dir)!r})"


def _as_text(values: pd.Series) -> list[str]:
    """A column as the text a CSV file would hold: '' for missing, true/false, ISO days."""
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
    """A table read as text: header and rows with their line numbers.

    ``reorder``: the columns may come in any order (frames have no order).
    """

    header: list[str]
    rows: list[tuple[int, list[str]]]
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
        if "field larger than field limit" in str(e):
            column, rule = _too_long(text, line, header)
            problems.append(Problem(name, line, column, "", rule))
        else:
            problems.append(Problem(name, line, ROW, "", f"malformed CSV: {e}"))
        return None
    assert header is not None
    return _Raw(header=header, rows=rows)


# --- checking one table --------------------------------------------------------


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


def _check_table(table: Table, raw: _Raw, name: str, problems: list[Problem]) -> Parsed:
    width = len(raw.header)
    index = [raw.header.index(c) for c in table.columns]
    lines: list[int] = []
    fields = table.fields
    columns: dict[str, list[object]] = {c: [] for c in table.columns}
    raw_cells: dict[str, list[str]] = {c: [] for c in table.columns}
    seen: dict[str, dict[object, int]] = {f.name: {} for f in fields if f.unique}
    # A cell's verdict depends only on its field and text: remember it for the
    # fields whose values repeat (not ids, which are unique by rule).
    memo: list[dict[str, tuple[object, str | None]] | None] = [
        None if f.unique else {} for f in fields
    ]
    keys: dict[tuple, int] = {}
    composite = len(table.primary_key) > 1
    key_at = [table.columns.index(c) for c in table.primary_key]
    for line, record in raw.rows:
        if len(record) != width:
            shown = _shown(",".join(record))
            problems.append(
                Problem(name, line, ROW, shown, f"has {len(record)} fields; the header has {width}")
            )
            continue
        lines.append(line)
        cells = [record[i] for i in index]
        for f, known, value in zip(fields, memo, cells, strict=True):
            if known is None:
                typed, rule = _parse_cell(f, value)
            else:
                hit = known.get(value)
                if hit is None:
                    hit = known[value] = _parse_cell(f, value)
                typed, rule = hit
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
        if composite:
            key = tuple(cells[i] for i in key_at)
            first = keys.setdefault(key, line)
            if first != line and all(key):
                problems.append(
                    Problem(
                        name,
                        line,
                        ROW,
                        ",".join(key),
                        f"duplicate key ({', '.join(table.primary_key)}); "
                        f"first used on line {first}",
                    )
                )
    return Parsed(table, name, lines, columns, raw_cells)


# --- checking across rows and tables ---------------------------------------------


def _singular(table: str) -> str:
    return {"cases": "case", "event_issues": "event issue"}.get(table, table[:-1])


def _check_references(parsed: dict[str, Parsed], problems: list[Problem]) -> None:
    for p in parsed.values():
        for fk in p.table.foreign_keys:
            if fk.table not in parsed:
                continue
            # Ids that failed their own checks are already reported; skip them here.
            known = {v for v in parsed[fk.table].columns[fk.target] if v is not None}
            for line, value in zip(p.lines, p.columns[fk.column], strict=True):
                if value is not None and value not in known:
                    rule = f"unknown {_singular(fk.table)} id" + suggest(value, known)
                    problems.append(Problem(p.name, line, fk.column, value, rule))


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
    data = {}
    for f in p.table.fields:
        data[f.name] = pd.Series(p.columns[f.name], dtype=f.dtype)
    return pd.DataFrame(data)


def _tables(parsed: dict[str, Parsed], root: Path, fingerprint: str) -> Tables:
    from research.derive import derive

    frames = {name: _frame(parsed[name]) for name in TABLE_ORDER}
    # Line numbers live beside the frames, not in DataFrame.attrs, which pandas
    # copies deeply on most operations.
    lines = {name: np.asarray(parsed[name].lines, dtype=np.int64) for name in TABLE_ORDER}
    return Tables(**derive(frames), data_dir=root, fingerprint=fingerprint, lines=lines)


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
) -> tuple[dict[str, Parsed], list[Problem]]:
    """Every check on tables read as text, in one pass: cells, keys, references, rules."""
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    for table in schema().tables:
        raw, name = raws.get(table.name), label(table.path)
        if raw is None or not _check_header(table, raw, name, problems):
            continue
        parsed[table.name] = _check_table(table, raw, name, problems)
    _check_references(parsed, problems)
    check_rules(parsed, problems)
    return parsed, problems


def _parse_dir(root: Path) -> tuple[dict[str, Parsed], list[Problem]]:
    problems: list[Problem] = []
    _check_descriptor(root, problems)
    raws = {t.name: _read_csv(root / t.path, problems) for t in schema().tables}
    parsed, more = _check_all(raws, label=lambda path: path)
    return parsed, problems + more


def validate(data_dir: str | Path | None = None) -> list[Problem]:
    """Return every problem in a data directory (an empty list when it is clean)."""
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if not root.is_dir():
        return [Problem(str(root), 0, FILE, str(root), "data directory not found")]
    _, problems = _parse_dir(root)
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
    parsed, problems = _parse_dir(root)
    if problems:
        raise DataError(sorted(set(problems), key=_problem_order))
    return _tables(parsed, root, fingerprint(root))
