"""`research build`: failures kept apart, incremental, atomic, safe, offline, reproducible.

Builds are slow (a kernel per report), so the module runs only two real builds and shares
them through module-scoped fixtures:

* ``full_build``: every report of ``reports.toml`` with ``force=True`` into a temporary
  directory (reproducibility, offline links, headless Chromium, the no-change rebuild);
* ``fixture_build``: ``tests/fixtures/reports.toml`` (the real say_do notebook plus the
  fixture notebooks in ``tests/fixtures/notebooks/``) and one report whose parameter is an
  injection attempt, from a copy of ``tests/fixtures/minimal`` whose curated text holds
  markup, into an output directory that already holds a last good page for the report that
  fails.

Each fixture snapshots the output directory right after its build, so tests do not depend
on the order they run in. Plus one plain ``papermill`` run and fast unit tests.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import json
import os
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

import research.build as rb
from research.build import BuildError, Report, build, fingerprint, read_reports, write_atomic
from research.render import runtime

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
VENV_BIN = ROOT / ".venv" / "bin"
COMMITTED = ROOT / "reports"

FAILING = "raises_in_third_cell"
SAY_DO = "say_do-lead_a"
ECHO = "echoes_parameters"
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>x</b>"
IMG = "<img src=x onerror=alert(2)>"
SENTINEL_HTML = b"<!DOCTYPE html>\n<p>sentinel: the last good page</p>\n"
SENTINEL_NB = (
    json.dumps(
        {
            "cells": [],
            "metadata": {"research": {"fingerprint": "stale", "summary": "last good run"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    ).encode()
    + b"\n"
)


@dataclass(frozen=True)
class Built:
    """One build and its output directory as it was right after the build."""

    out: Path
    code: int
    stderr: str
    seconds: float
    files: dict[str, bytes]
    code_fingerprint: str  # of research/ and uv.lock when the build started


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def run_build(out: Path, **kwargs) -> Built:
    """``build`` with its stderr captured (capsys is function-scoped; fixtures here are not)."""
    err = io.StringIO()
    code_fp = rb.code_fingerprint()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err):
        code = build(out=out, **kwargs)
    seconds = time.perf_counter() - started
    return Built(out, code, err.getvalue(), seconds, snapshot(out), code_fp)


def summary_states(stderr: str) -> dict[str, str]:
    """``{report: state}`` from the summary ``build`` prints last."""
    lines = stderr.split("reports in ", 1)[1].splitlines()[1:]
    states = {}
    for line in lines:
        m = re.match(r"  (\S+)\s+(built|unchanged|failed)\s", line)
        if m:
            states[m[1]] = m[2]
    return states


def toml_str(value: str) -> str:
    """A TOML basic string: JSON's escapes are a subset of TOML's."""
    return json.dumps(value)


def hostile_data(dest: Path) -> Path:
    """tests/fixtures/minimal with markup in curated text that the reports show."""
    shutil.copytree(FIXTURES / "minimal", dest)
    for table, key, edits in [
        (
            "positions.csv",
            "position_id",
            {"never_armed": {"summary": f"Denies. {SCRIPT}"}},
        ),
        ("citations.csv", "citation_id", {"never_armed_c1": {"quote": f"we never armed B {BOLD}"}}),
        ("events.csv", "event_id", {"drones_2022": {"summary": f"A supplied drones. {IMG}"}}),
    ]:
        path = dest / table
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            fields, rows = reader.fieldnames, list(reader)
        for row in rows:
            row.update(edits.get(row[key], {}))
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return dest


# --- the two shared builds ------------------------------------------------------------


@pytest.fixture(scope="module")
def full_build(tmp_path_factory) -> Built:
    out = tmp_path_factory.mktemp("full") / "reports"
    return run_build(out, force=True, jobs=os.cpu_count())


@dataclass(frozen=True)
class FixtureBuild:
    built: Built
    data_dir: Path
    payload: str
    payload_list: list[str]
    marker: Path


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory) -> FixtureBuild:
    tmp = tmp_path_factory.mktemp("fixture")
    data_dir = hostile_data(tmp / "data")
    marker = tmp / "pwned"
    payload = f"\"); import os; os.system('touch {marker}'); (\""
    payload_list = [f"'); __import__('os').system('touch {marker}'); ('", 'a\\"b\n', "é"]
    reports_file = tmp / "reports.toml"
    reports_file.write_text(
        (FIXTURES / "reports.toml").read_text(encoding="utf-8")
        + f"\n[reports.{ECHO}]\n"
        + f'notebook = "tests/fixtures/notebooks/{ECHO}.ipynb"\n'
        + 'title = "Echoes its parameters"\n'
        + f"parameters = {{ value = {toml_str(payload)}, "
        + f"values = [{', '.join(toml_str(v) for v in payload_list)}] }}\n",
        encoding="utf-8",
    )
    out = tmp / "out"
    out.mkdir()
    # The last good outputs of the report that is about to fail.
    (out / f"{FAILING}.html").write_bytes(SENTINEL_HTML)
    (out / f"{FAILING}.ipynb").write_bytes(SENTINEL_NB)
    built = run_build(out, data_dir=data_dir, reports_file=reports_file, jobs=2)
    return FixtureBuild(built, data_dir, payload, payload_list, marker)


# --- 1. failure ------------------------------------------------------------------------


def test_failed_report_makes_build_exit_non_zero(fixture_build):
    assert fixture_build.built.code != 0, fixture_build.built.stderr


def test_failure_message_names_report_cell_and_error(fixture_build):
    err = fixture_build.built.stderr
    lines = [ln for ln in err.splitlines() if ln.startswith(f"  {FAILING} ")]
    assert len(lines) == 1, err
    line = lines[0]
    assert " failed " in line
    assert "ValueError: fixture failure in the third code cell" in line
    assert f"(kept as {FAILING}.failed.ipynb)" in line
    # The cell is numbered among the code cells of the source notebook: the cells papermill
    # adds (injected parameters, error banners) do not count.
    m = re.search(r"\bcell (\d+): ", line)
    assert m, line
    failed = nbformat.reads(fixture_build.built.files[f"{FAILING}.failed.ipynb"].decode(), 4)
    code = [
        c
        for c in failed.cells
        if c.cell_type == "code"
        and not {"papermill-error-cell-tag", "injected-parameters"}
        & set(c.metadata.get("tags", []))
    ]
    errors = [o for o in code[int(m[1]) - 1].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    assert errors[0].evalue == "fixture failure in the third code cell"
    assert int(m[1]) == 3


def test_failed_run_is_kept_as_failed_ipynb_with_its_error(fixture_build):
    files = fixture_build.built.files
    nb = nbformat.reads(files[f"{FAILING}.failed.ipynb"].decode(), 4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [
        ("ValueError", "fixture failure in the third code cell")
    ]
    assert nb.metadata.research.report == FAILING
    assert "papermill" not in nb.metadata
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    # Cells after the failing one never ran.
    assert not any("never reached" in json.dumps(c.get("outputs", [])) for c in nb.cells)


def test_failed_report_keeps_last_good_html_and_ipynb(fixture_build):
    files = fixture_build.built.files
    assert files[f"{FAILING}.html"] == SENTINEL_HTML
    assert files[f"{FAILING}.ipynb"] == SENTINEL_NB


def test_other_reports_in_a_failing_build_are_still_built(fixture_build):
    built = fixture_build.built
    assert summary_states(built.stderr) == {FAILING: "failed", SAY_DO: "built", ECHO: "built"}
    assert "2 built, 0 unchanged, 1 failed" in built.stderr
    for name in (SAY_DO, ECHO):
        assert f"{name}.html" in built.files and f"{name}.ipynb" in built.files
        assert f"{name}.failed.ipynb" not in built.files
    index = built.files["index.html"].decode()
    for name in (SAY_DO, ECHO, FAILING):  # the failed report keeps its last good page
        assert f'href="{name}.html"' in index


# --- 2. incremental --------------------------------------------------------------------


def test_second_build_without_force_skips_every_report_without_a_kernel(full_build, monkeypatch):
    """Skipped reports never reach a worker: make starting one fail."""
    assert full_build.code == 0, full_build.stderr
    if rb.code_fingerprint() != full_build.code_fingerprint:
        pytest.fail("research/ or uv.lock changed while the tests ran: rerun them")

    def no_worker(*args, **kwargs):
        raise AssertionError("a no-change build started a worker")

    monkeypatch.setattr(rb, "_Worker", no_worker)
    mtimes = {p.name: p.stat().st_mtime_ns for p in full_build.out.iterdir()}
    again = run_build(full_build.out, jobs=os.cpu_count())
    assert again.code == 0, again.stderr
    names = [r.name for r in read_reports()]
    assert summary_states(again.stderr) == dict.fromkeys(names, "unchanged")
    assert f"0 built, {len(names)} unchanged, 0 failed" in again.stderr
    assert again.seconds < 5, f"no-change build took {again.seconds:.1f} s"
    assert again.files == full_build.files
    assert {p.name: p.stat().st_mtime_ns for p in full_build.out.iterdir()} == mtimes


def test_force_rebuilds_every_report_even_when_unchanged(full_build, monkeypatch):
    assert full_build.code == 0, full_build.stderr
    submitted = []

    def fake_run(todo, *args):
        submitted.extend(r.name for r, _ in todo)
        return [{"name": r.name, "state": "built", "seconds": 0.0} for r, _ in todo]

    monkeypatch.setattr(rb, "_run", fake_run)
    names = [r.name for r in read_reports()]
    forced = run_build(full_build.out, force=True)
    assert sorted(submitted) == sorted(names)
    assert summary_states(forced.stderr) == dict.fromkeys(names, "built")
    # Naming reports rebuilds only those.
    submitted.clear()
    run_build(full_build.out, names=[names[0]], force=True)
    assert submitted == [names[0]]


@pytest.fixture
def report_and_data(tmp_path) -> tuple[Report, Path]:
    data = shutil.copytree(ROOT / "data", tmp_path / "data")
    report = Report("r", ROOT / "notebooks" / "say_do.ipynb", "T", {"actor": "IRN"})
    return report, data


def test_fingerprint_is_stable_for_the_same_inputs(report_and_data):
    report, data = report_and_data
    code = rb.code_fingerprint()
    assert fingerprint(report, data, code) == fingerprint(replace(report), data, code)
    assert code == rb.code_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(report, data, code))


@pytest.mark.parametrize(
    "change",
    [
        {"parameters": {"actor": "RUS"}},
        {"parameters": {"actor": "IRN", "start": "2024-01-01"}},
        {"title": "Another title"},
        {"name": "other"},
        {"notebook": ROOT / "notebooks" / "dyad.ipynb"},
    ],
    ids=["parameter-value", "added-parameter", "title", "name", "notebook"],
)
def test_fingerprint_changes_with_the_report(report_and_data, change):
    report, data = report_and_data
    code = rb.code_fingerprint()
    assert fingerprint(replace(report, **change), data, code) != fingerprint(report, data, code)


@pytest.mark.parametrize("table", ["positions.csv", "events.csv", "datapackage.json"])
def test_fingerprint_changes_when_a_data_file_changes(report_and_data, table):
    report, data = report_and_data
    code = rb.code_fingerprint()
    before = fingerprint(report, data, code)
    with (data / table).open("ab") as f:
        f.write(b"\n" if table.endswith(".json") else b"")
        f.write(b" ")
    assert fingerprint(report, data, code) != before


def test_fingerprint_changes_with_the_code(report_and_data):
    report, data = report_and_data
    assert fingerprint(report, data, "a") != fingerprint(report, data, "b")
    assert ROOT / "uv.lock" in rb.code_files()
    assert ROOT / "research" / "build.py" in rb.code_files()


def test_stored_fingerprint_needs_both_outputs(tmp_path):
    nb = {"cells": [], "metadata": {"research": {"fingerprint": "abc"}}, "nbformat": 4}
    (tmp_path / "r.ipynb").write_text(json.dumps(nb))
    assert rb.stored_fingerprint(tmp_path, "r") is None  # no r.html
    (tmp_path / "r.html").write_text("<p>")
    assert rb.stored_fingerprint(tmp_path, "r") == "abc"
    (tmp_path / "r.ipynb").write_text("{not json")
    assert rb.stored_fingerprint(tmp_path, "r") is None


# --- 3. atomic writes ------------------------------------------------------------------


def test_write_atomic_writes_text_and_bytes_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "page.html"
    write_atomic(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    write_atomic(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("where", ["replace", "write"])
def test_write_atomic_failure_keeps_old_file_and_no_tmp(tmp_path, monkeypatch, where):
    target = tmp_path / "page.html"
    target.write_bytes(b"old page")
    if where == "replace":

        def boom(*args):
            raise OSError("rename failed")

        monkeypatch.setattr(os, "replace", boom)
    else:
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                raise OSError("disk full")

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError):
        write_atomic(target, "new page " * 1000)
    assert target.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_builds_leave_no_temporary_files(full_build, fixture_build):
    for built in (full_build, fixture_build.built):
        leftovers = [p.name for p in built.out.iterdir() if p.name.startswith(".")]
        assert leftovers == [], built.out
        assert not any(name.endswith(".tmp") for name in built.files)


# --- 4. safe ---------------------------------------------------------------------------


def test_curated_markup_is_shown_as_text_in_reports(fixture_build):
    assert_valid(fixture_build.data_dir)
    page = fixture_build.built.files[f"{SAY_DO}.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert BOLD not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<img src=x" not in page
    # the one script on the page is the chart runtime the package ships, byte for byte
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S | re.I)
    assert page.lower().count("<script") == len(scripts) == 1
    assert scripts[0].strip() == runtime().strip()


def assert_valid(data_dir: Path) -> None:
    """The hostile copy must still pass validation, or the report would test nothing."""
    import research

    problems = research.validate(data_dir)
    assert problems == [], problems


def test_report_title_is_escaped_in_page_and_index(fixture_build):
    files = fixture_build.built.files
    for name in (f"{SAY_DO}.html", "index.html"):
        page = files[name].decode()
        assert "Fixture &lt;i&gt;say–do&lt;/i&gt; &amp; &quot;escaping&quot;" in page, name
        assert "<i>say–do</i>" not in page


def test_parameters_arrive_as_plain_values_never_code(fixture_build):
    files = fixture_build.built.files
    assert f"{ECHO}.html" in files, fixture_build.built.stderr
    nb = nbformat.reads(files[f"{ECHO}.ipynb"].decode(), 4)
    printed = [
        json.loads(o.text)
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.output_type == "stream" and o.text.startswith("{")
    ]
    assert printed == [{"value": fixture_build.payload, "values": fixture_build.payload_list}]
    assert nb.metadata.research.parameters["value"] == fixture_build.payload
    assert not fixture_build.marker.exists(), "a parameter value was run as code"


def test_a_table_as_parameter_value_fails_that_report_without_a_kernel(tmp_path, monkeypatch):
    path = tmp_path / "reports.toml"
    path.write_text(
        '[reports.bad]\nnotebook = "notebooks/say_do.ipynb"\n'
        'parameters = { actor = { __import__ = "os" } }\n'
    )
    [report] = read_reports(path)
    assert re.fullmatch(
        r"reports\.toml: \[reports\.bad\] parameters\.actor: .* is not a plain value",
        report.problem,
    )

    def no_worker(*args, **kwargs):
        raise AssertionError("a report with a bad entry reached a worker")

    monkeypatch.setattr(rb, "_Worker", no_worker)
    out = tmp_path / "out"
    built = run_build(out, reports_file=path)
    assert built.code == 1
    assert summary_states(built.stderr) == {"bad": "failed"}
    assert sorted(built.files) == ["bad.failed.json", "index.html"]


@pytest.mark.parametrize(
    "value",
    [
        "1979-01-01",
        "1979-01-01T00:00:00Z",
        "[{ a = 1 }]",
        "[[1, { a = 1 }]]",
    ],
    ids=["date", "datetime", "list-of-tables", "nested-list-with-table"],
)
def test_read_reports_rejects_other_non_plain_values(tmp_path, value):
    path = tmp_path / "reports.toml"
    path.write_text(
        f'[reports.bad]\nnotebook = "notebooks/say_do.ipynb"\nparameters = {{ actor = {value} }}\n'
    )
    [report] = read_reports(path)
    assert report.problem.endswith("is not a plain value"), report.problem


def test_unknown_report_name_is_rejected_with_closest_match(tmp_path):
    with pytest.raises(
        BuildError, match=r"'russia-iran-say_do-IRM' \(closest: russia-iran-say_do-IRN"
    ):
        build(["russia-iran-say_do-IRM"], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_report_names_must_be_plain(tmp_path):
    path = tmp_path / "reports.toml"
    path.write_text('[reports."../evil"]\nnotebook = "notebooks/say_do.ipynb"\n')
    [report] = read_reports(path)
    assert "name: use letters, digits, - and _" in report.problem
    built = run_build(tmp_path / "out", reports_file=path)
    assert built.code == 1
    assert sorted(built.files) == ["index.html"]  # no file named after it, anywhere
    assert not (tmp_path / "evil.failed.json").exists()


# --- 5. offline ------------------------------------------------------------------------

URL_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "xlink:href"}


class Links(HTMLParser):
    """Every URL an HTML (or SVG) document could fetch or link to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.scripts_with_src: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in URL_ATTRS and value is not None:
                self.urls += (
                    [u.strip().split(" ")[0] for u in value.split(",")]
                    if (name == "srcset")
                    else [value.strip()]
                )
            if name == "style" and value:
                self.styles.append(value)
        if tag == "script" and dict(attrs).get("src") is not None:
            self.scripts_with_src.append(dict(attrs)["src"])
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def css_urls(css: str) -> list[str]:
    urls = [m.strip("'\" ") for m in re.findall(r"url\(\s*([^)]*)\)", css, re.I)]
    urls += re.findall(r"@import\s+['\"]([^'\"]+)", css, re.I)
    return urls


def offline_problems(text: str, where: str, local: set[str]) -> list[str]:
    parser = Links()
    parser.feed(text)
    problems = [f"{where}: <script src={s!r}>" for s in parser.scripts_with_src]
    if re.search(r"@import", " ".join(parser.styles), re.I) and not css_urls(
        " ".join(parser.styles)
    ):
        problems.append(f"{where}: @import without a url")
    for url in parser.urls + [u for s in parser.styles for u in css_urls(s)]:
        if url.startswith("data:"):
            head, _, body = url.partition(",")
            if head.startswith("data:image/svg+xml"):
                svg = base64.b64decode(body).decode() if head.endswith(";base64") else unquote(body)
                problems += offline_problems(svg, f"{where} (inline SVG)", local=set())
            continue
        if url.startswith("#") or (url in local and "/" not in url):
            continue
        problems.append(f"{where}: {url[:80]!r}")
    return problems


@pytest.mark.parametrize("which", ["full", "fixture"])
def test_every_link_in_built_html_is_local(full_build, fixture_build, which):
    built = full_build if which == "full" else fixture_build.built
    pages = {name: data.decode() for name, data in built.files.items() if name.endswith(".html")}
    assert "index.html" in pages
    problems = []
    for name, text in pages.items():
        problems += offline_problems(text, name, local=set(pages))
        assert not re.search(r"<script[^>]*\bsrc", text, re.I), name
        assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", text, re.I), name
    assert problems == []


def test_offline_scan_flags_remote_and_absolute_urls():
    """The scanner above is not vacuous: each of these must be caught."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://e/in-svg.png"/></svg>'
    page = (
        '<a href="https://e/a">a</a><img src="//e/b.png"><link rel="stylesheet" href="/c.css">'
        '<div style="background:url(http://e/d.png)"></div><style>@import "http://e/e.css";'
        '.x{background:url("data:image/png;base64,AA")}</style><script src="f.js"></script>'
        '<img srcset="g.png 1x, http://e/h.png 2x">'
        f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}">'
        '<a href="other.html">ok</a><a href="#top">ok</a>'
    )
    found = offline_problems(page, "t", local={"other.html"})
    for url in ["https://e/a", "//e/b.png", "/c.css", "http://e/d.png", "http://e/e.css"]:
        assert any(repr(url) in p for p in found), url
    for url in ["f.js", "g.png", "http://e/h.png", "http://e/in-svg.png"]:
        assert any(repr(url) in p for p in found), url
    assert any("<script src='f.js'>" in p for p in found)
    assert not any("other.html" in p or "#top" in p or "data:" in p for p in found)


def test_every_report_links_back_to_the_index(full_build):
    pages = [n for n in full_build.files if n.endswith(".html") and n != "index.html"]
    assert len(pages) == len(read_reports())
    for name in pages:
        assert '<a href="index.html">' in full_build.files[name].decode(), name


# --- 6. headless Chromium --------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const charts = [];
  for (const fig of document.querySelectorAll("figure.chart")) {
    const svg = fig.querySelector(".chart-view svg");
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    charts.push({drawn: fig.classList.contains("drawn"), width: box.width, height: box.height,
                 marks: svg ? svg.querySelectorAll("path, line, text").length : 0,
                 label: svg ? svg.getAttribute("aria-label") || "" : ""});
  }
  const pre = document.createElement("pre");
  pre.id = "research-probe";
  pre.textContent = JSON.stringify({
    charts,
    resources: performance.getEntriesByType("resource").map(e => e.name),
    h1: (document.querySelector("h1") || {}).textContent || "",
  });
  document.body.appendChild(pre);
}, 2000));
</script>
"""


def chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def test_reports_render_their_charts_in_headless_chromium_offline(full_build, tmp_path):
    """Each page, loaded with the network off, draws every chart with its embedded runtime.

    The page is copied with a small probe script appended; Chromium runs it after load and
    ``--dump-dom`` hands back its findings.
    """
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    pages = sorted(n for n in full_build.files if n.endswith(".html"))
    for name in pages:
        text = full_build.files[name].decode()
        probe = tmp_path / f"probe-{name}"
        head, _, tail = text.rpartition("</body>")  # the last one: the runtime holds the words
        probe.write_text(head + PROBE + "</body>" + tail, encoding="utf-8")
        proc = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--window-size=1280,1024",
                "--virtual-time-budget=10000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        m = re.search(r'<pre id="research-probe">(.*?)</pre>', proc.stdout, re.S)
        assert m, f"{name}: no probe result; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
        found = json.loads(html.unescape(m[1]))
        assert found["resources"] == [], f"{name} fetched {found['resources']}"
        assert found["h1"], name
        charts = found["charts"]
        expected = text.count('<figure class="chart"')
        assert len(charts) == expected, (name, charts)
        if name != "index.html":
            assert expected >= 1, f"{name} has no chart"
        for chart in charts:
            assert chart["drawn"], (name, chart)  # the embedded runtime drew it
            assert chart["width"] > 50 and chart["height"] > 50, (name, chart)
            assert chart["marks"] > 20, (name, chart)
            assert chart["label"] and "No description" not in chart["label"], (name, chart)


# --- 7. reproducible -------------------------------------------------------------------


def test_full_build_matches_committed_reports_byte_for_byte(full_build):
    assert full_build.code == 0, full_build.stderr
    committed = (
        {
            p.name: p.read_bytes()
            for p in COMMITTED.iterdir()
            if p.is_file() and p.suffix in (".html", ".ipynb") and ".failed." not in p.name
        }
        if COMMITTED.is_dir()
        else {}
    )
    if not committed:
        pytest.fail(f"{COMMITTED} holds no built reports: run `make reports` and commit reports/")
    fresh = full_build.files
    missing = sorted(set(fresh) - set(committed))
    extra = sorted(set(committed) - set(fresh))
    differ = sorted(n for n in set(fresh) & set(committed) if fresh[n] != committed[n])
    stale = [
        n
        for n in differ
        if n.endswith(".ipynb")
        and json.loads(committed[n])["metadata"].get("research", {}).get("fingerprint")
        != json.loads(fresh[n])["metadata"]["research"]["fingerprint"]
    ]
    assert not (missing or extra or differ), (
        f"reports/ differs from a fresh build: missing {missing}, extra {extra}, "
        f"differing {differ}. Out of date (fingerprint changed): {stale} -> run `make reports` "
        "and commit reports/. Same fingerprint but different bytes means the build is not "
        "reproducible."
    )


def test_built_notebooks_have_stable_cell_ids_and_no_papermill_metadata(full_build):
    notebooks = sorted(n for n in full_build.files if n.endswith(".ipynb"))
    assert len(notebooks) >= 2
    for name in notebooks:
        nb = nbformat.reads(full_build.files[name].decode(), 4)
        assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))], name
        assert "papermill" not in nb.metadata, name
        for cell in nb.cells:
            assert not {"papermill", "execution"} & set(cell.metadata), (name, cell.id)
        assert nb.metadata.kernelspec.name == "research", name
        assert nb.metadata.research.report == name.removesuffix(".ipynb")


def test_no_absolute_repo_path_in_any_output(full_build, fixture_build):
    root = str(ROOT).encode()
    for built in (full_build, fixture_build.built):
        leaked = [n for n, data in built.files.items() if root in data]
        assert leaked == [], f"{root!r} appears in {leaked}"


# --- 8. plain papermill ----------------------------------------------------------------


def test_plain_papermill_cli_runs_say_do(tmp_path):
    out = tmp_path / "say_do-RUS.ipynb"
    proc = subprocess.run(
        [
            str(VENV_BIN / "papermill"),
            "notebooks/say_do.ipynb",
            str(out),
            "-p",
            "actor",
            "RUS",
            "-k",
            "python3",
            "--no-progress-bar",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, 4)
    assert nb.metadata.papermill.parameters == {"actor": "RUS"}
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
