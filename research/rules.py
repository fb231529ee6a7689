"""The rules across cells, rows and tables that ``data/rules.json`` declares.

A Table Schema checks one cell at a time (and keys). The rules here need
more than one cell: a citation cites exactly one row, every deed is cited
and bears on an issue, lists of ids name actors, ranges run forwards, a
role-opened window belongs to the speaker, roles do not go round in a cycle.
``rules.json`` declares each rule once — its kind, table, columns and the
words of the rule — and :func:`check_rules` runs every declared rule by its
kind. The README's data dictionary lists the same declarations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from research import dates
from research.columnar import (
    arrow_strings,
    distinct,
    filled,
    member,
    objects,
    positions,
    repeated,
    split_lists,
)
from research.problems import ROW, Problem, suggest
from research.schema import Table, bundled_rules, rules


@dataclass
class Parsed:
    """A checked table: its typed columns plus the line of each row, for messages.

    ``columns`` hold each column in its schema dtype, missing where a cell is
    empty or broke a rule of its own; ``failed`` holds, per column, the rows
    whose cell broke one, so that an empty cell can be told from an invalid one.
    """

    table: Table
    name: str  # as problems name it: the file, or the frame
    lines: np.ndarray
    columns: dict[str, pd.Series]
    failed: dict[str, np.ndarray]

    def empty(self, column: str) -> np.ndarray:
        """Which cells of ``column`` were left empty (not merely invalid)."""
        mask = self.columns[column].isna().to_numpy(dtype=bool, copy=True)
        mask[self.failed[column]] = False
        return mask

    def line(self, row: int) -> int:
        return int(self.lines[row])


def _column(parsed: dict[str, Parsed], spec: dict) -> pd.Series | None:
    """The typed cells of ``spec["table"]``.``spec["column"]``, or None when that table
    could not be read (its own problems are reported already)."""
    ref = parsed.get(spec["table"])
    return None if ref is None else ref.columns[spec["column"]]


def _last_row(ids: pd.Series, values: pd.Series) -> np.ndarray:
    """For each of ``values``, the last row of ``ids`` holding it (-1: none), as a
    dict from ids to rows would find it (ids are unique but for a duplicate id,
    reported in its own table)."""
    backwards = ids.iloc[::-1].reset_index(drop=True)
    found = positions(values, backwards)
    return np.where(found >= 0, len(ids) - 1 - found, -1)


def _rule_exactly_one(r, p: Parsed, parsed, problems) -> None:
    a, b = r.params["columns"]
    has = {c: filled(p.columns[c]) for c in (a, b)}
    for row in np.flatnonzero(has[a] == has[b]):  # both, or neither
        value = ",".join(str(p.columns[c].iloc[row]) for c in (a, b) if has[c][row])
        problems.append(Problem(p.name, p.line(row), ROW, value, r.text))


def _rule_cited(r, p: Parsed, parsed, problems) -> None:
    cells = _column(parsed, r.params["by"])
    if cells is None:
        return
    col = r.params["column"]
    values = p.columns[col]
    for row in np.flatnonzero(filled(values) & ~member(values, cells)):
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], r.text))


def _rule_id_list(r, p: Parsed, parsed, problems) -> None:
    known = _column(parsed, r.params["reference"])
    if known is None:
        return
    col = r.params["column"]
    values = p.columns[col]
    # Only the lists that name an unknown id, or an id twice, are read one by one.
    row_of, ids = split_lists(values, ";")
    unknown = ~member(ids, known)
    # An id can be listed twice only in a list of two or more.
    longer = np.flatnonzero(np.bincount(row_of, minlength=len(values))[row_of] > 1)
    twice = np.zeros(len(ids), dtype=bool)
    if len(longer):
        twice[longer] = repeated([pa.array(row_of[longer]), arrow_strings(ids.iloc[longer])])
    strangers = set(ids[unknown].tolist())
    hints: dict[str, str] = {}  # a near miss is looked for once per unknown id
    for row in np.unique(row_of[unknown | twice]):
        value = values.iloc[row]
        listed = value.split(";")
        for dup in sorted({x for x in listed if listed.count(x) > 1}):
            problems.append(Problem(p.name, p.line(row), col, value, f"{dup!r} is listed twice"))
        for x in listed:
            if x in strangers:
                if x not in hints:
                    hints[x] = suggest(x, known[known.notna()].unique().tolist())
                rule = f"{r.text}: unknown actor id {x!r}" + hints[x]
                problems.append(Problem(p.name, p.line(row), col, value, rule))


def _rule_real_date(r, p: Parsed, parsed, problems) -> None:
    col = r.params["column"]
    values = p.columns[col]

    def fault(value: object) -> str | None:
        try:
            dates.parse_part(str(value))
        except ValueError as e:
            return f"{r.text} ({e})"
        return None

    for row, rule in distinct(values, np.flatnonzero(filled(values)), fault):
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], rule))


def _rule_range_order(r, p: Parsed, parsed, problems) -> None:
    col = r.params["column"]
    values = p.columns[col]

    def fault(value: object) -> str | None:
        try:
            dates.parse(str(value), open_start=True, open_end=True)
        except ValueError as e:
            text = str(e)
            return r.text if "before it starts" in text else f"not a real date ({text})"
        return None

    for row, rule in distinct(values, np.flatnonzero(filled(values)), fault):
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], rule))


def _rule_columns_order(r, p: Parsed, parsed, problems) -> None:
    a, b = r.params["columns"]
    n = len(p.lines)
    first = np.full(n, np.nan)  # first day of a (as a day number), NaN where unknown
    last = np.full(n, np.nan)  # last day of b
    for c, bound, out in ((a, "start", first), (b, "end", last)):
        values = p.columns[c]
        rows = np.flatnonzero(filled(values))
        codes, uniques = pd.factorize(values.iloc[rows])
        days = np.full(len(uniques), np.nan)
        for k, value in enumerate(uniques):
            try:
                days[k] = getattr(dates.parse_part(str(value)), bound).toordinal()
            except ValueError as e:
                rule = f"not a real date ({e})"
                for row in rows[codes == k]:
                    problems.append(Problem(p.name, p.line(row), c, value, rule))
        out[rows] = days[codes]
    for row in np.flatnonzero(last < first):  # NaN compares False: both must be known
        problems.append(Problem(p.name, p.line(row), b, p.columns[b].iloc[row], r.text))


def _rule_same_actor(r, p: Parsed, parsed, problems) -> None:
    spec = r.params["reference"]
    ref = parsed.get(spec["table"])
    if ref is None:
        return
    col, actor = r.params["column"], r.params["actor"]
    values, speakers = p.columns[col], p.columns[actor]
    rows = np.flatnonzero(filled(values) & filled(speakers))
    if not len(rows):
        return
    at = _last_row(ref.columns[spec["column"]], values.iloc[rows])
    rows, at = rows[at >= 0], at[at >= 0]
    owners = objects(ref.columns[spec["actor"]].iloc[at])
    for row, owner, speaker in zip(rows, owners, objects(speakers.iloc[rows]), strict=True):
        if owner != speaker:
            found = r.params.get("found", "it is a role of {}").format(owner)
            rule = f"{r.text} ({speaker}); {found}"
            problems.append(Problem(p.name, p.line(row), col, values.iloc[row], rule))


def _rule_reference_has(r, p: Parsed, parsed, problems) -> None:
    spec = r.params["reference"]
    ref = parsed.get(spec["table"])
    if ref is None:
        return
    col = r.params["column"]
    values = p.columns[col]
    rows = np.flatnonzero(filled(values))
    if not len(rows):
        return
    at = _last_row(ref.columns[spec["column"]], values.iloc[rows])
    # Only a cell left empty: an invalid one is reported where it stands.
    lacking = np.append(ref.empty(spec["requires"]), False)[at]  # -1 (no such id) is not lacking
    for row in rows[lacking]:
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], r.text))


def _rule_requires_pattern(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    values = p.columns[col]
    rows = np.flatnonzero(filled(p.columns[when]) & filled(values))
    pattern = re.compile(r.params["pattern"])
    for row, _ in distinct(values, rows, lambda v: None if pattern.fullmatch(str(v)) else r.text):
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], r.text))


def _rule_requires_value(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    values = p.columns[col]
    allowed = values.isin(r.params["values"]).to_numpy(dtype=bool)
    for row in np.flatnonzero(filled(p.columns[when]) & filled(values) & ~allowed):
        problems.append(Problem(p.name, p.line(row), col, values.iloc[row], r.text))


def _rule_requires_set(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    for row in np.flatnonzero(filled(p.columns[when]) & p.empty(col)):
        problems.append(Problem(p.name, p.line(row), col, "", r.text))


def _rule_acyclic(r, p: Parsed, parsed, problems) -> None:
    """Report each cycle once, at its link on the earliest line."""
    a, b = r.params["columns"]
    rows = np.flatnonzero(filled(p.columns[a]) & filled(p.columns[b]))
    up: dict[object, list[tuple[object, int]]] = {}
    for line, x, y in zip(
        p.lines[rows].tolist(),
        objects(p.columns[a].iloc[rows]),
        objects(p.columns[b].iloc[rows]),
        strict=True,
    ):
        up.setdefault(x, []).append((y, line))
    reported: set[frozenset] = set()

    def walk(path: list, links: list[tuple[object, int]]) -> None:
        for nxt, line in up.get(path[-1], []):
            if nxt in path:
                k = path.index(nxt)
                cycle = [*links[k:], (nxt, line)]
                key = frozenset(path[k:])
                if key not in reported:
                    reported.add(key)
                    value, first = min(cycle, key=lambda link: link[1])
                    chain = " -> ".join(str(c) for c in [*path[k:], nxt])
                    problems.append(Problem(p.name, first, b, value, f"{r.text}: {chain}"))
            elif len(path) < 64:
                walk([*path, nxt], [*links, (nxt, line)])

    for start in sorted(up, key=str):
        walk([start], [])


_RULES: dict[str, Callable] = {
    "exactly_one": _rule_exactly_one,
    "cited": _rule_cited,
    "id_list": _rule_id_list,
    "range_order": _rule_range_order,
    "real_date": _rule_real_date,
    "columns_order": _rule_columns_order,
    "same_actor": _rule_same_actor,
    "reference_has": _rule_reference_has,
    "requires_pattern": _rule_requires_pattern,
    "requires_value": _rule_requires_value,
    "requires_set": _rule_requires_set,
    "acyclic": _rule_acyclic,
}


def check_rules(parsed: dict[str, Parsed], problems: list[Problem]) -> None:
    """Every rule of rules.json; cell-level rules run while cells are parsed."""
    for r in rules():
        if r.kind == "no_control_characters":
            continue
        check = _RULES.get(r.kind)
        if check is None:
            raise ValueError(f"{bundled_rules()}: rule {r.id!r} has unknown kind {r.kind!r}")
        if r.table in parsed:
            check(r, parsed[r.table], parsed, problems)
