"""Cases: named bodies of evidence, and scaffolding a new one.

A case is a row of ``cases.csv``; its positions and deeds carry its
``case_id``. Actors, roles, issues and sources are one registry that every
case shares. :func:`new_case` adds the row and a set of reports, so that a new
pair of actors gets its reports by adding rows and parameters only.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

from research.schema import default_data_dir, schema

ROOT = Path(__file__).resolve().parent.parent


class CaseError(ValueError):
    """A case that cannot be added, with the reason."""


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def _row(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def report_entries(
    case: str, actors: list[str], names: dict[str, str], case_title: str
) -> dict[str, str]:
    """The ``reports.toml`` sections for a case: say–do per actor, the dyad, explore."""
    out = {}
    for a in actors:
        title = f"{names[a]}: what it says against what it is reported to do ({case_title})"
        out[f"{case}-say_do-{a}"] = (
            f"notebook = {_toml('notebooks/say_do.ipynb')}\n"
            f"title = {_toml(title)}\n"
            f"parameters = {{ case = {_toml(case)}, actor = {_toml(a)} }}\n"
        )
    if len(actors) == 2:
        a, b = actors
        out[f"{case}-dyad-{a}-{b}"] = (
            f"notebook = {_toml('notebooks/dyad.ipynb')}\n"
            f"title = {_toml(f'{names[a]} and {names[b]}: aligned in words, apart in deeds?')}\n"
            f"parameters = {{ case = {_toml(case)}, actor_a = {_toml(a)}, "
            f'actor_b = {_toml(b)}, freq = "Y" }}\n'
        )
    out[f"{case}-explore"] = (
        f"notebook = {_toml('notebooks/explore.ipynb')}\n"
        f"title = {_toml('Explore the case: ' + case_title)}\n"
        f'parameters = {{ case = {_toml(case)}, actor = {_toml(actors[0])}, issue = "" }}\n'
    )
    return out


def new_case(
    name: str,
    *,
    title: str,
    description: str,
    actors: list[str],
    data_dir: Path | None = None,
    reports: Path | None = None,
) -> list[str]:
    """Add case ``name`` to ``cases.csv`` and its reports to ``reports.toml``.

    The data directory must validate before and after; the actors must be in
    the registry already (add them to ``actors.csv`` first). Returns what was
    written, one line each. Raises :class:`CaseError` and writes nothing when
    the case cannot be added.
    """
    import tomllib

    from research.load import DataError, load, validate

    data_dir = data_dir or default_data_dir()
    reports = reports or ROOT / "reports.toml"
    pattern = schema()["cases"].field("case_id").pattern or ""
    if not re.fullmatch(pattern, name):
        raise CaseError(f"case id {name!r} must match {pattern} (lower case, hyphens)")
    if not actors or len(actors) > 2:
        raise CaseError("give one or two actor ids (--actors A,B)")
    try:
        t = load(data_dir)
    except DataError as e:
        raise CaseError(f"{data_dir} does not validate; fix it first:\n{e}") from e
    if name in set(t.cases["case_id"]):
        raise CaseError(f"case {name!r} already exists in {data_dir / 'cases.csv'}")
    known = dict(zip(t.actors["actor_id"], t.actors["name"], strict=True))
    unknown = [a for a in actors if a not in known]
    if unknown:
        raise CaseError(f"unknown actor ids {unknown}: add them to actors.csv first")
    existing = tomllib.loads(reports.read_text(encoding="utf-8")).get("reports", {})
    entries = report_entries(name, actors, known, title)
    clash = sorted(set(entries) & set(existing))
    if clash:
        raise CaseError(f"{reports.name} already has reports {clash}")

    cases_csv = data_dir / schema()["cases"].path
    old_cases = cases_csv.read_text(encoding="utf-8")
    sep = "" if old_cases.endswith("\n") else "\n"
    _atomic_write(cases_csv, old_cases + sep + _row([name, title, description, ""]))
    problems = validate(data_dir)
    if problems:  # put the file back: no half-added case
        _atomic_write(cases_csv, old_cases)
        raise CaseError("the new row does not validate:\n" + "\n".join(map(str, problems)))
    text = reports.read_text(encoding="utf-8").rstrip("\n") + "\n"
    for section, body in entries.items():
        text += f"\n[reports.{section}]\n{body}"
    _atomic_write(reports, text)
    return [f"{cases_csv}: case {name}"] + [f"{reports}: [reports.{s}]" for s in entries]
