"""Large CSV files are read a column at a time by Arrow; small ones by the csv module.

Both readers must agree on every file: the same tables from a good directory, the same
problems (file, line, column, value, rule) from every case of the bad-input corpus, and
the same tables when cells hold quotes, commas, CRLF line ends or a byte-order mark.
``research.load.ARROW_MIN_BYTES`` decides which reader a file gets; the tests set it to
0 (Arrow wherever it can) and out of reach (the csv module always).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

import research
import research.load
from research.schema import TABLE_ORDER

load_mod = sys.modules["research.load"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASE = HERE / "fixtures" / "minimal"
BAD = HERE / "bad"
CASES = sorted(d for d in BAD.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))
NEVER = 1 << 62


def _both(monkeypatch, fn):
    """``fn()`` read by the csv module, then by Arrow wherever it can."""
    monkeypatch.setattr(load_mod, "ARROW_MIN_BYTES", NEVER)
    by_rows = fn()
    monkeypatch.setattr(load_mod, "ARROW_MIN_BYTES", 0)
    return by_rows, fn()


def _same_tables(a: research.Tables, b: research.Tables) -> None:
    for name, frame in a:
        pd.testing.assert_frame_equal(frame, getattr(b, name), check_exact=True)
        assert (a.lines[name] == b.lines[name]).all()


def _arrow_reads(monkeypatch, data: Path) -> int:
    """How many of the directory's files Arrow read."""
    calls = []
    real = load_mod._read_plain

    def spy(raw: bytes):
        out = real(raw)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(load_mod, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(load_mod, "_read_plain", spy)
    research.validate(data)
    return sum(calls)


@pytest.mark.parametrize("data", [ROOT / "data", BASE], ids=["bundled", "minimal"])
def test_both_readers_load_the_same_tables(monkeypatch, data: Path):
    a, b = _both(monkeypatch, lambda: research.load(data))
    _same_tables(a, b)
    # The bundled cases' files hold quotes and commas in quoted cells: Arrow reads them.
    assert _arrow_reads(monkeypatch, data) >= 8


@pytest.mark.parametrize("case", CASES, ids=lambda d: d.name)
def test_both_readers_report_the_same_problems(monkeypatch, tmp_path: Path, case: Path):
    from test_bad_input import build

    data = build(case, tmp_path)
    a, b = _both(monkeypatch, lambda: research.validate(data))
    assert [str(p) for p in a] == [str(p) for p in b]


def _edit(tmp_path: Path, table: str, fn) -> Path:
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(BASE, data)
    path = data / f"{table}.csv"
    path.write_bytes(fn(path.read_bytes()))
    return data


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="bom"),
        pytest.param(lambda b: b.rstrip(b"\n"), id="no-final-line-end"),
    ],
)
def test_line_ends_and_bom_read_alike(monkeypatch, tmp_path: Path, edit):
    data = _edit(tmp_path, "events", edit)
    a, b = _both(monkeypatch, lambda: research.load(data))
    _same_tables(a, b)
    assert _arrow_reads(monkeypatch, data) == len(TABLE_ORDER)  # every table file


def _on_first_row(data: bytes, fn) -> bytes:
    header, first, rest = data.split(b"\n", 2)
    return b"\n".join([header, fn(first), rest])


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda b: b.replace(b"\n", b"\n\n", 2), "a blank line"),
        (lambda b: b.replace(b"\n", b"\r", 3), "a lone carriage return"),
        (lambda b: _on_first_row(b, lambda r: r.replace(b",", b',"x"y', 1)), "closed early"),
        (lambda b: _on_first_row(b, lambda r: r.replace(b",", b',"open', 1)), "left open"),
    ],
    ids=["blank-line", "lone-cr", "quote-closed-early", "quote-left-open"],
)
def test_files_arrow_could_misread_go_to_the_csv_module(monkeypatch, tmp_path, edit, why):
    data = _edit(tmp_path, "events", edit)
    a, b = _both(monkeypatch, lambda: research.validate(data))
    assert [str(p) for p in a] == [str(p) for p in b], why
    assert _arrow_reads(monkeypatch, data) == len(TABLE_ORDER) - 1, why  # not events.csv


def test_a_quoted_line_break_is_read_by_the_csv_module(monkeypatch, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    path = data / "events.csv"
    text = path.read_text()
    header, first, *rest = text.split("\n")
    cells = first.split(",")
    notes = header.split(",").index("notes")
    cells[notes] = '"two\nlines"'
    path.write_text("\n".join([header, ",".join(cells), *rest]))
    a, b = _both(monkeypatch, lambda: research.load(data))
    _same_tables(a, b)
    assert "two\nlines" in set(b.events["notes"].dropna())
