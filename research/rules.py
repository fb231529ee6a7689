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

from research import dates
from research.problems import ROW, Problem, suggest
from research.schema import Table, bundled_rules, rules


@dataclass
class Parsed:
    """A table's typed columns plus the line of each row, for later messages."""

    table: Table
    name: str  # as problems name it: the file, or the frame
    lines: list[int]
    columns: dict[str, list[object]]
    raw: dict[str, list[str]]  # the cells as written, to tell empty from invalid


def _column(parsed: dict[str, Parsed], spec: dict) -> list[object] | None:
    """The typed cells of ``spec["table"]``.``spec["column"]``, or None when that table
    could not be read (its own problems are reported already)."""
    ref = parsed.get(spec["table"])
    return None if ref is None else ref.columns[spec["column"]]


def _split(value: object) -> list[str]:
    return [] if value is None else str(value).split(";")


def _rule_exactly_one(r, p: Parsed, parsed, problems) -> None:
    a, b = r.params["columns"]
    for i, line in enumerate(p.lines):
        filled = [c for c in (a, b) if p.columns[c][i] is not None]
        if len(filled) != 1:
            value = ",".join(str(p.columns[c][i]) for c in filled)
            problems.append(Problem(p.name, line, ROW, value, r.text))


def _rule_cited(r, p: Parsed, parsed, problems) -> None:
    cells = _column(parsed, r.params["by"])
    if cells is None:
        return
    citing = {v for v in cells if v is not None}
    col = r.params["column"]
    for line, value in zip(p.lines, p.columns[col], strict=True):
        if value is not None and value not in citing:
            problems.append(Problem(p.name, line, col, value, r.text))


def _rule_id_list(r, p: Parsed, parsed, problems) -> None:
    cells = _column(parsed, r.params["reference"])
    if cells is None:
        return
    known = {v for v in cells if v is not None}
    col = r.params["column"]
    for line, value in zip(p.lines, p.columns[col], strict=True):
        ids = _split(value)
        for dup in sorted({x for x in ids if ids.count(x) > 1}):
            problems.append(Problem(p.name, line, col, value, f"{dup!r} is listed twice"))
        for x in ids:
            if x not in known:
                rule = f"{r.text}: unknown actor id {x!r}" + suggest(x, known)
                problems.append(Problem(p.name, line, col, value, rule))


def _rule_real_date(r, p: Parsed, parsed, problems) -> None:
    col = r.params["column"]
    for line, value in zip(p.lines, p.columns[col], strict=True):
        if value is None:
            continue
        try:
            dates.parse_part(str(value))
        except ValueError as e:
            problems.append(Problem(p.name, line, col, value, f"{r.text} ({e})"))


def _rule_range_order(r, p: Parsed, parsed, problems) -> None:
    col = r.params["column"]
    for line, value in zip(p.lines, p.columns[col], strict=True):
        if value is None:
            continue
        try:
            dates.parse(str(value), open_start=True, open_end=True)
        except ValueError as e:
            text = str(e)
            rule = r.text if "before it starts" in text else f"not a real date ({text})"
            problems.append(Problem(p.name, line, col, value, rule))


def _rule_columns_order(r, p: Parsed, parsed, problems) -> None:
    a, b = r.params["columns"]
    for i, line in enumerate(p.lines):
        spans = []
        for c in (a, b):
            value = p.columns[c][i]
            if value is None:
                spans.append(None)
                continue
            try:
                spans.append(dates.parse_part(str(value)))
            except ValueError as e:
                problems.append(Problem(p.name, line, c, value, f"not a real date ({e})"))
                spans.append(None)
        lo, hi = spans
        if lo is not None and hi is not None and hi.end < lo.start:
            problems.append(Problem(p.name, line, b, p.columns[b][i], r.text))


def _rule_same_actor(r, p: Parsed, parsed, problems) -> None:
    ref = parsed.get(r.params["reference"]["table"])
    if ref is None:
        return
    ids, owners = (
        ref.columns[r.params["reference"]["column"]],
        ref.columns[r.params["reference"]["actor"]],
    )
    owner_of = dict(zip(ids, owners, strict=True))
    col, actor = r.params["column"], r.params["actor"]
    for i, line in enumerate(p.lines):
        value = p.columns[col][i]
        speaker = p.columns[actor][i]
        if (
            value is not None
            and speaker is not None
            and value in owner_of
            and (owner_of[value] != speaker)
        ):
            found = r.params.get("found", "it is a role of {}").format(owner_of[value])
            rule = f"{r.text} ({p.columns[actor][i]}); {found}"
            problems.append(Problem(p.name, line, col, value, rule))


def _rule_reference_has(r, p: Parsed, parsed, problems) -> None:
    ref = parsed.get(r.params["reference"]["table"])
    if ref is None:
        return
    spec = r.params["reference"]
    # Only a cell left empty: an invalid one is reported where it stands.
    has = dict(zip(ref.columns[spec["column"]], ref.raw[spec["requires"]], strict=True))
    col = r.params["column"]
    for line, value in zip(p.lines, p.columns[col], strict=True):
        if value is not None and value in has and has[value] == "":
            problems.append(Problem(p.name, line, col, value, r.text))


def _rule_requires_pattern(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    for i, line in enumerate(p.lines):
        value = p.columns[col][i]
        if (
            p.columns[when][i] is not None
            and value is not None
            and not re.fullmatch(r.params["pattern"], str(value))
        ):
            problems.append(Problem(p.name, line, col, value, r.text))


def _rule_requires_value(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    for i, line in enumerate(p.lines):
        value = p.columns[col][i]
        if p.columns[when][i] is not None and value is not None and value not in r.params["values"]:
            problems.append(Problem(p.name, line, col, value, r.text))


def _rule_requires_set(r, p: Parsed, parsed, problems) -> None:
    col, when = r.params["column"], r.params["when_set"]
    for i, line in enumerate(p.lines):
        if p.columns[when][i] is not None and p.raw[col][i] == "":
            problems.append(Problem(p.name, line, col, "", r.text))


def _rule_acyclic(r, p: Parsed, parsed, problems) -> None:
    """Report each cycle once, at its link on the earliest line."""
    a, b = r.params["columns"]
    up: dict[object, list[tuple[object, int]]] = {}
    for line, x, y in zip(p.lines, p.columns[a], p.columns[b], strict=True):
        if x is not None and y is not None:
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
