"""Column-wise validation: the vectorised screens never judge differently from the parser.

``research.load`` checks a frame's Arrow-backed string columns on whole arrays and
parses one by one only what a screen doubts; every other column (CSV files, object
or typed frame columns) is parsed one distinct value at a time. Both ways must report
the same problems and build the same tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import research
from research.columnar import WHITESPACE, arrow_strings
from research.load import _parse_cell, _surely_valid
from research.schema import TABLE_ORDER, schema

HERE = Path(__file__).resolve().parent
BASE = HERE / "fixtures" / "minimal"
BAD = HERE / "bad"
TEXT_FIELDS = [
    (t.name, f) for t in schema().tables for f in t.fields if f.type not in ("integer", "boolean")
]


def test_whitespace_is_what_strip_removes():
    spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(WHITESPACE) == spaces
    assert len(WHITESPACE) == len(spaces)


def _screen(f, values: list[str]) -> np.ndarray:
    cells = pd.Series(values, dtype=pd.StringDtype("pyarrow"))
    return _surely_valid(f, arrow_strings(cells))


def _texts(f) -> st.SearchStrategy[str]:
    """Text near what the field accepts: its pattern or enum, edited, and any text."""
    edits = st.sampled_from(["", " ", "\t", "\x00", "\x7f", "\u00a0", "\u3000", "é", "\n", "x"])
    near = [st.text(max_size=12)]
    if f.pattern is not None:
        near.append(st.from_regex(f.pattern, fullmatch=True))
    if f.enum is not None:
        near.append(st.sampled_from(f.enum))
    if f.format == "uri":
        near.append(st.from_regex(r"https?://[^\s]+", fullmatch=True))
    base = st.one_of(near)
    return st.one_of(base, st.tuples(edits, base, edits).map("".join))


@pytest.mark.parametrize(("table", "f"), TEXT_FIELDS, ids=lambda x: getattr(x, "name", x))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_screen_passes_only_what_the_parser_accepts(table, f, data):
    values = data.draw(st.lists(_texts(f), min_size=1, max_size=20))
    for value, sure in zip(values, _screen(f, values), strict=True):
        if value == "":  # an empty cell is not the screen's to judge
            continue
        rule = _parse_cell(f, value)[1]
        if sure:
            assert rule is None, (value, rule)
        else:  # and it is worth having: it passes every valid value
            assert rule is not None, f"{table}.{f.name}: the screen doubts valid {value!r}"


# --- frames: Arrow-backed and Python strings agree ------------------------------------


def _frames(data: Path, dtype) -> dict[str, pd.DataFrame] | None:
    frames = {}
    for t in TABLE_ORDER:
        path = data / schema()[t].path
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (OSError, ValueError, pd.errors.ParserError):
            return None
        frames[t] = df.astype(dtype)
    return frames


def _outcome(frames: dict[str, pd.DataFrame]):
    try:
        t = research.Tables.from_frames(**frames)
    except research.DataError as e:
        return e.problems
    return {name: df for name, df in t}


def _same(a, b) -> None:
    if isinstance(a, list) or isinstance(b, list):
        assert a == b
        return
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def _bad_cases() -> list[Path]:
    return sorted(d for d in BAD.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))


@pytest.mark.parametrize("case", _bad_cases(), ids=lambda d: d.name)
def test_screened_and_parsed_frames_agree_on_the_corpus(case: Path, tmp_path: Path):
    from test_bad_input import build

    data = build(case, tmp_path)
    arrow = _frames(data, pd.StringDtype("pyarrow"))
    if arrow is None:
        pytest.skip("pandas cannot read this case's files")
    _same(_outcome(arrow), _outcome(_frames(data, object)))


TRICKY = [
    "", " ", "x ", " x", "X", "é", "\x01", "\u00a0", "a;a", "AAA;AAA", "2024-13", "2024-W54",
    "2023-02-29", "2024/2023", "../..", "-3", "+1", "01", "true", "True", "x" * 301,
    "http://a b", "https://ok.example", "case-a", "lead_a", "arms", "drones", "news_report",
]  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_screened_and_parsed_frames_agree_on_edited_tables(data):
    """Random cells of the valid base set to tricky text: both ways report alike."""
    arrow = _frames(BASE, pd.StringDtype("pyarrow"))
    assert arrow is not None
    for _ in range(data.draw(st.integers(1, 4))):
        name = data.draw(st.sampled_from(TABLE_ORDER))
        df = arrow[name]
        if not len(df):
            continue
        column = data.draw(st.sampled_from(list(df.columns)))
        row = data.draw(st.integers(0, len(df) - 1))
        value = data.draw(st.one_of(st.sampled_from(TRICKY), st.sampled_from(df[column].tolist())))
        df = df.copy()
        df.loc[row, column] = value
        arrow[name] = df
    python = {name: df.astype(object) for name, df in arrow.items()}
    _same(_outcome(arrow), _outcome(python))


# --- frames: typed columns are read as the text a CSV file would hold -------------------


def test_typed_columns_read_as_their_text():
    text = _frames(BASE, object)
    typed = {name: df.copy() for name, df in text.items()}
    positions, events = typed["positions"], typed["events"]
    positions["stance"] = positions["stance"].astype(float)  # 2.0 is "2"
    positions["claim"] = positions["claim"].astype("category")
    events["negated"] = events["negated"].map({"true": True, "false": False})
    typed["event_issues"]["stance"] = typed["event_issues"]["stance"].astype("Int8")
    _same(_outcome(text), _outcome(typed))
    positions.loc[0, "stance"] = np.nan  # missing, as an empty cell is
    positions.loc[1, "stance"] = 2.5
    text["positions"].loc[0, "stance"] = ""
    text["positions"].loc[1, "stance"] = "2.5"
    problems = _outcome(typed)
    assert isinstance(problems, list) and len(problems) == 2
    _same(_outcome(text), problems)
