"""Rebuild the bad-input corpus in tests/bad/ from the base in tests/fixtures/minimal/.

Run it after the base or the schema changes:  .venv/bin/python tests/bad/make_cases.py
Each case is the base with one minimal change. The line numbers in expected.txt are
read from the base, so adding rows to the base does not break them. The rule texts
are written out here on purpose: the corpus states what the loader must say, it does
not copy it from the loader.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from research.schema import MODEL_VERSION

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "fixtures" / "minimal"


def base(name: str) -> str:
    return (BASE / name).read_text(encoding="utf-8")


def lines(name: str) -> list[str]:
    return base(name).splitlines(keepends=True)


def header(name: str) -> list[str]:
    return lines(name)[0].rstrip("\n").split(",")


def _row(rows: list[str], name: str, key: str) -> int:
    """Index of the row that starts with the cells in key ("summit" or "summit,arms")."""
    found = [i for i, text in enumerate(rows) if text.startswith(key + ",")]
    assert len(found) == 1, f"{name}: {len(found)} rows start with {key!r}"
    return found[0]


def line_of(name: str, key: str) -> int:
    """Physical line of the row whose first cells are key (the base has no quoted cells)."""
    return _row(lines(name), name, key) + 1


def sub(name: str, key: str, old: str, new: str, text: str | None = None) -> str:
    """The base file (or text) with old replaced by new in the row whose first cells are key."""
    rows = (base(name) if text is None else text).splitlines(keepends=True)
    i = _row(rows, name, key)
    assert rows[i].count(old) == 1, f"{name}: {old!r} occurs {rows[i].count(old)} times in {key}"
    rows[i] = rows[i].replace(old, new)
    return "".join(rows)


def drop_row(name: str, key: str) -> str:
    rows = lines(name)
    del rows[_row(rows, name, key)]
    return "".join(rows)


def add_row(name: str, row: str) -> tuple[str, int]:
    """The base file with row appended, and the line the new row is on."""
    return base(name) + row + "\n", len(lines(name)) + 1


def without_rows(name: str, keep: Callable[[list[str]], bool]) -> str:
    rows = lines(name)
    return rows[0] + "".join(r for r in rows[1:] if keep(r.rstrip("\n").split(",")))


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


def json_text(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


ACTOR_LIST = "every id in the list is an actor"


def dangling_actor_refs(gone: set[str] | None = None) -> list[str]:
    """Every reference in the base to an actor in gone (None: to any actor), as the
    problems the loader reports once those actors are no longer in actors.csv."""
    from research.schema import TABLE_ORDER, rules, schema

    lists = [(r.table, r.params["column"]) for r in rules() if r.kind == "id_list"]
    out = []
    for t in (schema()[name] for name in TABLE_ORDER if name != "actors"):
        refs = [fk.column for fk in t.foreign_keys if fk.table == "actors"]
        listed = [c for table, c in lists if table == t.name]
        records = list(csv.reader(io.StringIO(base(t.path), newline="")))
        cols = records[0]
        for n, cells in enumerate(records[1:], 2):
            for c in refs:
                value = cells[cols.index(c)]
                if value and (gone is None or value in gone):
                    out.append(f"{t.path}:{n}: {c}: unknown actor id")
            for c in listed:
                for x in filter(None, cells[cols.index(c)].split(";")):
                    if gone is None or x in gone:
                        out.append(f"{t.path}:{n}: {c}: {ACTOR_LIST}: unknown actor id {x!r}")
    return out


CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {}


def case(name: str, files: dict[str, str | bytes], *expected: str) -> None:
    assert name not in CASES, name
    CASES[name] = (files, list(expected))


C, S, A, R, I = "cases.csv", "sources.csv", "actors.csv", "roles.csv", "issues.csv"  # noqa: E741
P, E, EI, CI = "positions.csv", "events.csv", "event_issues.csv", "citations.csv"
DP, RJ = "datapackage.json", "rules.json"
MULTILINE = ',"Denies ever arming B,\nin so many words.",'
CSV_LIMIT = csv.field_size_limit()
CONTROL = "no NUL or other control characters (tabs and line breaks inside quoted cells excepted)"
DIFFERS = "differs from the declaration this version of research reads"
RANGE = "a range must not end before it starts"
CYCLE = "who acts for whom must not go round in a cycle"
DATE = (
    r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?|-2[1-4]|-W(0[1-9]|[1-4][0-9]|5[0-3]))?"
)

# --- accepted ----------------------------------------------------------------------
case("utf8_bom", {P: b"\xef\xbb\xbf" + base(P).encode()})
case("crlf_line_endings", {E: base(E).replace("\n", "\r\n").encode()})
case("quoted_comma_and_newline", {P: sub(P, "never_armed", ",Denies ever arming B.,", MULTILINE)})
case(
    "tab_in_quoted_cell",
    {P: sub(P, "never_armed", ",Denies ever arming B.,", ',"Denies\tever arming B.",')},
)
case(
    "quote_exactly_300_chars",
    {CI: sub(CI, "never_armed_c1", ",we never armed B,", "," + "q" * 300 + ",")},
)
case(
    "header_only_positions",
    {
        P: lines(P)[0],
        CI: without_rows(CI, lambda cells: not cells[1]),
        "counts.txt": "positions 0\ncitations 9\n",
    },
)
case(
    "header_only_events",
    {
        E: lines(E)[0],
        EI: lines(EI)[0],
        CI: without_rows(CI, lambda cells: not cells[2]),
        "counts.txt": "events 0\nevent_issues 0\ncitations 6\n",
    },
)
case(
    "role_ends_in_its_start_month",  # the end 2024-08 runs to 31 August, after the start
    {R: sub(R, "lead_a_president", ",2024-08-30,,", ",2024-08-30,2024-08,")},
)
case(
    "condition_on_a_pledge",
    {P: sub(P, "talks_yes", ",described,,,2024,", ",described,if B stops,,2024,")},
)

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
case(
    "blank_first_line",
    {S: "\n" + base(S)},
    f"{S}:1: (file): the first line must be the header",
)
case("missing_file", {E + ".absent": b""}, f"{E}:0: (file): file is missing")
case("header_only_actors", {A: lines(A)[0]}, *dangling_actor_refs())
case(
    "unclosed_quote",
    {P: sub(P, "not_since", ",Denies arming B since", ',"Denies arming B since')},
    f"{P}:{line_of(P, 'not_since')}: (row): malformed CSV",
)
case(
    "cell_longer_than_csv_limit",
    {P: sub(P, "pundit_view", ",Thinks A arms B a little.,", "," + "x" * (CSV_LIMIT + 1) + ",")},
    f"{P}:{line_of(P, 'pundit_view')}: summary: is {CSV_LIMIT + 1:,} characters long; "
    f"the CSV reader's limit is {CSV_LIMIT:,} characters",
)
case(
    "nul_in_cell",
    {P: sub(P, "never_armed", "Denies ever arming B.", "Denies ever\x00 arming B.")},
    f"{P}:{line_of(P, 'never_armed')}: summary: {CONTROL}: U+0000 at character 12",
)
case(
    "control_character_in_cell",
    {S: sub(S, "wire", "Synthetic wire copy", "Synthetic\x1b wire copy")},
    f"{S}:{line_of(S, 'wire')}: title: {CONTROL}: U+001B at character 10",
)

# --- header --------------------------------------------------------------------------
case(
    "missing_column",
    {CI: drop_column(CI, "source_wording")},
    f"{CI}:1: source_wording: required column is missing",
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
    {R: sub(R, "min_a_organ", ",fixture,\n", ",fixture\n")},  # no row refers to min_a_organ
    f"{R}:{line_of(R, 'min_a_organ')}: (row): has {len(header(R)) - 1} fields; "
    f"the header has {len(header(R))}",
)
case(
    "row_too_many_fields",
    {CI: sub(CI, "summit_c2", ",met,,\n", ",met,,,\n")},  # no row refers to a citation
    f"{CI}:{line_of(CI, 'summit_c2')}: (row): has {len(header(CI)) + 1} fields; "
    f"the header has {len(header(CI))}",
)
case(
    "blank_required_value",
    {I: sub(I, "talks", "talks,Talks,", "talks,,")},
    f"{I}:{line_of(I, 'talks')}: name: a value is required",
)
case(
    "whitespace_around_value",
    {P: sub(P, "never_armed", "never_armed,case-a,lead_a,", "never_armed,case-a,lead_a ,")},
    f"{P}:{line_of(P, 'never_armed')}: speaker_id: has leading or trailing spaces",
)
case(
    "stance_out_of_range",
    {P: sub(P, "never_armed", ",arms,-2,", ",arms,3,")},
    f"{P}:{line_of(P, 'never_armed')}: stance: must be between -2 and 2",
)
case(
    "stance_not_integer",
    {EI: sub(EI, "drones_2022,arms", ",arms,2,", ",arms,1.5,")},
    f"{EI}:{line_of(EI, 'drones_2022,arms')}: stance: must be a whole number",
)
case(
    "stance_fullwidth_digit",
    {P: sub(P, "never_armed", ",arms,-2,", ",arms,-\uff12,")},
    f"{P}:{line_of(P, 'never_armed')}: stance: must be a whole number",
)
case(
    "status_not_in_enum",
    {CI: sub(CI, "missiles_c1", ",rumoured,", ",probable,")},
    f"{CI}:{line_of(CI, 'missiles_c1')}: status: "
    "must be one of: confirmed, reported, alleged, rumoured, disputed",
)
case(
    "actor_kind_not_in_enum",
    {A: sub(A, "BBB", "BBB,State B,state,", "BBB,State B,State,")},
    f"{A}:{line_of(A, 'BBB')}: kind: must be one of: state, person, government_body, firm, "
    "armed_group, alliance, bloc, organisation, media, analyst (did you mean 'state'?)",
)
case(
    "claim_not_in_enum",
    {P: sub(P, "never_armed", ",denial,", ",denies,")},
    f"{P}:{line_of(P, 'never_armed')}: claim: must be one of: denial, own_conduct, pledge, "
    "assessment, prediction, request, evidence (did you mean 'denial'",
)
case(
    "role_kind_not_in_enum",
    {R: sub(R, "lead_a_president", ",head_of_state,", ",president,")},
    f"{R}:{line_of(R, 'lead_a_president')}: kind: must be one of: head_of_state, "
    "head_of_government, minister, spokesperson, diplomat, official, state_organ, "
    "state_owned_firm, backed_armed_group, private_firm",
)
case(
    "occurrence_not_in_enum",
    {E: sub(E, "drones_2022", ",once,", ",twice,")},
    f"{E}:{line_of(E, 'drones_2022')}: occurrence: must be one of: once, throughout",
)
case(
    "boolean_not_true_false",
    {E: sub(E, "ministry_meeting", ",consult,true,", ",consult,yes,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: negated: must be one of: true, false",
)
case(
    "published_not_a_real_date",
    {S: sub(S, "fixture", ",2024-10,,dataset", ",2023-02-30,,dataset")},
    f"{S}:{line_of(S, 'fixture')}: published: must be a real date",
)
case(
    "url_not_http",
    {S: sub(S, "fixture", "2024-10,,dataset", "2024-10,ftp://example.org/fixture.csv,dataset")},
    f"{S}:{line_of(S, 'fixture')}: url: must be an http(s) URL",
)
case(
    "quote_too_long",
    {CI: sub(CI, "never_armed_c1", ",we never armed B,", "," + "q" * 301 + ",")},
    f"{CI}:{line_of(CI, 'never_armed_c1')}: quote: longer than 300 characters",
)

# --- dates ---------------------------------------------------------------------------------
case(
    "date_wrong_format",
    {P: sub(P, "never_armed", ",2024-09-23,2022", ",23/09/2024,2022")},
    f"{P}:{line_of(P, 'never_armed')}: said: must match the pattern ({DATE})(/({DATE}))?",
)
case(
    "impossible_day",
    {P: sub(P, "b_denies", ",2024-W39,", ",2023-02-29,")},
    f"{P}:{line_of(P, 'b_denies')}: said: not a real date (day is out of range for month)",
)
case(
    "impossible_month",
    {R: sub(R, "firm_a_private", ",2020,", ",2024-13,")},
    f"{R}:{line_of(R, 'firm_a_private')}: start: must match the pattern {DATE}",
)
case(
    "impossible_week_54",
    {E: sub(E, "ministry_meeting", ",2024-10-11,", ",2024-W54,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: when: must match the pattern",
)
case(
    "impossible_week_53",  # 2024 has 52 ISO weeks: the pattern allows W53, the calendar not
    {E: sub(E, "ministry_meeting", ",2024-10-11,", ",2024-W53,")},
    f"{E}:{line_of(E, 'ministry_meeting')}: when: not a real date (2024 has no ISO week 53)",
)
case(
    "impossible_season",
    {P: sub(P, "talks_yes", ",2024-09-30/..,", ",2024-25/..,")},
    f"{P}:{line_of(P, 'talks_yes')}: window: must match the pattern",
)

# --- keys ------------------------------------------------------------------------------
case(
    "duplicate_primary_id",
    {CI: sub(CI, "summit_c2", "summit_c2,", "summit_c1,")},
    f"{CI}:{line_of(CI, 'summit_c2')}: citation_id: "
    f"duplicate id; first used on line {line_of(CI, 'summit_c1')}",
)
case(
    "duplicate_composite_key",
    {EI: sub(EI, "summit,arms", "summit,arms,", "summit,talks,")},
    f"{EI}:{line_of(EI, 'summit,arms')}: (row): duplicate key (event_id, issue_id); "
    f"first used on line {line_of(EI, 'summit,talks')}",
)
CX = "code_issues.csv"
case(
    "code_issue_code_lost_its_leading_zero",  # a spreadsheet read 072 as a number
    {CX: sub(CX, "AAA,BBB,072", ",072,", ",72,")},
    f"{CX}:{line_of(CX, 'AAA,BBB,072')}: cameo_code: must match the pattern "
    "(0[1-9]|1[0-9]|20)[0-9]{0,2}",
)
case(
    "code_issue_unknown_issue",
    {CX: sub(CX, "BBB,AAA,036", ",talks,", ",tallks,")},
    f"{CX}:{line_of(CX, 'BBB,AAA,036')}: issue_id: unknown issue id (did you mean 'talks'?)",
)
CX_TWICE, CX_TWICE_AT = add_row(CX, "AAA,BBB,07,arms,1,alleged,")
case(
    "code_issue_listed_twice",
    {CX: CX_TWICE},
    f"{CX}:{CX_TWICE_AT}: (row): duplicate key (doer_id, target_id, cameo_code, issue_id); "
    f"first used on line {line_of(CX, 'AAA,BBB,07')}",
)
case(
    "citation_id_breaks_pattern",
    {CI: sub(CI, "summit_c2", "summit_c2,", "Summit-C2,")},
    f"{CI}:{line_of(CI, 'summit_c2')}: citation_id: must match the pattern [a-z][a-z0-9_]*",
)
case(
    "actor_id_breaks_pattern",
    {A: sub(A, "BBB", "BBB,State B,", "Iran,State B,")},
    f"{A}:{line_of(A, 'BBB')}: actor_id: must match the pattern [A-Z]{{3}}|[a-z][a-z0-9_]*",
    *dangling_actor_refs({"BBB"}),
)
case(
    "unknown_actor_near_miss",
    {P: sub(P, "never_armed", "never_armed,case-a,lead_a,", "never_armed,case-a,lead_b,")},
    f"{P}:{line_of(P, 'never_armed')}: speaker_id: unknown actor id (did you mean 'lead_a'?)",
)
case(
    "unknown_issue_id",
    {EI: sub(EI, "drones_2022,arms", "drones_2022,arms,", "drones_2022,weapons,")},
    f"{EI}:{line_of(EI, 'drones_2022,arms')}: issue_id: unknown issue id",
)
case(
    "unknown_source_id",
    {I: sub(I, "talks", "seeks talks,fixture,", "seeks talks,nosuch,")},
    f"{I}:{line_of(I, 'talks')}: source_id: unknown source id",
)
case(
    "unknown_case_id",
    {E: sub(E, "b_shells", "b_shells,case-b,", "b_shells,case-c,")},
    f"{E}:{line_of(E, 'b_shells')}: case_id: unknown case id (did you mean",
)
case(
    "unknown_role_id",
    {P: sub(P, "not_since", ",lead_a_president,", ",lead_a_presdent,")},
    f"{P}:{line_of(P, 'not_since')}: window_from_role: "
    "unknown role id (did you mean 'lead_a_president'?)",
)
case(
    "unknown_event_id",  # summit keeps its other citation
    {CI: sub(CI, "summit_c2", ",summit,", ",sumit,")},
    f"{CI}:{line_of(CI, 'summit_c2')}: event_id: unknown event id (did you mean 'summit'?)",
)
case(
    "unknown_position_id",  # pundit_view has one citation, so it is left uncited too
    {CI: sub(CI, "pundit_view_c1", ",pundit_view,", ",pundit_veiw,")},
    f"{CI}:{line_of(CI, 'pundit_view_c1')}: position_id: "
    "unknown position id (did you mean 'pundit_view'",
    f"{P}:{line_of(P, 'pundit_view')}: position_id: "
    "every position is cited by at least one source in citations",
)

# --- rules.json: across cells, rows and tables ------------------------------------------------
case(
    "citation_cites_both",
    {CI: sub(CI, "never_armed_c1", ",never_armed,,", ",never_armed,drones_2022,")},
    f"{CI}:{line_of(CI, 'never_armed_c1')}: (row): "
    "cites exactly one row: fill position_id or event_id, not both",
)
case(
    "citation_cites_neither",  # summit keeps its other citation
    {CI: sub(CI, "summit_c2", ",,summit,", ",,,")},
    f"{CI}:{line_of(CI, 'summit_c2')}: (row): "
    "cites exactly one row: fill position_id or event_id, not both",
)
case(
    "position_not_cited",
    {CI: drop_row(CI, "pundit_view_c1")},
    f"{P}:{line_of(P, 'pundit_view')}: position_id: "
    "every position is cited by at least one source in citations",
)
case(
    "event_not_cited",
    {CI: drop_row(CI, "missiles_c1")},
    f"{E}:{line_of(E, 'missiles')}: event_id: "
    "every deed is cited by at least one source in citations",
)
case(
    "event_bears_on_no_issue",
    {EI: drop_row(EI, "ministry_meeting,talks")},
    f"{E}:{line_of(E, 'ministry_meeting')}: event_id: "
    "every deed bears on at least one issue in event_issues",
)
case(
    "unknown_subject",
    {P: sub(P, "pundit_on_ab", ",AAA;BBB,", ",AAA;BBC,")},
    f"{P}:{line_of(P, 'pundit_on_ab')}: subjects: "
    f"{ACTOR_LIST}: unknown actor id 'BBC' (did you mean 'BBB'?)",
)
case(
    "unknown_doer",
    {E: sub(E, "summit", ",lead_a;BBB,", ",lead_b;BBB,")},
    f"{E}:{line_of(E, 'summit')}: doers: "
    f"{ACTOR_LIST}: unknown actor id 'lead_b' (did you mean 'lead_a'?)",
)
case(
    "unknown_target",
    {E: sub(E, "drones_2022", ",AAA,BBB,", ",AAA,XYZ,")},
    f"{E}:{line_of(E, 'drones_2022')}: targets: {ACTOR_LIST}: unknown actor id 'XYZ'",
)
case(
    "actor_listed_twice",
    {E: sub(E, "summit", ",lead_a;BBB,", ",lead_a;BBB;lead_a,")},
    f"{E}:{line_of(E, 'summit')}: doers: 'lead_a' is listed twice",
)
case(
    "said_ends_before_start",
    {P: sub(P, "pundit_on_ab", ",2024-07-30/2024-10-22,", ",2024-10-22/2024-07-30,")},
    f"{P}:{line_of(P, 'pundit_on_ab')}: said: {RANGE}",
)
case(
    "window_ends_before_start",
    {P: sub(P, "never_armed", ",2022-02-24/2024-09-23,", ",2024-09-23/2022-02-24,")},
    f"{P}:{line_of(P, 'never_armed')}: window: a window must not end before it starts",
)
case(
    "when_ends_before_start",
    {E: sub(E, "firm_parts", ",2024-09-01/2024-10-15,", ",2024-10-15/2024-09-01,")},
    f"{E}:{line_of(E, 'firm_parts')}: when: {RANGE}",
)
case(
    "role_ends_before_start",
    {R: sub(R, "lead_a_president", ",2024-08-30,,", ",2024-08-30,2023,")},
    f"{R}:{line_of(R, 'lead_a_president')}: end: a role must not end before it starts",
)
case(
    "window_from_another_actors_role",
    {P: sub(P, "not_since", ",lead_a_president,", ",firm_a_private,")},
    f"{P}:{line_of(P, 'not_since')}: window_from_role: "
    "the role that opens a window must be a role of the speaker (lead_a); "
    "it is a role of firm_a",
)
case(
    "window_from_role_without_start",
    {R: sub(R, "lead_a_president", ",2024-08-30,,", ",,,")},
    f"{P}:{line_of(P, 'not_since')}: window_from_role: "
    "the role that opens a window must have a start",
)
case(
    "window_from_role_window_not_open",
    {P: sub(P, "not_since", ",../2024-09-23,", ",2024-08-30/2024-09-23,")},
    f"{P}:{line_of(P, 'not_since')}: window: "
    "when window_from_role opens the window, the window must start with '..'",
)
case(
    "condition_on_a_denial",
    {P: sub(P, "never_armed", ",own_words,,,2024-09-23,", ",own_words,if asked,,2024-09-23,")},
    f"{P}:{line_of(P, 'never_armed')}: claim: only a prediction or a pledge has a condition",
)
case(
    "condition_event_without_condition",
    {P: sub(P, "never_armed", ",own_words,,,2024-09-23,", ",own_words,,summit,2024-09-23,")},
    f"{P}:{line_of(P, 'never_armed')}: condition: "
    "a deed that shows a condition came needs the condition it shows: fill condition",
)
case(
    "condition_event_of_another_case",
    {P: sub(P, "pundit_on_ab", ",if war breaks out,,", ",if war breaks out,b_shells,")},
    f"{P}:{line_of(P, 'pundit_on_ab')}: condition_event: "
    "the deed that shows a condition came must belong to the position's case (case-a); "
    "it is a deed of case case-b",
)
case(
    "unknown_counterpart",
    {P: sub(P, "never_armed", ",lead_a,,,arms,", ",lead_a,,BBC,arms,")},
    f"{P}:{line_of(P, 'never_armed')}: counterpart: "
    "the counterpart is an actor: unknown actor id 'BBC' (did you mean 'BBB'?)",
)
ROLES_CYCLE, _ = add_row(R, "aaa_for_lead,AAA,lead_a,official,,,,fixture,")
case(
    "roles_cycle",  # reported once, at the first line of a link in it
    {R: ROLES_CYCLE},
    f"{R}:{line_of(R, 'lead_a_president')}: for_id: {CYCLE}: AAA -> lead_a -> AAA",
)
ROLES_SELF, SELF_LINE = add_row(R, "pundit_self,pundit,pundit,official,,,,fixture,")
case("roles_self_loop", {R: ROLES_SELF}, f"{R}:{SELF_LINE}: for_id: {CYCLE}: pundit -> pundit")

# --- the descriptor and the rules -------------------------------------------------------------
PACKAGE = json.loads(base(DP))
RULES = json.loads(base(RJ))


def truncated_package() -> tuple[str, int]:
    """The descriptor cut after a `"key": "value",` line past its middle, and the line
    the JSON reader stops on (the one after the cut)."""
    rows = lines(DP)
    n = next(
        i
        for i in range(len(rows) // 2, len(rows))
        if re.fullmatch(r'\s*"\w+": "[^"]*",\n', rows[i])
    )
    return "".join(rows[: n + 1]), n + 2


TRUNCATED, TRUNCATED_AT = truncated_package()
case(
    "datapackage_truncated",
    {DP: TRUNCATED},
    f"{DP}:{TRUNCATED_AT}: (char 1): not valid JSON: Expecting property name",
)
V1 = {k: v for k, v in PACKAGE.items() if k != "version"}  # version 1 had no version field
V1["resources"] = [
    r
    for r in PACKAGE["resources"]
    if r["name"] in {"sources", "actors", "issues", "positions", "events"}
]
case(
    "datapackage_version_1",
    {DP: json_text(V1)},
    f"{DP}:1: version: declares data model version 1; this package reads {MODEL_VERSION}: "
    "run `research migrate` on the directory",
)
LOOSER = json.loads(base(DP))
(STANCE,) = (
    f
    for r in LOOSER["resources"]
    if r["name"] == "positions"
    for f in r["schema"]["fields"]
    if f["name"] == "stance"
)
STANCE["constraints"]["maximum"] = 3
case(
    "datapackage_differs",
    {DP: json_text(LOOSER)},
    f"{DP}:1: resources[positions].schema.fields[stance].constraints.maximum: {DIFFERS}",
)
NO_CITATIONS = {
    **PACKAGE,
    "resources": [r for r in PACKAGE["resources"] if r["name"] != "citations"],
}
case(
    "datapackage_not_usable",
    {DP: json_text(NO_CITATIONS)},
    f"{DP}:1: (file): not a usable descriptor:",
)
case("datapackage_missing", {DP + ".absent": b""}, f"{DP}:0: (file): file is missing")
REWORDED = json.loads(base(RJ))
(ACYCLIC,) = [i for i, r in enumerate(REWORDED["rules"]) if r["id"] == "roles-acyclic"]
REWORDED["rules"][ACYCLIC]["text"] = "cycles are fine"
case(
    "rules_json_differs",
    {RJ: json_text(REWORDED)},
    f"{RJ}:1: rules[{REWORDED['rules'][ACYCLIC]['id']}].text: {DIFFERS}",
)
case("rules_json_missing", {RJ + ".absent": b""}, f"{RJ}:0: (file): file is missing")

# --- line numbers and many problems at once ----------------------------------------------------
case(
    "line_numbers_after_multiline_cell",
    {
        P: sub(
            P,
            "pundit_view",
            ",arms,1,",
            ",arms,5,",
            sub(P, "never_armed", ",Denies ever arming B.,", MULTILINE),
        )
    },
    f"{P}:{line_of(P, 'pundit_view') + 1}: stance: must be between -2 and 2",
)
case(
    "many_problems_in_many_files",
    {
        S: sub(S, "fixture", "2024-10,,dataset", "2024-10,,blog"),
        R: ROLES_SELF,
        P: sub(P, "never_armed", ",arms,-2,", ",arms,3,"),
        E: sub(E, "missiles", ",once,", ",twice,"),
        CI: sub(
            CI,
            "ministry_meeting_c1",
            ",confirmed,false,",
            ",probable,yes,",
        ),
    },
    f"{S}:{line_of(S, 'fixture')}: kind: must be one of: news_report",
    f"{R}:{SELF_LINE}: for_id: {CYCLE}: pundit -> pundit",
    f"{P}:{line_of(P, 'never_armed')}: stance: must be between -2 and 2",
    f"{E}:{line_of(E, 'missiles')}: occurrence: must be one of: once, throughout",
    f"{CI}:{line_of(CI, 'ministry_meeting_c1')}: status: must be one of: confirmed",
    f"{CI}:{line_of(CI, 'ministry_meeting_c1')}: denies: must be one of: true, false",
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
