"""The bad-input corpus in tests/bad/: one small case per rule of the loader.

Each case directory overlays the valid base in tests/fixtures/minimal/ and says in
``expected.txt`` which problems ``research.validate`` must report (see tests/bad/README.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import research
from research.schema import TABLE_ORDER, schema

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad"
BASE = Path(__file__).resolve().parent / "fixtures" / "minimal"
ABSENT = ".absent"  # `events.csv.absent` in a case: delete events.csv from the copy
META = {"expected.txt", "counts.txt"}
TABLE_FILES = {schema()[t].path for t in TABLE_ORDER}
CASES = sorted(d for d in BAD.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))


@dataclass(frozen=True)
class Expected:
    """One line of expected.txt: ``file:line: column: rule fragment``."""

    file: str
    line: int
    column: str
    fragment: str

    @property
    def prefix(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: "

    def matches(self, p: research.Problem) -> bool:
        return (p.file, p.line, p.column) == (self.file, self.line, self.column) and (
            self.fragment in p.rule
        )

    def __str__(self) -> str:
        return self.prefix + self.fragment


def expected(case: Path) -> list[Expected]:
    out = []
    for raw in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        where, column, fragment = raw.split(": ", 2)
        file, line = where.rsplit(":", 1)
        out.append(Expected(file, int(line), column, fragment))
    return out


def counts_override(case: Path) -> dict[str, int]:
    path = case / "counts.txt"
    if not path.exists():
        return {}
    pairs = (line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name: int(n) for name, n in pairs}


def build(case: Path, tmp_path: Path) -> Path:
    """Copy the base to tmp_path and overlay the case's files on it."""
    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    for f in case.iterdir():
        if f.name in META:
            continue
        if f.name.endswith(ABSENT):
            (data / f.name.removesuffix(ABSENT)).unlink()
        else:
            shutil.copyfile(f, data / f.name)
    return data


def rejected(case: Path) -> bool:
    return bool(expected(case))


def shown(problems: list[research.Problem]) -> str:
    return "\n".join(str(p) for p in problems) or "(none)"


@pytest.fixture(scope="module")
def base_counts() -> dict[str, int]:
    return research.load(BASE).counts()


# --- the corpus itself ---------------------------------------------------------------


def test_base_is_valid():
    assert research.validate(BASE) == []


@pytest.mark.parametrize("case", CASES, ids=lambda d: d.name)
def test_case_is_well_formed(case: Path):
    names = {f.name for f in case.iterdir()}
    assert "expected.txt" in names
    overlays = {n.removesuffix(ABSENT) for n in names - META}
    assert overlays, "a case must replace or remove at least one table file"
    assert overlays <= TABLE_FILES, f"not a table file: {sorted(overlays - TABLE_FILES)}"
    for name in names - META:
        if not name.endswith(ABSENT):
            assert (case / name).read_bytes() != (BASE / name).read_bytes(), f"{name} is unchanged"
    assert counts_override(case).keys() <= set(TABLE_ORDER)


# Every message family of the loader is exercised by some expected line.
RULES = [
    "not valid UTF-8",
    "file is empty",
    "file is missing",
    "malformed CSV",
    "required column is missing",
    "unknown column",
    "column appears more than once",
    "columns out of order",
    "fields; the header has",
    "a value is required",
    "has leading or trailing spaces",
    "not a real date",
    "must be a date written YYYY-MM-DD",
    "must be a whole number",
    "must be between -2 and 2",
    "must be one of: confirmed",
    "must be one of: true, false",
    "(did you mean",
    "must match the pattern",
    "longer than 300 characters",
    "must be an http(s) URL",
    "duplicate id",
    "unknown actor id",
    "unknown issue id",
    "unknown source id",
    "is before start",
    "may be empty only when precision is 'range'",
    "a month-precision date must run",
    "is before window_start",
    "must be the first day of that month",
    "speaks-for chain is a cycle",
]


def test_corpus_covers_every_rule():
    fragments = [e.fragment for case in CASES for e in expected(case)]
    missing = [r for r in RULES if not any(r in f for f in fragments)]
    assert not missing, f"no case in tests/bad/ expects: {missing}"
    assert sum(not rejected(c) for c in CASES) >= 3, "accepted cases (BOM, CRLF, multi-line)"
    assert any(len({e.file for e in expected(c)}) >= 3 for c in CASES), "a many-file case"


# --- validate --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda d: d.name)
def test_validate(case: Path, tmp_path: Path, base_counts: dict[str, int]):
    data = build(case, tmp_path)
    problems = research.validate(data)
    want = expected(case)
    if not want:
        assert problems == [], f"an accepted case was rejected:\n{shown(problems)}"
        assert research.load(data).counts() == {**base_counts, **counts_override(case)}
        return
    unmatched = list(problems)
    for e in want:
        hit = next((p for p in unmatched if e.matches(p)), None)
        assert hit is not None, f"expected {e}\ngot:\n{shown(problems)}"
        unmatched.remove(hit)
    assert len(problems) == len(want), f"unexpected problems:\n{shown(unmatched)}"


def test_multiline_cell_keeps_physical_line_numbers(tmp_path: Path):
    # The case splits the summary of the first position over two lines.
    base = research.load(BASE).positions.attrs["lines"]
    positions = research.load(build(BAD / "quoted_comma_and_newline", tmp_path)).positions
    assert positions.attrs["lines"] == [base[0]] + [n + 1 for n in base[1:]]
    assert positions.summary[0] == "Denies ever arming B,\nin so many words."


def test_crlf_leaves_no_carriage_returns(tmp_path: Path):
    events = research.load(build(BAD / "crlf_line_endings", tmp_path)).events
    cells = events.select_dtypes(include="string").stack()
    assert len(cells) and not cells.str.contains("\r").any()
    assert events.attrs["lines"] == research.load(BASE).events.attrs["lines"]


# --- load -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if rejected(c)], ids=lambda d: d.name)
def test_load_raises_every_problem_at_once(case: Path, tmp_path: Path):
    data = build(case, tmp_path)
    with pytest.raises(research.DataError) as info:
        research.load(data)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.problems == research.validate(data)
    lines = str(err).splitlines()
    n = len(err.problems)
    assert lines[0] == f"{n} problem{'s' if n != 1 else ''} in the data:"
    for e in expected(case):
        assert any(line.startswith(e.prefix) and e.fragment in line for line in lines), (
            f"{e} not in:\n{err}"
        )


# --- command line -------------------------------------------------------------------------


CLI_CASE = BAD / "many_problems_in_many_files"


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, str, str]]:
    """``python -m research validate`` on a bad case and on the base, run side by side
    (each start imports pandas, which takes a while)."""
    bad = build(CLI_CASE, tmp_path_factory.mktemp("cli"))
    procs = {
        name: (
            data,
            subprocess.Popen(
                [sys.executable, "-m", "research", "validate", str(data)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            ),
        )
        for name, data in (("bad", bad), ("base", BASE))
    }
    runs = {}
    try:
        for name, (data, proc) in procs.items():
            out, err = proc.communicate(timeout=60)
            runs[name] = (data, proc.returncode, out, err)
    finally:
        for _, proc in procs.values():
            proc.kill()
    return runs


def test_cli_reports_problems_and_exits_1(cli_runs):
    data, code, out, err = cli_runs["bad"]
    assert code == 1, err
    lines = err.splitlines()
    want = expected(CLI_CASE)
    assert lines[0] == f"{data}: {len(want)} problems"
    assert len(lines) == 1 + len(want), err
    for e in want:
        assert any(line.startswith(e.prefix) and e.fragment in line for line in lines), err
    assert out == ""


def test_cli_accepts_base_and_prints_counts(cli_runs, base_counts: dict[str, int]):
    data, code, out, err = cli_runs["base"]
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{data}: valid"
    for name, n in base_counts.items():
        assert any(line.split()[:3] == [name, str(n), "rows"] for line in lines[1:]), out
