"""The bad-input corpus in tests/bad/: one small case per rule of the loader.

Each case directory overlays the valid base in tests/fixtures/minimal/ and says in
``expected.txt`` which problems ``research.validate`` must report (see tests/bad/README.md).
The cases are written by tests/bad/make_cases.py; every rule in data/rules.json needs one.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import research
from research.schema import TABLE_ORDER, rules, schema

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad"
BASE = Path(__file__).resolve().parent / "fixtures" / "minimal"
ABSENT = ".absent"  # `events.csv.absent` in a case: delete events.csv from the copy
META = {"expected.txt", "counts.txt"}
TABLE_FILES = {schema()[t].path for t in TABLE_ORDER}
DESCRIPTORS = {"datapackage.json", "rules.json"}  # a case may replace or remove these too
CASES = sorted(d for d in BAD.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))

# Cases whose expectation is right but which the loader gets wrong today. When a
# table file cannot be read at all (missing, empty, malformed, a cell over the CSV
# reader's limit), research/load.py's _check_all adds a spurious
# "(data):0: (file): '': tables could not be read": its `not problems` test sees only
# the problems found after reading, not the reading problem already reported.
LOADER_BUGS: dict[str, str] = {}  # case -> known loader bug, marked as expected failure


def params(cases: list[Path]) -> list:
    """The cases as test parameters, the ones the loader gets wrong marked xfail (strict:
    once the loader is fixed they pass, and this list must shrink)."""
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(reason=LOADER_BUGS[c.name], strict=True)]
            if c.name in LOADER_BUGS
            else [],
        )
        for c in cases
    ]


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
    assert overlays, "a case must replace or remove at least one file of the base"
    allowed = TABLE_FILES | DESCRIPTORS
    assert overlays <= allowed, f"not a file of the base: {sorted(overlays - allowed)}"
    for name in names - META:
        if not name.endswith(ABSENT):
            assert (case / name).read_bytes() != (BASE / name).read_bytes(), f"{name} is unchanged"
    assert counts_override(case).keys() <= set(TABLE_ORDER)


# Every message family of the loader is exercised by some expected line.
MESSAGES = [
    "not valid UTF-8",
    "file is empty",
    "the first line must be the header",
    "file is missing",
    "malformed CSV",
    "the CSV reader's limit is",
    "no NUL or other control characters",
    "required column is missing",
    "unknown column",
    "column appears more than once",
    "columns out of order",
    "fields; the header has",
    "a value is required",
    "has leading or trailing spaces",
    "not a real date",
    "must be a whole number",
    "must be between -2 and 2",
    "must be one of: confirmed",
    "must be one of: true, false",
    "(did you mean",
    "must match the pattern",
    "longer than 300 characters",
    "must be an http(s) URL",
    "duplicate id",
    "duplicate key (event_id, issue_id)",
    "unknown actor id",
    "unknown case id",
    "unknown source id",
    "unknown issue id",
    "unknown role id",
    "unknown position id",
    "unknown event id",
    "is listed twice",
    "not valid JSON",
    "run `research migrate`",
    "not a usable descriptor",
    "differs from the declaration this version of research reads",
]


def test_corpus_covers_every_rule():
    fragments = [e.fragment for case in CASES for e in expected(case)]
    missing = [m for m in MESSAGES if not any(m in f for f in fragments)]
    assert not missing, f"no case in tests/bad/ expects: {missing}"
    assert sum(not rejected(c) for c in CASES) >= 3, "accepted cases (BOM, CRLF, multi-line)"
    assert any(len({e.file for e in expected(c)}) >= 3 for c in CASES), "a many-file case"


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
def test_every_rule_in_rules_json_has_a_case(rule):
    """A rule added to data/rules.json fails here until a case expects its text, in the
    rule's own table and on one of its columns (or the whole row)."""
    file = None if rule.table == "*" else schema()[rule.table].path
    columns = {*rule.columns(), "(row)"}
    hits = [
        c.name
        for c in CASES
        for e in expected(c)
        if rule.text in e.fragment and (file is None or (e.file == file and e.column in columns))
    ]
    assert hits, (
        f"no case in tests/bad/ expects rule {rule.id!r} ({rule.text!r}) "
        f"on {file or 'any file'}, column one of {sorted(columns)}: add one to make_cases.py"
    )


def _make_cases():
    spec = importlib.util.spec_from_file_location("make_cases", BAD / "make_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_is_what_make_cases_writes():
    """Every case directory is written by make_cases.py, byte for byte, and no stale one is
    left: after changing the base, the schema or the cases, rerun it."""
    written = _make_cases().CASES
    assert sorted(written) == [c.name for c in CASES], (
        "tests/bad/ differs from make_cases.py: run .venv/bin/python tests/bad/make_cases.py"
    )
    for c in CASES:
        files, lines = written[c.name]
        want = {
            name: data if isinstance(data, bytes) else data.encode("utf-8")
            for name, data in files.items()
        }
        want["expected.txt"] = "".join(f"{e}\n" for e in lines).encode("utf-8")
        got = {f.name: f.read_bytes() for f in c.iterdir()}
        assert got.keys() == want.keys(), f"{c.name}: files differ; rerun make_cases.py"
        stale = [n for n in want if got[n] != want[n]]
        assert not stale, f"{c.name}: {stale} out of date; rerun make_cases.py"


# --- validate --------------------------------------------------------------------------


@pytest.mark.parametrize("case", params(CASES))
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
    base = research.load(BASE).lines["positions"]
    t = research.load(build(BAD / "quoted_comma_and_newline", tmp_path))
    assert list(t.lines["positions"]) == [base[0]] + [n + 1 for n in base[1:]]
    assert t.positions.summary[0] == "Denies ever arming B,\nin so many words."


def test_crlf_leaves_no_carriage_returns(tmp_path: Path):
    t = research.load(build(BAD / "crlf_line_endings", tmp_path))
    cells = t.events.select_dtypes(include="string").stack()
    assert len(cells) and not cells.str.contains("\r").any()
    assert list(t.lines["events"]) == list(research.load(BASE).lines["events"])


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
