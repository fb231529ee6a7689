"""Machine-coded events as candidates an analyst reviews; never accepted unread.

An import writes, beside the data (``data/candidates/``):

* ``CASE.events.parquet`` — every GDELT row imported for the case, once per
  GLOBALEVENTID (a re-import replaces rows by id; it never duplicates them);
* ``CASE.candidates.parquet`` — those rows folded into one candidate per
  article and dyad (SOURCEURL, Actor1 and Actor2 country), with provenance
  and the issue, stance and status the ``code_issues`` table proposes. A
  candidate's id is a hash of its article and dyad, so it is the same on
  every import.

Decisions live in ``CASE.decisions.csv`` (keep it under version control): one
row per candidate decided — a deed, a citation of an existing deed, or a
rejection — with who, when and why. Imports never touch it, so re-running an
import neither repeats nor loses a decision. Accepting writes the deed or
citation into the curated tables only if the data directory still validates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from research.cameo import bearing, with_model
from research.derive import STATUS_ORDER
from research.schema import default_data_dir, schema

FOLDER = "candidates"
DECISIONS = ("candidate_id", "decision", "event_id", "reason", "reviewer", "decided_at")
KINDS = ("deed", "citation", "reject")
_STRING = pd.StringDtype("pyarrow")


class ReviewError(ValueError):
    """A decision that cannot be made, with the reason."""


def paths(case: str, data_dir: Path | None = None) -> dict[str, Path]:
    """Where a case's imported events, candidates and decisions live."""
    folder = (data_dir or default_data_dir()) / FOLDER
    return {
        "events": folder / f"{case}.events.parquet",
        "candidates": folder / f"{case}.candidates.parquet",
        "decisions": folder / f"{case}.decisions.csv",
    }


def candidate_id(url: str, actor1: str, actor2: str) -> str:
    """A candidate's id: a hash of its article and dyad, stable across imports.

    >>> candidate_id("https://example.org/a", "IRN", "RUS")
    'gdelt_347ad08f9d3b'
    """
    digest = hashlib.sha256(f"{url}\t{actor1}\t{actor2}".encode()).hexdigest()
    return f"gdelt_{digest[:12]}"


def _weaker(status: str) -> str:
    i = STATUS_ORDER.index(status)
    return STATUS_ORDER[min(i + 1, len(STATUS_ORDER) - 1)]


def _joined(values: object) -> str:
    return ";".join(dict.fromkeys(str(v) for v in values))


def candidates(events: pd.DataFrame, case: str, code_issues: pd.DataFrame) -> pd.DataFrame:
    """Fold modelled GDELT rows (see :func:`research.cameo.with_model`) into candidates.

    One candidate per article and dyad: ``mentions`` counts the GDELT rows
    folded in, ``num_mentions`` sums their NumMentions, ``num_sources`` and
    ``num_articles`` are the largest of theirs, ``goldstein`` their
    mention-weighted mean. ``action`` is the PLOVER event of the row with
    most mentions. ``issues`` proposes ``issue:stance`` pairs from
    ``code_issues`` (for each issue, the longest matching code of any row);
    ``status`` the citation status: the table's with two or more sources,
    the next weaker with one.
    """
    columns = [
        "candidate_id", "case_id", "actor1_country", "actor2_country", "doer_id", "target_id",
        "source_url", "first_day", "last_day", "date_added", "mentions", "global_event_ids",
        "event_codes", "quad_classes", "channel", "action", "goldstein", "num_mentions",
        "num_sources", "num_articles", "is_root_event", "issues", "status", "files",
    ]  # fmt: skip
    if events.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    a1 = events["Actor1CountryCode"].fillna("").astype(str)
    a2 = events["Actor2CountryCode"].fillna("").astype(str)
    keyed = events.assign(_a1=a1.to_numpy(), _a2=a2.to_numpy())
    keyed = keyed.sort_values(["SOURCEURL", "_a1", "_a2", "GLOBALEVENTID"], kind="stable")
    out = []
    for (url, c1, c2), g in keyed.groupby(["SOURCEURL", "_a1", "_a2"], sort=True):
        weights = g["NumMentions"].to_numpy(dtype=float)
        goldstein = g["GoldsteinScale"].to_numpy(dtype=float)
        top = g.iloc[int(np.argmax(weights))]
        doer = None if pd.isna(top["doer_id"]) else str(top["doer_id"])
        target = None if pd.isna(top["target_id"]) else str(top["target_id"])
        proposed: dict[str, tuple[int, int, str]] = {}
        for code in dict.fromkeys(g["EventCode"].astype(str)):
            for _, m in bearing(doer, target, code, code_issues).iterrows():
                length = len(str(m["cameo_code"]))
                if length > proposed.get(m["issue_id"], (0, 0, ""))[0]:
                    proposed[m["issue_id"]] = (length, int(m["stance"]), str(m["status"]))
        sources = int(g["NumSources"].max())
        statuses = [s for _, _, s in proposed.values()]
        status = min(statuses, key=STATUS_ORDER.index) if statuses else None
        if status is not None and sources < 2:
            status = _weaker(status)
        channels = set(g["channel"].astype(str))
        out.append(
            {
                "candidate_id": candidate_id(url, c1, c2),
                "case_id": case,
                "actor1_country": c1 or None,
                "actor2_country": c2 or None,
                "doer_id": doer,
                "target_id": target,
                "source_url": url,
                "first_day": g["day"].min(),
                "last_day": g["day"].max(),
                "date_added": g["added"].min(),
                "mentions": len(g),
                "global_event_ids": _joined(g["GLOBALEVENTID"]),
                "event_codes": _joined(sorted(g["EventCode"].astype(str))),
                "quad_classes": _joined(sorted(g["QuadClass"].astype(int))),
                "channel": channels.pop() if len(channels) == 1 else "mixed",
                "action": None if pd.isna(top["action"]) else str(top["action"]),
                "goldstein": float((weights * goldstein).sum() / weights.sum())
                if weights.sum()
                else float(goldstein.mean()),
                "num_mentions": int(weights.sum()),
                "num_sources": sources,
                "num_articles": int(g["NumArticles"].max()),
                "is_root_event": bool((g["IsRootEvent"] == 1).any()),
                "issues": ";".join(f"{i}:{s}" for i, (_, s, _) in sorted(proposed.items())),
                "status": status,
                "files": _joined(sorted(g["file"].astype(str))),
            }
        )
    df = pd.DataFrame(out, columns=columns)
    for c in ("first_day", "last_day", "date_added"):
        df[c] = df[c].astype("datetime64[s]")
    for c in ("mentions", "num_mentions", "num_sources", "num_articles"):
        df[c] = df[c].astype("int64")
    text = [c for c in columns if df[c].dtype == object and c != "is_root_event"]
    for c in text:
        df[c] = df[c].astype(_STRING)
    return df.sort_values(["first_day", "candidate_id"]).reset_index(drop=True)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class Imported:
    """What an import left: rows and candidates for the case, and how many are new."""

    events: int
    new_events: int
    candidates: int
    new_candidates: int
    decided: int


def import_candidates(events: pd.DataFrame, case: str, data_dir: Path | None = None) -> Imported:
    """Add imported GDELT rows to a case and rewrite its candidates.

    Rows are kept once per GLOBALEVENTID (a re-import replaces a row by its
    id); candidates are recomputed from all of the case's rows with the data
    directory's ``code_issues``. The decisions file is never written here.
    """
    from research.load import load

    data_dir = data_dir or default_data_dir()
    t = load(data_dir)
    if case not in set(t.cases["case_id"]):
        raise ReviewError(f"unknown case {case!r}: add it with `research new-case` first")
    where = paths(case, data_dir)
    modelled = with_model(events, t.actors)
    old_ids: set[int] = set()
    if where["events"].exists():
        old = pd.read_parquet(where["events"])
        old_ids = set(old["GLOBALEVENTID"].astype(int))
        modelled = pd.concat([old, modelled], ignore_index=True)
    modelled = modelled.drop_duplicates("GLOBALEVENTID", keep="last")
    modelled = modelled.sort_values("GLOBALEVENTID").reset_index(drop=True)
    before = set()
    if where["candidates"].exists():
        before = set(pd.read_parquet(where["candidates"])["candidate_id"].astype(str))
    cands = candidates(modelled, case, t.code_issues)
    _write_parquet(modelled, where["events"])
    _write_parquet(cands, where["candidates"])
    decided = set(read_decisions(case, data_dir)["candidate_id"])
    ids = set(cands["candidate_id"].astype(str))
    return Imported(
        events=len(modelled),
        new_events=len(set(modelled["GLOBALEVENTID"].astype(int)) - old_ids),
        candidates=len(cands),
        new_candidates=len(ids - before),
        decided=len(ids & decided),
    )


def read_decisions(case: str, data_dir: Path | None = None) -> pd.DataFrame:
    """The case's decisions (empty when none yet), as text."""
    path = paths(case, data_dir)["decisions"]
    if not path.exists():
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in DECISIONS})
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def pending(case: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Candidates of the case with no decision yet."""
    where = paths(case, data_dir)
    if not where["candidates"].exists():
        return candidates(pd.DataFrame(), case, pd.DataFrame())
    cands = pd.read_parquet(where["candidates"])
    done = set(read_decisions(case, data_dir)["candidate_id"])
    return cands[~cands["candidate_id"].isin(done)].reset_index(drop=True)


# --- deciding ---------------------------------------------------------------------


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")
    return out if out[:1].isalpha() else f"s_{out}"


def _append_rows(path: Path, table: str, rows: list[dict[str, str]]) -> None:
    columns = schema()[table].columns
    text = path.read_text(encoding="utf-8")
    sep = "" if text.endswith("\n") or not text else "\n"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    for r in rows:
        w.writerow({c: r.get(c, "") for c in columns})
    path.write_text(text + sep + buf.getvalue(), encoding="utf-8")


def _article_rows(c: pd.Series, t, title: str | None) -> tuple[str, str, dict]:
    """The article's source id and outlet actor id, and rows to add for them."""
    url = str(c["source_url"])
    add: dict[str, list[dict[str, str]]] = {"sources": [], "actors": []}
    known = t.sources[t.sources["url"] == url]
    host = urlparse(url).hostname or url
    if len(known):
        source_id = str(known["source_id"].iloc[0])
    else:
        source_id = "gdelt_" + hashlib.sha256(url.encode()).hexdigest()[:12]
        add["sources"].append(
            {
                "source_id": source_id,
                "title": title or "[no title: GDELT gives only the address]",
                "outlet": host,
                "url": url,
                "kind": "news_report",
                "notes": "The article GDELT 2.0 coded the events of candidate "
                f"{c['candidate_id']} from; GDELT first saw it at "
                f"{pd.Timestamp(c['date_added']):%Y-%m-%d %H:%M} UTC (not its publication date).",
            }
        )
    outlet = _slug(host)
    if outlet not in set(t.actors["actor_id"]):
        add["actors"].append(
            {"actor_id": outlet, "name": host, "kind": "media", "source_id": source_id}
        )
    return source_id, outlet, add


def _provenance(c: pd.Series) -> str:
    return (
        f"From GDELT 2.0 candidate {c['candidate_id']}: GLOBALEVENTID {c['global_event_ids']}; "
        f"EventCode {c['event_codes']}; QuadClass {c['quad_classes']}; Goldstein "
        f"(mention-weighted) {c['goldstein']:.2f}; NumSources {c['num_sources']}, NumArticles "
        f"{c['num_articles']}, NumMentions {c['num_mentions']}; DATEADDED "
        f"{pd.Timestamp(c['date_added']):%Y%m%d%H%M%S}; {c['source_url']}"
    )


def decide(
    case: str,
    candidate: str,
    decision: str,
    *,
    reason: str,
    reviewer: str,
    summary: str | None = None,
    event_id: str | None = None,
    issues: list[tuple[str, int]] | None = None,
    action: str | None = None,
    status: str | None = None,
    title: str | None = None,
    data_dir: Path | None = None,
    at: datetime | None = None,
) -> dict[str, str]:
    """Decide one candidate: ``deed``, ``citation`` (of deed ``event_id``) or ``reject``.

    A deed needs a ``summary`` in the reviewer's words and at least one issue
    (given, or proposed by ``code_issues``); it becomes a row of events,
    event_issues and citations (the article added to sources, its outlet to
    actors as media, when new). A citation adds the article's citation to an
    existing deed. Every decision needs a ``reason`` and is appended to the
    decisions file with the reviewer and the time. Nothing is written unless
    the data directory validates afterwards.
    """
    from research.load import load, validate

    if decision not in KINDS:
        raise ReviewError(f"decision must be one of {', '.join(KINDS)}, not {decision!r}")
    if not reason.strip():
        raise ReviewError("give the reason for the decision")
    data_dir = data_dir or default_data_dir()
    where = paths(case, data_dir)
    if not where["candidates"].exists():
        raise ReviewError(f"no candidates for case {case!r}: run `research import gdelt` first")
    cands = pd.read_parquet(where["candidates"])
    found = cands[cands["candidate_id"] == candidate]
    if found.empty:
        raise ReviewError(f"no candidate {candidate!r} in {where['candidates']}")
    c = found.iloc[0]
    done = read_decisions(case, data_dir)
    before = done[done["candidate_id"] == candidate]
    if len(before):
        b = before.iloc[0]
        raise ReviewError(
            f"{candidate} was already decided ({b['decision']}) by {b['reviewer']} at "
            f"{b['decided_at']}: {b['reason']}"
        )
    t = load(data_dir)
    add: dict[str, list[dict[str, str]]] = {}
    if decision in ("deed", "citation"):
        source_id, outlet, add = _article_rows(c, t, title)
        proposed = [
            (i, int(s)) for i, s in (p.split(":") for p in str(c["issues"] or "").split(";") if p)
        ]
        status = status or (None if pd.isna(c["status"]) else str(c["status"]))
        if status is None:
            raise ReviewError(f"{candidate}: no status proposed by code_issues; give --status")
    if decision == "deed":
        if not summary or not summary.strip():
            raise ReviewError("a deed needs --summary: what happened, in your own words")
        issues = issues or proposed
        if not issues:
            raise ReviewError(f"{candidate}: code_issues proposes no issue; give --issue ID:STANCE")
        if pd.isna(c["doer_id"]) or pd.isna(c["target_id"]):
            raise ReviewError(
                f"{candidate}: {c['actor1_country']} -> {c['actor2_country']} is not a pair of "
                "registry states; add them to actors.csv first"
            )
        event_id = event_id or candidate
        first, last = pd.Timestamp(c["first_day"]), pd.Timestamp(c["last_day"])
        when = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d}/{last:%Y-%m-%d}"
        add["events"] = [
            {
                "event_id": event_id,
                "case_id": case,
                "doers": str(c["doer_id"]),
                "targets": str(c["target_id"]),
                "when": when,
                "occurrence": "once",
                "action": action or ("" if pd.isna(c["action"]) else str(c["action"])),
                "negated": "false",
                "summary": summary.strip(),
                "notes": _provenance(c),
            }
        ]
        add["event_issues"] = [
            {"event_id": event_id, "issue_id": i, "stance": str(s), "notes": ""} for i, s in issues
        ]
    if decision == "citation" and not event_id:
        raise ReviewError("a citation needs the id of the deed it cites (--cite EVENT_ID)")
    if decision in ("deed", "citation"):
        add["citations"] = [
            {
                "citation_id": f"cit_{candidate}",
                "event_id": str(event_id),
                "source_id": source_id,
                "claimed_by": outlet,
                "status": str(status),
                "denies": "false",
                "notes": _provenance(c) + f". Reviewed by {reviewer}: {reason.strip()}",
            }
        ]
    when_decided = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    row = {
        "candidate_id": candidate,
        "decision": decision,
        "event_id": "" if decision == "reject" else str(event_id),
        "reason": reason.strip(),
        "reviewer": reviewer,
        "decided_at": when_decided,
    }
    _apply(data_dir, add, validate)
    _append_decision(where["decisions"], row)
    return row


def _apply(data_dir: Path, add: dict[str, list[dict[str, str]]], validate) -> None:
    """Append rows to copies of the tables, validate the copies, then replace the originals."""
    if not any(add.values()):
        return
    names = [schema()[t].path for t in add if add[t]]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        declared = ["datapackage.json", "rules.json", *(t.path for t in schema().tables)]
        for name in declared:
            if (data_dir / name).exists():
                shutil.copyfile(data_dir / name, work / name)
        for table, rows in add.items():
            if rows:
                _append_rows(work / schema()[table].path, table, rows)
        problems = validate(work)
        if problems:
            text = "\n".join(str(p) for p in problems)
            raise ReviewError(
                f"the decision would leave the data invalid; nothing written:\n{text}"
            )
        for name in names:  # each file replaced whole: never half-written
            fd, part = tempfile.mkstemp(dir=data_dir, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as f:
                f.write((work / name).read_bytes())
            os.replace(part, data_dir / name)


def _append_decision(path: Path, row: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(DECISIONS), lineterminator="\n")
        if new:
            w.writeheader()
        w.writerow(row)
