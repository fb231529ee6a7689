"""Rebuild the bad-input corpus in tests/bad/ from the base in tests/fixtures/minimal/.

Run it after the base or the schema changes:  .venv/bin/python tests/bad/make_cases.py
Each case is the base with one minimal change. The line numbers in expected.txt are
read from the base, so adding rows to the base does not break them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "fixtures" / "minimal"


def base(name: str) -> str:
    return (BASE / name).read_text(encoding="utf-8")


def lines(name: str) -> list[str]:
    return base(name).splitlines(keepends=True)


def header(name: str) -> list[str]:
    return lines(name)[0].rstrip("\n").split(",")


def line_of(name: str, row_id: str) -> int:
    """Physical line of the row whose first cell is row_id (the base has no quoted cells)."""
    (n,) = [i for i, text in enumerate(lines(name), 1) if text.split(",", 1)[0] == row_id]
    return n


def sub(name: str, row_id: str, old: str, new: str, text: str | None = None) -> str:
    """The base file with old replaced by new in the row whose first cell is row_id."""
    rows = (base(name) if text is None else text).splitlines(keepends=True)
    (i,) = [i for i, line in enumerate(rows) if line.split(",", 1)[0] == row_id]
    assert rows[i].count(old) == 1, f"{name}: {old!r} occurs {rows[i].count(old)} times in {row_id}"
    rows[i] = rows[i].replace(old, new)
    return "".join(rows)


def map_rows(name: str, fn: Callable[[int, list[str]], list[str]]) -> str:
    assert '"' not in base(name), f"{name}: quoted cells; split by hand"
    rows = (fn(n, text.rstrip("\n").split(",")) for n, text in enumerate(lines(name), 1))
    return "".join(",".join(cells) + "\n" for cells in rows)


def drop_column(name: str, column: str) -> str:
    i = header(name).index(column)
    return map_rows(name, lambda n, cells: cells[:i] + cells[i + 1 :])


def swap_columns(name: str, a: str, b: str) -> str:
    i, j = header(name).index(a), header(name).index(b)

    def swap(n: int, cells: list[str]) -> list[str]:
        cells[i], cells[j] = cells[j], cells[i]
        return cells

    return map_rows(name, swap)


def dangling_actor_refs() -> list[str]:
    """Every reference to an actor in the base, as the problem an empty actors.csv causes."""
    from research.schema import TABLE_ORDER, schema

    out = []
    for t in (schema()[name] for name in TABLE_ORDER if name != "actors"):
        refs = [fk.column for fk in t.foreign_keys if fk.table == "actors"]
        cols = header(t.path)
        for n, text in enumerate(lines(t.path)[1:], 2):
            cells = text.rstrip("\n").split(",")
            out += [f"{t.path}:{n}: {c}: unknown actor id" for c in refs if cells[cols.index(c)]]
    return out


CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {}


def case(name: str, files: dict[str, str | bytes], *expected: str) -> None:
    CASES[name] = (files, list(expected))


P, E, A, I, S = "positions.csv", "events.csv", "actors.csv", "issues.csv", "sources.csv"  # noqa: E741
MULTILINE = ',"Denies ever arming B,\nin so many words.",'

# --- accepted ----------------------------------------------------------------------
case("utf8_bom", {P: b"\xef\xbb\xbf" + base(P).encode()})
case("crlf_line_endings", {E: base(E).replace("\n", "\r\n").encode()})
case("quoted_comma_and_newline", {P: sub(P, "never_armed", ",Denies ever arming B.,", MULTILINE)})
case(
    "quote_exactly_300_chars",
    {P: sub(P, "never_armed", ",we never armed B,", "," + "q" * 300 + ",")},
)
case("header_only_positions", {P: lines(P)[0], "counts.txt": "positions 0\n"})

# --- reading files -------------------------------------------------------------------
case(
    "latin1_byte_in_cell",
    {
        P: sub(
            P, "never_armed", "Denies ever arming B.", "Denies ever arming B at the caf\xe9."
        ).encode("latin-1")
    },
    f"{P}:{line_of(P, 'never_armed')}: summary: not valid UTF-8",
)
case("empty_file", {I: b""}, f"{I}:1: (file): file is empty")
case("missing_file", {E + ".absent": b""}, f"{E}:0: (file): file is missing")
case("header_only_actors", {A: lines(A)[0]}, *dangling_actor_refs())
case(
    "unclosed_quote",
    {P: sub(P, "not_since", ",Denies arming B since", ',"Denies arming B since')},
    f"{P}:{line_of(P, 'not_since')}: (row): malformed CSV",
)

# --- header --------------------------------------------------------------------------
case(
    "missing_column",
    {E: drop_column(E, "source_wording")},
    f"{E}:1: source_wording: required column is missing",
)
case(
    "extra_column",
    {P: map_rows(P, lambda n, c: [*c, "confidence" if n == 1 else "high"])},
    f"{P}:1: confidence: unknown column",
)
case(
    "duplicated_column",
    {S: map_rows(S, lambda n, c: [*c, "notes" if n == 1 else ""])},
    f"{S}:1: notes: column appears more than once",
)
case(
    "columns_out_of_order",
    {I: swap_columns(I, "minus2", "plus2")},
    f"{I}:1: (row): columns out of order; expected {','.join(header(I))}",
)

# --- rows and cells ----------------------------------------------------------------------
case(
    "row_too_few_fields",
    {
        P: sub(
            P,
            "pundit_view",
            "Thinks A arms B a little.,,fixture,\n",
            "Thinks A arms B a little.,,fixture\n",
        )
    },
    f"{P}:{line_of(P, 'pundit_view')}: (row): has {len(header(P)) - 1} fields; "
    f"the header has {len(header(P))}",
)
case(
    "row_too_many_fields",
    {E: sub(E, "missiles", "missiles to B.,fixture,\n", "missiles to B.,fixture,,extra\n")},
    f"{E}:{line_of(E, 'missiles')}: (row): has {len(header(E)) + 1} fields; "
    f"the header has {len(header(E))}",
)
case(
    "blank_required_value",
    {I: sub(I, "talks", "talks,Talks,", "talks,,")},
    f"{I}:{line_of(I, 'talks')}: name: a value is required",
)
case(
    "whitespace_around_value",
    {P: sub(P, "not_since", "not_since,lead_a,", "not_since,lead_a ,")},
    f"{P}:{line_of(P, 'not_since')}: actor_id: has leading or trailing spaces",
)
case(
    "impossible_date",
    {P: sub(P, "pundit_view", "2024-09-01,month", "2024-13-01,month")},
    f"{P}:{line_of(P, 'pundit_view')}: said: not a real date",
)
case(
    "date_wrong_format",
    {P: sub(P, "never_armed", "arms,2024-09-23,day,2022-02-24", "arms,23/09/2024,day,2022-02-24")},
    f"{P}:{line_of(P, 'never_armed')}: said: must be a date written YYYY-MM-DD",
)
case(
    "stance_out_of_range",
    {P: sub(P, "never_armed", ",never,-2,", ",never,3,")},
    f"{P}:{line_of(P, 'never_armed')}: stance: must be between -2 and 2",
)
case(
    "stance_not_integer",
    {E: sub(E, "drones_2022", ",false,2,reported,", ",false,1.5,reported,")},
    f"{E}:{line_of(E, 'drones_2022')}: stance: must be a whole number",
)
case(
    "stance_fullwidth_digit",
    {P: sub(P, "never_armed", ",never,-2,", ",never,-\uff12,")},
    f"{P}:{line_of(P, 'never_armed')}: stance: must be a whole number",
)
case(
    "status_not_in_enum",
    {E: sub(E, "missiles", ",rumoured,", ",probable,")},
    f"{E}:{line_of(E, 'missiles')}: status: "
    "must be one of: confirmed, reported, alleged, rumoured, disputed",
)
case(
    "kind_not_in_enum",
    {A: sub(A, "BBB", "BBB,State B,state,", "BBB,State B,State,")},
    f"{A}:{line_of(A, 'BBB')}: kind: must be one of: state, person, "
    "government_body, armed_group, alliance, bloc, organisation, media, analyst "
    "(did you mean 'state'?)",
)
case(
    "boolean_not_true_false",
    {E: sub(E, "ministry_meeting", ",consult,true,", ",consult,yes,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: negated: must be one of: true, false",
)
case(
    "url_not_http",
    {S: sub(S, "fixture", "2024-10,,dataset", "2024-10,ftp://example.org/fixture.csv,dataset")},
    f"{S}:{line_of(S, 'fixture')}: url: must be an http(s) URL",
)
case(
    "quote_too_long",
    {P: sub(P, "never_armed", ",we never armed B,", "," + "q" * 301 + ",")},
    f"{P}:{line_of(P, 'never_armed')}: quote: longer than 300 characters",
)

# --- keys ------------------------------------------------------------------------------
case(
    "duplicate_primary_id",
    {P: sub(P, "not_since", "not_since,lead_a,", "never_armed,lead_a,")},
    f"{P}:{line_of(P, 'not_since')}: position_id: "
    f"duplicate id; first used on line {line_of(P, 'never_armed')}",
)
case(
    "position_id_breaks_pattern",
    {P: sub(P, "pundit_view", "pundit_view,", "Pundit-View,")},
    f"{P}:{line_of(P, 'pundit_view')}: position_id: must match the pattern [a-z][a-z0-9_]*",
)
case(
    "actor_id_breaks_pattern",
    {A: sub(A, "BBB", "BBB,State B,", "Iran,State B,")},
    f"{A}:{line_of(A, 'BBB')}: actor_id: must match the pattern [A-Z]{{3}}|[a-z][a-z0-9_]*",
    *[ref for ref in dangling_actor_refs() if ": target_id: " in ref],  # BBB is only a target
)
case(
    "unknown_actor_near_miss",
    {P: sub(P, "never_armed", "never_armed,lead_a,", "never_armed,lead_b,")},
    f"{P}:{line_of(P, 'never_armed')}: actor_id: unknown actor id (did you mean 'lead_a'?)",
)
case(
    "unknown_issue_id",
    {E: sub(E, "drones_2022", ",BBB,arms,2022", ",BBB,weapons,2022")},
    f"{E}:{line_of(E, 'drones_2022')}: issue_id: unknown issue id",
)
case(
    "unknown_source_id",
    {I: sub(I, "talks", "seeks talks,fixture,", "seeks talks,nosuch,")},
    f"{I}:{line_of(I, 'talks')}: source_id: unknown source id",
)
case(
    "speaks_for_cycle",
    {A: sub(A, "AAA", "AAA,State A,state,,", "AAA,State A,state,lead_a,")},
    f"{A}:{line_of(A, 'AAA')}: speaks_for: speaks-for chain is a cycle: AAA -> lead_a -> AAA",
)
case(
    "speaks_for_self",
    {A: sub(A, "pundit", "pundit,A pundit,analyst,,", "pundit,A pundit,analyst,pundit,")},
    f"{A}:{line_of(A, 'pundit')}: speaks_for: speaks-for chain is a cycle: pundit -> pundit",
)

# --- rules across cells ----------------------------------------------------------------------
case(
    "event_start_after_end",
    {E: sub(E, "ministry_meeting", ",2024-10-11,2024-10-11,day,", ",2024-10-12,2024-10-11,day,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: end: is before start 2024-10-12",
)
case(
    "empty_start_not_range",
    {E: sub(E, "drones_2022", ",2022-06-01,2022-08-31,season,", ",,2022-08-31,season,")},
    f"{E}:{line_of(E, 'drones_2022')}: start: may be empty only when precision is 'range'",
)
MONTH_RULE = "a month-precision date must run from the first to the last day of one month"
case(
    "month_precision_not_whole_month",
    {E: sub(E, "ministry_meeting", ",2024-10-11,2024-10-11,day,", ",2024-10-11,2024-10-11,month,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: precision: {MONTH_RULE}",
)
case(
    "month_precision_spans_two_years",
    {E: sub(E, "ministry_meeting", ",2024-10-11,2024-10-11,day,", ",2024-10-01,2025-10-31,month,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: precision: {MONTH_RULE}",
)
case(
    "window_start_after_window_end",
    {P: sub(P, "not_since", ",2024-08-30,2024-09-23,", ",2024-09-30,2024-09-23,")},
    f"{P}:{line_of(P, 'not_since')}: window_end: is before window_start 2024-09-30",
)
case(
    "said_not_first_of_month",
    {P: sub(P, "pundit_view", "2024-09-01,month", "2024-09-02,month")},
    f"{P}:{line_of(P, 'pundit_view')}: said: "
    "with precision 'month' must be the first day of that month",
)

# --- line numbers and many problems at once ----------------------------------------------------
case(
    "line_numbers_after_multiline_cell",
    {
        P: sub(
            P,
            "pundit_view",
            "2024-09-01,month,,,,1,",
            "2024-09-01,month,,,,5,",
            sub(P, "never_armed", ",Denies ever arming B.,", MULTILINE),
        )
    },
    f"{P}:{line_of(P, 'pundit_view') + 1}: stance: must be between -2 and 2",
)
case(
    "many_problems_in_many_files",
    {
        S: sub(S, "fixture", "2024-10,,dataset", "2024-10,,blog"),
        A: sub(A, "pundit", "pundit,A pundit,analyst,,", "pundit,A pundit,analyst,pundit,"),
        P: sub(P, "never_armed", ",never,-2,", ",never,3,"),
        E: sub(
            E,
            "ministry_meeting",
            ",consult,true,",
            ",consult,yes,",
            sub(E, "missiles", ",rumoured,", ",probable,"),
        ),
    },
    f"{S}:{line_of(S, 'fixture')}: kind: must be one of: news_report",
    f"{A}:{line_of(A, 'pundit')}: speaks_for: speaks-for chain is a cycle: pundit -> pundit",
    f"{P}:{line_of(P, 'never_armed')}: stance: must be between -2 and 2",
    f"{E}:{line_of(E, 'missiles')}: status: must be one of:",
    f"{E}:{line_of(E, 'ministry_meeting')}: negated: must be one of: true, false",
)


def main() -> None:
    for old in HERE.iterdir():
        if (old / "expected.txt").exists():
            shutil.rmtree(old)
    for name, (files, expected) in CASES.items():
        d = HERE / name
        d.mkdir()
        for fname, data in files.items():
            (d / fname).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        (d / "expected.txt").write_text("".join(f"{e}\n" for e in expected), encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
