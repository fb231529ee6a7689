"""`research build` against hostile report lists and notebooks, with tiny fixture notebooks.

One shared build (``hostile``) runs a report list in which every entry but one is broken in
its own way — papermill-style fixture notebooks named for the failure they carry, parameter
names that are not identifiers or not declared, a notebook that is not JSON, hangs — and
checks that each fails alone with a one-line message naming the report, the source cell and
the error, while the good report still builds. Smaller builds pin recovery (a fixed report
drops its failure files and its mark in the index), truthful progress, the report list's
syntax errors and exit codes, and the project's own kernel.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

import research.build as rb
from research import cli
from research.build import BuildError, build, read_reports

ROOT = Path(__file__).resolve().parents[1]
NB = "tests/fixtures/notebooks"
LAST_GOOD = b"<!DOCTYPE html>\n<p>the last good page of line_magic</p>\n"
LAST_GOOD_NB = json.dumps(
    {"cells": [], "metadata": {"research": {"fingerprint": "old"}}, "nbformat": 4,
     "nbformat_minor": 5}
).encode()  # fmt: skip

# report -> (entry in reports.toml, pattern its one-line failure message must match)
HOSTILE = {
    "line_magic": (
        f'notebook = "{NB}/line_magic_fails_in_second_cell.ipynb"',
        r"code cell 2: UsageError: Line magic function `%undefined-line-magic` not found\.",
    ),
    "kernel_dies": (
        f'notebook = "{NB}/kernel_dies_in_second_cell.ipynb"',
        r"code cell 2: the kernel died \(killed by SIGKILL\)",
    ),
    "raises": (
        f'notebook = "{NB}/tiny.ipynb"\nparameters = {{ delay = -1 }}',
        r"code cell 2: ValueError: sleep length must be non-negative",
    ),
    "hangs_own_timeout": (
        f'notebook = "{NB}/hangs_in_second_cell.ipynb"\ntimeout = 2',
        r"code cell 2: timed out: still running after 2 s",
    ),
    "hangs_build_timeout": (
        f'notebook = "{NB}/hangs_in_second_cell.ipynb"',
        r"code cell 2: timed out: still running after 5 s",
    ),
    "not_json": (
        f'notebook = "{NB}/not_json.ipynb"',
        r"reports\.toml: \[reports\.not_json\] notebook: tests/fixtures/notebooks/not_json\.ipynb:"
        r" not a valid notebook: Expecting value: line 1 column 13",
    ),
    "hyphenated": (
        f'notebook = "{NB}/tiny.ipynb"\nparameters = {{ start-date = "2024-01-01" }}',
        r"reports\.toml: \[reports\.hyphenated\] parameters\.start-date: 'start-date' is not an "
        r"identifier .*\(closest declared: \w+\)$",
    ),
    "code_in_name": (
        f'notebook = "{NB}/tiny.ipynb"\n'
        "parameters = { \"label = 1; __import__('os').system('touch MARKER'); x\" = 1 }",
        r"reports\.toml: \[reports\.code_in_name\] parameters\.label = 1; .* is not an identifier",
    ),
    "keyword": (
        f'notebook = "{NB}/tiny.ipynb"\nparameters = {{ class = "x" }}',
        r"\[reports\.keyword\] parameters\.class: 'class' is a Python keyword",
    ),
    "misspelt": (
        f'notebook = "{NB}/tiny.ipynb"\nparameters = {{ lable = "x" }}',
        r"\[reports\.misspelt\] parameters\.lable: tests/fixtures/notebooks/tiny\.ipynb declares "
        r"no parameter 'lable' \(closest declared: label\)",
    ),
    "table_value": (
        f'notebook = "{NB}/tiny.ipynb"\nparameters = {{ label = {{ __import__ = "os" }} }}',
        r"\[reports\.table_value\] parameters\.label: \{'__import__': 'os'\} is not a plain value",
    ),
    "misspelt_key": (
        f'notebook = "{NB}/tiny.ipynb"\nparamters = {{ label = "x" }}',
        r"\[reports\.misspelt_key\] paramters: unknown key \(closest: parameters\)",
    ),
    "no_notebook": (
        f'notebook = "{NB}/missing.ipynb"',
        r"\[reports\.no_notebook\] notebook: 'tests/fixtures/notebooks/missing\.ipynb' not found",
    ),
}
GOOD = "tiny_good"
EXECUTED = {"line_magic", "kernel_dies", "raises", "hangs_own_timeout", "hangs_build_timeout"}


@dataclass(frozen=True)
class Built:
    out: Path
    code: int
    stderr: str
    tmp: Path
    marker: Path


def run(out: Path, reports_file: Path, **kwargs) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = build(out=out, reports_file=reports_file, **kwargs)
    return code, err.getvalue()


def summary_line(stderr: str, name: str) -> str:
    lines = [
        ln for ln in stderr.split("reports in ", 1)[1].splitlines() if ln.startswith(f"  {name} ")
    ]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The system temporary directory, for the build and its kernels: a fresh empty one."""
    tmp = tmp_path / "systemtmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Built:
    base = tmp_path_factory.mktemp("hostile")
    marker = base / "pwned"
    text = f'[reports.{GOOD}]\nnotebook = "{NB}/tiny.ipynb"\ntitle = "Good"\n'
    for name, (entry, _) in HOSTILE.items():
        entry = entry.replace("MARKER", str(marker))
        text += f"\n[reports.{name}]\ntitle = {json.dumps(name)}\n{entry}\n"
    reports_file = base / "reports.toml"
    reports_file.write_text(text, encoding="utf-8")
    out = base / "out"
    out.mkdir()
    (out / "line_magic.html").write_bytes(LAST_GOOD)
    (out / "line_magic.ipynb").write_bytes(LAST_GOOD_NB)
    tmp = base / "systemtmp"
    tmp.mkdir()
    for spec in ("python3", "research"):  # kernelspecs elsewhere that cannot start
        folder = base / "jupyter" / "kernels" / spec
        folder.mkdir(parents=True)
        argv = ["/bin/false", "{connection_file}"]
        spec_json = {"argv": argv, "display_name": spec, "language": "python"}
        (folder / "kernel.json").write_text(json.dumps(spec_json))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(base / "jupyter"))
        mp.setenv("TMPDIR", str(tmp))
        mp.setattr(tempfile, "tempdir", str(tmp))
        code, stderr = run(out, reports_file, jobs=2, timeout=5)
    return Built(out, code, stderr, tmp, marker)


def test_a_failed_report_exits_1_and_the_others_still_build(hostile):
    assert hostile.code == rb.EXIT_FAILED, hostile.stderr
    assert " built " in summary_line(hostile.stderr, GOOD)
    assert (hostile.out / f"{GOOD}.html").exists() and (hostile.out / f"{GOOD}.ipynb").exists()
    assert f"1 built, 0 unchanged, {len(HOSTILE)} failed" in hostile.stderr


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_failure_is_one_line_naming_report_cell_and_error(hostile, name):
    line = summary_line(hostile.stderr, name)
    m = re.fullmatch(
        rf"  {name}\s+failed\s+[\d.]+ s  (.*?)(  \(kept as {name}\.failed\.ipynb\))?", line
    )
    assert m, line
    assert re.search(HOSTILE[name][1], m[1]), m[1]
    record = json.loads((hostile.out / f"{name}.failed.json").read_text())
    assert record["message"] == m[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", record["time"])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_failed_ipynb_is_promised_only_when_it_exists(hostile, name):
    kept = hostile.out / f"{name}.failed.ipynb"
    line = summary_line(hostile.stderr, name)
    assert kept.exists() == (name in EXECUTED)
    assert ("(kept as" in line) == kept.exists(), line
    if kept.exists():  # the run as far as it went, with the cell that stopped it
        nb = json.loads(kept.read_text())
        assert nb["metadata"]["research"]["report"] == name
        assert "papermill" not in nb["metadata"]


def test_parameter_names_never_run_as_code(hostile):
    assert not hostile.marker.exists()


def test_index_marks_failed_reports_with_time_and_reason_and_links_last_good_page(hostile):
    index = (hostile.out / "index.html").read_text()
    items = dict(re.findall(r"<li>(?:<a href=\"([^\"]+)\.html\">|<span>)(.*?)</li>", index))
    assert f'<a href="{GOOD}.html">Good</a>' in index
    assert '<a href="line_magic.html">line_magic</a>' in index  # the last good page stays
    for name in HOSTILE:
        if name != "line_magic":
            assert f'href="{name}.html"' not in index  # no page was ever built
    for block in re.findall(r"<li>.*?</li>", index):
        title = re.search(r">([^<]+)</(?:a|span)>", block)[1]
        if title == "Good":
            assert "failed" not in block
        else:
            assert re.search(r"Latest build failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:", block)
    assert "code cell 2: the kernel died (killed by SIGKILL)" in index
    assert "The link shows the last good build." in index
    assert (hostile.out / "line_magic.html").read_bytes() == LAST_GOOD
    assert items  # the regex above found the list


def test_progress_shows_queued_running_and_done_truthfully(hostile):
    """Two workers: never more than two reports running; the rest wait as queued; every
    report ends in the state its summary line gives."""
    lines = [ln for ln in hostile.stderr.splitlines() if ln.startswith("[")]
    states = [
        dict(re.findall(r"(\w+):(queued|running|built|unchanged|failed)", ln)) for ln in lines
    ]
    assert all(list(s.values()).count("running") <= 2 for s in states), lines
    first_run = next(s for s in states if "running" in s.values())
    executed = [n for n in [GOOD, *EXECUTED] if first_run[n] == "queued"]
    assert len(executed) >= len(EXECUTED) - 1, first_run  # taken one by one, not all at once
    for name, state in states[-1].items():
        assert re.match(rf"  {name}\s+{state} ", summary_line(hostile.stderr, name))


def test_a_failing_build_leaves_no_temporary_files(hostile):
    assert [p.name for p in hostile.out.iterdir() if p.name.startswith(".")] == []
    assert list(hostile.tmp.iterdir()) == []


# --- recovery and progress ---------------------------------------------------------------


def tiny_list(path: Path, delay: float, names=("tiny",)) -> Path:
    path.write_text(
        "".join(
            f'[reports.{n}]\nnotebook = "{NB}/tiny.ipynb"\ntitle = "{n}"\n'
            f"parameters = {{ delay = {delay} }}\n"
            for n in names
        )
    )
    return path


def assert_no_failure_left(out: Path) -> None:
    assert not (out / "tiny.failed.ipynb").exists() and not (out / "tiny.failed.json").exists()
    assert "failed" not in (out / "index.html").read_text()


def test_a_fixed_report_drops_its_failure_files_and_its_mark_in_the_index(tmp_path, private_tmp):
    out, reports = tmp_path / "out", tmp_path / "r.toml"
    code, err = run(out, tiny_list(reports, -1))
    assert code == 1 and (out / "tiny.failed.ipynb").exists(), err
    assert "Latest build failed" in (out / "index.html").read_text()
    # Fixed: built, and the failure is gone.
    code, err = run(out, tiny_list(reports, 0))
    assert code == 0 and re.search(r"  tiny\s+built ", err), err
    assert_no_failure_left(out)
    good = (out / "tiny.html").read_bytes()
    # Broken again: the last good page stays, and the index marks the report.
    assert run(out, tiny_list(reports, -1))[0] == 1
    assert (out / "tiny.html").read_bytes() == good
    assert (out / "tiny.failed.json").exists()
    assert "Latest build failed" in (out / "index.html").read_text()
    # Restored to the inputs of the last good build: unchanged, and the failure is gone.
    code, err = run(out, tiny_list(reports, 0))
    assert code == 0 and re.search(r"  tiny\s+unchanged ", err), err
    assert_no_failure_left(out)
    assert list(private_tmp.iterdir()) == []


# --- the report list and the request ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[reports.a]\nnotebook = "x.ipynb\n', r"r\.toml:2:20: invalid TOML: Illegal character"),
        ("[reports.a]\nnotebook = \n", r"r\.toml:2:12: invalid TOML: Invalid value"),
        ("[reports.a]\n[reports.a]\n", r"r\.toml:2:\d+: invalid TOML: "),
    ],
    ids=["unclosed-string", "missing-value", "duplicate-table"],
)
def test_toml_syntax_error_is_one_line_with_line_and_column_and_exit_2(
    tmp_path, capsys, text, where
):
    path = tmp_path / "r.toml"
    path.write_text(text)
    out = tmp_path / "out"
    code = cli.main(["build", "--reports", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == rb.EXIT_INVALID == 2
    assert len(err.strip().splitlines()) == 1, err
    assert re.match(r"research build: " + where, err), err
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["0", "-3", "two", "1.5"])
def test_jobs_below_one_or_not_a_whole_number_is_refused(capsys, jobs):
    with pytest.raises(SystemExit) as e:
        cli.main(["build", "--jobs", jobs])
    assert e.value.code == 2
    assert f"--jobs: must be a whole number of at least 1, not '{jobs}'" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", [0, -3, True])
def test_build_refuses_jobs_below_one(tmp_path, jobs):
    with pytest.raises(BuildError, match="--jobs must be a whole number of at least 1"):
        build(out=tmp_path / "out", jobs=jobs)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "inf"])
def test_timeout_must_be_seconds_above_zero(capsys, timeout):
    with pytest.raises(SystemExit) as e:
        cli.main(["build", "--timeout", timeout])
    assert e.value.code == 2
    assert "--timeout: must be a number of seconds above 0" in capsys.readouterr().err


def test_timeout_default_is_generous_and_a_reports_own_wins(tmp_path):
    report = rb.Report("r", ROOT / NB / "tiny.ipynb", "r", {}, timeout=7.0)
    args = ("fp", tmp_path, None, tmp_path, tmp_path)
    assert rb._task(report, *args, None)["timeout"] == 7.0
    assert rb._task(report, *args, 3.0)["timeout"] == 7.0
    plain = rb.Report("r", ROOT / NB / "tiny.ipynb", "r", {})
    assert rb._task(plain, *args, 3.0)["timeout"] == 3.0
    assert rb._task(plain, *args, None)["timeout"] == rb.DEFAULT_TIMEOUT >= 600
    build_help = cli.parser()._subparsers._group_actions[0].choices["build"].format_help()
    assert f"(default: {rb.DEFAULT_TIMEOUT:g};" in " ".join(build_help.split())
    assert "exit codes: 0 " in build_help


def test_a_bad_entry_does_not_refuse_the_others(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        f'[reports.ok]\nnotebook = "{NB}/tiny.ipynb"\n\n'
        f'[reports."../evil"]\nnotebook = "{NB}/tiny.ipynb"\n\n'
        f'[reports.bad]\nnotebook = "{NB}/tiny.ipynb"\nparameters = {{ p = 1979-01-01 }}\n'
    )
    reports = {r.name: r for r in read_reports(path)}
    assert reports["ok"].problem is None
    assert "name: use letters, digits, - and _" in reports["../evil"].problem
    assert reports["bad"].problem.startswith("r.toml: [reports.bad] parameters.p: ")


def test_a_parameters_cell_is_read_not_run(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
             "execution_count": None,
             "source": ["a: int = 1  # one\n", "b = c = 'x'\n", "import os\n", "os.system('x')\n"]}
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path = tmp_path / "p.ipynb"
    path.write_text(json.dumps(nb))
    assert rb.declared_parameters(path) == {"a", "b", "c"}
    nb["cells"][0]["source"] = ["a = (\n"]
    path.write_text(json.dumps(nb))
    with pytest.raises(ValueError, match=r"parameters cell \(cell 1\) does not parse"):
        rb.declared_parameters(path)


def test_data_dir_given_to_a_notebook_that_does_not_declare_it_fails_that_report(
    tmp_path, private_tmp
):
    code, err = run(tmp_path / "out", tiny_list(tmp_path / "r.toml", 0), data_dir=ROOT / "data")
    assert code == 1
    assert "declares no parameter 'data_dir', so --data-dir cannot reach it" in err


# --- the project's own kernel ---------------------------------------------------------------


def test_reports_run_on_the_projects_kernel_whatever_kernelspecs_are_on_jupyter_path(hostile):
    """The hostile build ran with a ``python3`` and a ``research`` kernelspec on JUPYTER_PATH
    that cannot start (``/bin/false``): the good report was built all the same."""
    nb = json.loads((hostile.out / f"{GOOD}.ipynb").read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "research"
    printed = ["".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", []) if "text" in o]
    assert printed == ["tiny report tiny\n"]


def test_make_lab_opens_new_notebooks_on_the_projects_kernel(tmp_path):
    """JupyterLab started as `make lab` starts it reports `research` as its default kernel."""
    dry = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.synced", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [ln for ln in dry.stdout.splitlines() if "jupyter lab" in ln]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = shlex.split(line) + [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.token=test",
        "--allow-root",
    ]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    lab = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/kernelspecs", headers={"Authorization": "token test"}
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    specs = json.load(response)
                break
            except OSError:
                assert lab.poll() is None and time.monotonic() < deadline, lab.stderr.read()
                time.sleep(0.3)
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    assert specs["default"] == "research"
    assert "research" in specs["kernelspecs"]


def test_two_concurrent_forced_builds_write_identical_outputs(tmp_path, private_tmp):
    """Two `--force` builds into one folder at once: the report's files are whole and the
    same as a build on its own, and neither build leaves a temporary file."""
    reports = tiny_list(tmp_path / "r.toml", 0)
    alone = tmp_path / "alone"
    assert run(alone, reports)[0] == 0
    out = tmp_path / "out"
    cmd = [str(Path(sys.executable).parent / "research"), "build", "--force"]
    cmd += ["--reports", str(reports), "--out", str(out)]
    builds = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for b in builds:
        assert b.wait(timeout=120) == 0, b.stderr.read()
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert files == {p.name: p.read_bytes() for p in alone.iterdir()}
    assert list(private_tmp.iterdir()) == []
