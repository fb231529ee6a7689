"""Fan-out: `research plan --json` lists the units a build makes, `research build --report NAME`
builds exactly one, and the engine a build names reaches only notebooks that declare it."""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import research.build as rb
import research.engines as engines
from research import cli
from research.build import BuildError, plan, read_engine, read_reports

ROOT = Path(__file__).resolve().parents[1]
TINY = "tests/fixtures/notebooks/tiny.ipynb"
SENTINEL_HTML = b"<!DOCTYPE html>\n<p>sentinel: unit b's last build</p>\n"


def engine_notebook(path: Path) -> Path:
    """A notebook that declares `engine` and `engine_options` and prints what it received."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Names its engine"),
        nbformat.v4.new_code_cell(
            'engine = "duckdb"  # which engine to query\nengine_options = {}',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell("print(f'engine={engine} options={engine_options}')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def units_file(tmp_path) -> Path:
    """Three tiny units and one that names its engine."""
    nb = engine_notebook(tmp_path / "names_engine.ipynb")
    path = tmp_path / "reports.toml"
    path.write_text(
        "".join(
            f'[reports.{n}]\nnotebook = "{TINY}"\ntitle = "Unit {n}"\n'
            f'parameters = {{ label = "{n}" }}\n\n'
            for n in ("a", "b", "c")
        )
        + f'[reports.e]\nnotebook = "{nb}"\ntitle = "Names its engine"\n',
        encoding="utf-8",
    )
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- plan ------------------------------------------------------------------------------


def test_plan_lists_every_report_with_its_fingerprint(tmp_path):
    result = plan(out=tmp_path / "out")
    reports = read_reports()
    assert [u["name"] for u in result["units"]] == [r.name for r in reports]
    code = rb.code_fingerprint()
    assert result["code_fingerprint"] == code
    assert result["data_fingerprint"] == rb.data_fingerprint(ROOT / "data")
    for unit, report in zip(result["units"], reports, strict=True):
        # The build's own fingerprint of the unit, nothing recomputed another way.
        report = replace(report, parameters=rb.unit_parameters(report, rb.Engine()))
        assert unit["fingerprint"] == rb.fingerprint(report, ROOT / "data", code)
        assert unit["notebook"] == str(report.notebook.relative_to(ROOT))
        assert unit["parameters"] == report.parameters
        assert unit["title"] == report.title
        assert unit["outputs"] == {
            "html": str(tmp_path / "out" / f"{report.name}.html"),
            "ipynb": str(tmp_path / "out" / f"{report.name}.ipynb"),
        }
        assert unit["up_to_date"] is False  # nothing built in an empty folder
        assert unit["problem"] is None
        assert unit["command"][-2:] == ["--report", report.name]


def test_plan_finds_the_committed_reports_up_to_date_when_they_are():
    result = plan()
    for unit in result["units"]:
        stored = rb.stored_fingerprint(ROOT / "reports", unit["name"])
        assert unit["up_to_date"] == (stored == unit["fingerprint"])
        assert unit["outputs"]["html"] == f"reports/{unit['name']}.html"


def test_plan_json_is_deterministic_with_sorted_keys(capsys):
    code, first, _ = run_cli(["plan", "--json"], capsys)
    assert code == 0
    code, second, _ = run_cli(["plan", "--json"], capsys)
    assert first == second
    parsed = json.loads(first)
    assert first == json.dumps(parsed, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert parsed["schema"] == rb.PLAN_SCHEMA == 1
    assert set(parsed) == {
        "schema", "reports_file", "out", "data_dir", "engine", "code_fingerprint",
        "data_fingerprint", "units",
    }  # fmt: skip
    assert set(parsed["units"][0]) == {
        "name", "title", "notebook", "parameters", "outputs", "fingerprint", "up_to_date",
        "problem", "command",
    }  # fmt: skip


def test_plan_without_json_prints_a_table(capsys, units_file, tmp_path):
    code, out, _ = run_cli(
        ["plan", "--reports", str(units_file), "--out", str(tmp_path / "out")], capsys
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["REPORT", "STATE", "FINGERPRINT", "NOTEBOOK", "PARAMETERS"]
    assert [line.split()[0] for line in lines[1:5]] == ["a", "b", "c", "e"]
    assert all("to build" in line for line in lines[1:5])
    assert lines[-1].startswith("4 reports, 4 to build, engine duckdb")


def test_plan_shows_an_invalid_unit_with_its_problem(tmp_path):
    path = tmp_path / "reports.toml"
    path.write_text(f'[reports.bad]\nnotebook = "{TINY}"\nparameters = {{ lable = "x" }}\n')
    [unit] = plan(reports_file=path, out=tmp_path / "out")["units"]
    assert unit["fingerprint"] is None and unit["up_to_date"] is False
    assert "declares no parameter 'lable'" in unit["problem"]


@pytest.mark.parametrize("command", ["plan", "build"])
def test_unknown_report_name_lists_known_ones(command, capsys, units_file, tmp_path):
    out = tmp_path / "out"
    code, _, err = run_cli(
        [
            command,
            "--report",
            "a",
            "--report",
            "d",
            "--reports",
            str(units_file),
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == rb.EXIT_INVALID == 2
    assert "unknown report 'd' (closest: " in err
    assert err.rstrip().endswith("known: a, b, c, e")
    assert not out.exists()  # nothing built, not even the folder


# --- build one unit ------------------------------------------------------------------------


def test_build_report_builds_only_that_unit(capsys, units_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.html").write_bytes(SENTINEL_HTML)
    (out / "b.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                             "nbformat_minor": 5}))  # fmt: skip
    b_before = {p: (out / p).read_bytes() for p in ("b.html", "b.ipynb")}
    args = ["--reports", str(units_file), "--out", str(out)]

    # Two units named, on the Spark engine: only those two run.
    code, _, err = run_cli(
        ["build", "--report", "a", "--report", "e", "--engine", "spark", "--jobs", "1", *args],
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "a.html", "a.ipynb", "b.html", "b.ipynb", "e.html", "e.ipynb", "index.html",
    ]  # fmt: skip
    assert {p: (out / p).read_bytes() for p in b_before} == b_before  # b untouched
    # The engine reached the notebook that declares it, as a parameter.
    e = nbformat.read(out / "e.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in e.cells for o in c.get("outputs", []))
    assert "engine=spark options={}" in printed
    assert e.metadata["research"]["parameters"] == {"engine": "spark", "engine_options": {}}
    a = nbformat.read(out / "a.ipynb", as_version=4)
    assert a.metadata["research"]["parameters"] == {"label": "a"}  # tiny declares no engine

    # The index lists every unit from what the folder holds: b's page, c not built yet.
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{n}.html"' in index for n in ("a", "b", "e"))
    assert 'href="c.html"' not in index and "Unit c" in index and "Not built yet." in index

    # The plan now says a and e are current (on the same engine), b and c are not.
    result = plan(reports_file=units_file, out=out, engine="spark")
    state = {u["name"]: u["up_to_date"] for u in result["units"]}
    assert state == {"a": True, "b": False, "c": False, "e": True}
    # Another engine is another fingerprint for e alone.
    other = {u["name"]: u["up_to_date"] for u in plan(reports_file=units_file, out=out)["units"]}
    assert other == {"a": True, "b": False, "c": False, "e": False}

    # The command the plan gives for c builds c, and only c.
    [unit_c] = [u for u in result["units"] if u["name"] == "c"]
    assert unit_c["command"][:2] == ["research", "build"]
    a_before = (out / "a.ipynb").read_bytes()
    code, _, err = run_cli([*unit_c["command"][1:], "--jobs", "1"], capsys)
    assert code == 0, err
    assert (out / "c.html").exists() and (out / "a.ipynb").read_bytes() == a_before
    assert {p: (out / p).read_bytes() for p in b_before} == b_before
    assert 'href="c.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_index_waits_for_another_build_writing_it(tmp_path, units_file):
    out = tmp_path / "out"
    out.mkdir()
    import fcntl
    import os

    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another build of another unit is writing the index
    writer = threading.Thread(
        target=rb._write_index, args=(out, read_reports(units_file), ROOT / "data")
    )
    writer.start()
    time.sleep(0.5)
    assert writer.is_alive() and not (out / "index.html").exists()
    os.close(fd)
    writer.join(timeout=30)
    assert not writer.is_alive() and (out / "index.html").exists()


# --- engine choice -----------------------------------------------------------------------


def test_engine_reaches_only_notebooks_that_declare_it(units_file, tmp_path):
    out = tmp_path / "out"
    default = {u["name"]: u for u in plan(reports_file=units_file, out=out)["units"]}
    spark = {u["name"]: u for u in plan(reports_file=units_file, out=out, engine="spark")["units"]}
    assert default["e"]["parameters"] == {"engine": "duckdb", "engine_options": {}}
    assert spark["e"]["parameters"] == {"engine": "spark", "engine_options": {}}
    assert spark["e"]["fingerprint"] != default["e"]["fingerprint"]
    for n in "abc":  # tiny declares no engine: same parameters, same fingerprint
        assert spark[n]["parameters"] == default[n]["parameters"] == {"label": n}
        assert spark[n]["fingerprint"] == default[n]["fingerprint"]
    assert spark["e"]["command"][2:4] == ["--engine", "spark"]


def test_engine_config_table_chooses_the_engine_and_the_flag_wins(units_file, tmp_path):
    units_file.write_text(
        '[engine]\nname = "spark"\noptions = { cores = 1 }\n\n' + units_file.read_text()
    )
    assert read_engine(units_file) == rb.Engine("spark", {"cores": 1})
    [e] = [u for u in plan(reports_file=units_file, out=tmp_path)["units"] if u["name"] == "e"]
    assert e["parameters"] == {"engine": "spark", "engine_options": {"cores": 1}}
    # --engine naming another engine drops the options meant for the configured one.
    assert read_engine(units_file, "duckdb") == rb.Engine("duckdb", {})
    assert read_engine(units_file, "spark") == rb.Engine("spark", {"cores": 1})


def test_report_that_sets_its_engine_keeps_it(tmp_path):
    nb = engine_notebook(tmp_path / "pinned.ipynb")
    path = tmp_path / "reports.toml"
    path.write_text(f'[reports.pinned]\nnotebook = "{nb}"\nparameters = {{ engine = "duckdb" }}\n')
    [unit] = plan(reports_file=path, out=tmp_path, engine="spark")["units"]
    assert unit["parameters"] == {"engine": "duckdb", "engine_options": {}}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[engine]\nname = "postgres"\n', r"\[engine\] name: 'postgres' is not an engine; known: "
         "duckdb, spark, bigquery"),
        ('[engine]\nnmae = "spark"\n', r"\[engine\] nmae: unknown key \(closest: name\)"),
        ('[engine]\noptions = { f = { x = 1 } }\n', r"\[engine\] options: must be a table of "
         "plain values"),
        ('engine = "spark"\n', "'engine' must be a table"),
    ],
)  # fmt: skip
def test_bad_engine_config_is_a_clear_error(tmp_path, table, message):
    path = tmp_path / "reports.toml"
    path.write_text(table + f'[reports.a]\nnotebook = "{TINY}"\n')
    with pytest.raises(BuildError, match=f"reports.toml: {message}"):
        rb.build(["a"], reports_file=path, out=tmp_path / "out")
    with pytest.raises(BuildError, match=message):
        plan(reports_file=path)
    assert not (tmp_path / "out").exists()


def test_cli_engine_choices_are_the_engines(capsys):
    assert cli.ENGINES == rb.ENGINES == engines.ENGINES
    with pytest.raises(SystemExit):
        cli.main(["build", "--engine", "postgres"])
    assert "invalid choice: 'postgres'" in capsys.readouterr().err


def test_connect_opens_duckdb_by_default():
    con = engines.connect()
    assert con.name == "duckdb"
    t = con.create_table("t", pd.DataFrame({"x": [42]}))
    assert con.execute(t)["x"].tolist() == [42]


def test_connect_rejects_an_unknown_engine_listing_the_known_ones():
    with pytest.raises(
        engines.EngineError, match="unknown engine 'postgres'; known: duckdb, spark"
    ):
        engines.connect("postgres")


def test_connect_bigquery_without_its_extra_says_which_to_install(monkeypatch):
    monkeypatch.delattr(engines, "bigquery", raising=False)  # no adapter in this install
    with pytest.raises(engines.EngineError, match=r"research\[bigquery\] extra"):
        engines.connect("bigquery")

    def adapter_without_client(**options):
        raise ModuleNotFoundError("No module named 'google.cloud.bigquery'")

    monkeypatch.setattr(engines, "bigquery", adapter_without_client, raising=False)
    with pytest.raises(engines.EngineError, match=r"research\[bigquery\] extra.*google\.cloud"):
        engines.connect("bigquery", project_id="p")


def test_connect_passes_options_to_the_engine(monkeypatch):
    seen = {}

    def fake_bigquery(**options):
        seen.update(options)
        return "connection"

    monkeypatch.setattr(engines, "bigquery", fake_bigquery, raising=False)
    assert engines.connect("bigquery", project_id="p", max_bytes=10) == "connection"
    assert seen == {"project_id": "p", "max_bytes": 10}
    assert engines.connect("duckdb", threads=1).raw_sql(
        "SELECT current_setting('threads')"
    ).fetchone() == (1,)


def test_fingerprint_of_a_unit_is_the_builds(units_file, tmp_path):
    """What `plan` reports is what `build` stores: after a build, the notebook holds it."""
    [report] = [r for r in read_reports(units_file) if r.name == "e"]
    params = rb.unit_parameters(report, rb.Engine("bigquery"))
    assert params == {"engine": "bigquery", "engine_options": {}}
    fp = rb.fingerprint(replace(report, parameters=params), ROOT / "data", rb.code_fingerprint())
    [unit] = [
        u for u in plan(reports_file=units_file, engine="bigquery")["units"] if u["name"] == "e"
    ]
    assert unit["fingerprint"] == fp


def test_build_leaves_another_machines_staging_folder_alone(tmp_path, units_file):
    out = tmp_path / "out"
    out.mkdir()
    dead = 2**22 + 1  # above Linux's default pid_max: no process has this id here
    theirs = out / f".build-{dead}-another_host-x1y2"  # a build on another machine
    ours = out / f".build-{dead}-{rb._host()}-x1y2"  # a build killed outright here
    for folder in (theirs, ours):
        folder.mkdir()
    code = rb.build(["a"], reports_file=units_file, out=out, engine="duckdb", jobs=1)
    assert code == 0
    assert theirs.is_dir() and not ours.exists()


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Scaling out\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_readme_engine_table_is_what_the_build_reads(tmp_path):
    [table] = readme_blocks("toml")
    path = tmp_path / "reports.toml"
    path.write_text(table + f'\n[reports.a]\nnotebook = "{TINY}"\n', encoding="utf-8")
    assert read_engine(path) == rb.Engine("spark", {"cores": 4})


def test_readme_scaling_out_examples_are_valid_python():
    blocks = readme_blocks("python")
    assert len(blocks) == 2  # the snapshot call and the Airflow DAG
    for block in blocks:
        ast.parse(block)
    assert ".expand(" in blocks[1] and '"plan", "--json"' in blocks[1]
