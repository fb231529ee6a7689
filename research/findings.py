"""What a report found, in a few sentences written from the data.

Each function here turns the analysis layer's frames into a :class:`Finding`:
two to four sentences naming the actors and issues, the key figures, and the
evidence base in one line with a plain caveat when a case rests on one source
or one kind of source. Nothing is written by hand: change the data and the
sentences change with it. :func:`research.present.first_screen` lays a finding
out at the top of a report.

>>> import research
>>> from research import findings
>>> t = research.load()
>>> sd = research.say_do(t, actors="IRN", case="russia-iran")
>>> f = findings.say_do(t, sd, research.evidence(t, list(sd["position_id"])), "IRN")
>>> f.sentences[0].startswith("Iran's own leaders and officials")
True
>>> f.evidence.startswith("Evidence: one source")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from research import dates
from research.derive import STATUS_ORDER
from research.load import Tables
from research.names import Names, count, listing, signed, words
from research.verdicts import DECIDES_AT, VERDICTS

#: How each verdict reads in a count ("2 contradicted by the deeds on record").
VERDICT_PHRASES = {
    "contradicted": "contradicted by the deeds on record",
    "mixed": "met by deeds pointing both ways",
    "consistent": "consistent with them",
    "untested": "untested",
    "not_testable": "not testable",
}


@dataclass(frozen=True)
class Finding:
    """What a report found: sentences, key figures and its evidence base.

    Attributes
    ----------
    sentences : tuple of str
        Two to four sentences stating the finding with names.
    figures : tuple of (label, value)
        The key figures, in reading order.
    evidence : str
        The evidence base in one line.
    caveat : str
        A plain caveat about the evidence base, or ''.
    sources : tuple of str
        Every source in full: title, outlet, author, date, kind.
    """

    sentences: tuple[str, ...]
    figures: tuple[tuple[str, str], ...]
    evidence: str
    caveat: str
    sources: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for the index: the first sentence."""
        return self.sentences[0] if self.sentences else ""


# --- the evidence base -----------------------------------------------------------------


def cited_sources(
    tables: Tables, positions: list[str] | None = None, events: list[str] | None = None
) -> list[str]:
    """Sources citing any of ``positions`` or ``events``, oldest first."""
    c = tables.citations
    mask = c["position_id"].isin(positions or []) | c["event_id"].isin(events or [])
    ids = set(c.loc[mask.fillna(False).astype(bool), "source_id"].astype(str))
    s = tables.sources[tables.sources["source_id"].isin(ids)]
    return list(s.sort_values(["published", "source_id"])["source_id"].astype(str))


def evidence_base(names: Names, source_ids: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """The evidence base in one line, its caveat, and every source in full."""
    full = tuple(names.source(s) for s in source_ids)
    if not source_ids:
        return "Evidence: no source is cited.", "Nothing here rests on a cited source.", full
    kinds = [names.source_kind(s) for s in source_ids]
    if len(source_ids) == 1:
        kind = kinds[0] or "source"
        line = f"Evidence: one source — {names.source_short(source_ids[0])} ({kind})."
        caveat = (
            f"Every statement and deed here rests on this one {kind}; no second source checks it."
        )
        return line, caveat, full
    outlets: dict[str, int] = {}
    for s in source_ids:
        outlets[names.outlet(s)] = outlets.get(names.outlet(s), 0) + 1
    shown = [o if n == 1 else f"{o} ({n})" for o, n in outlets.items()]
    published = [
        str(names.tables.sources.set_index("source_id").at[s, "published"])
        for s in (source_ids[0], source_ids[-1])
    ]
    span = f"{dates.show(published[0])} – {dates.show(published[1])}"
    if len(set(kinds)) == 1:
        what = count(len(source_ids), kinds[0] or "source")
        caveat = f"All {len(source_ids)} sources are {count(2, kinds[0] or 'source')[2:]}; "
        caveat += "no other kind of source is cited."
    else:
        tally = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
        what = listing([count(n, k or "source") for k, n in tally.items()])
        caveat = ""
    return f"Evidence: {what}, {span}: {', '.join(shown)}.", caveat, full


# --- say and do --------------------------------------------------------------------------


def _plural(n: int, noun: str) -> str:
    return count(n, noun).split(" ", 1)[1]


def _tally(verdicts: pd.Series, short: bool = False) -> str:
    """``1 contradicted by the deeds on record, 2 consistent with them and 5 untested``."""
    counts = verdicts.astype(str).value_counts()
    phrase = words if short else VERDICT_PHRASES.get
    return listing([f"{counts[v]} {phrase(v)}" for v in VERDICTS if counts.get(v, 0)])


def _strongest(statuses: pd.Series) -> str:
    present = set(statuses.astype(str))
    return next((s for s in STATUS_ORDER if s in present), "")


def _deeds(pairs: pd.DataFrame, row: pd.Series, role: str | None = None) -> pd.DataFrame:
    d = pairs[
        (pairs["position_id"] == row["position_id"]) & (pairs["principal"] == row["principal"])
    ]
    d = d[d["counted"].astype(bool)]
    return d if role is None else d[d["role"].astype(str) == role]


def basis(names: Names, row: pd.Series, pairs: pd.DataFrame) -> str:
    """Why a statement got its verdict, in one sentence: the rule that fired, with weights.

    Parameters
    ----------
    row : Series
        One row of :func:`research.say_do`.
    pairs : DataFrame
        :func:`research.evidence` for that row's position.
    """
    verdict = str(row["verdict"])
    side = names.actor(row["principal"])
    issue = names.issue(row["issue_id"])
    if verdict == "not_testable":
        return f"Not testable: {row['reason']}."
    against, agree = _deeds(pairs, row, "contradicts"), _deeds(pairs, row, "agrees")
    w_against, w_agree = float(row["weight_contradicting"]), float(row["weight_agreeing"])
    weights = f"deeds against it weigh {w_against:.2f}, deeds for it {w_agree:.2f}"
    if verdict == "untested":
        if against.empty and agree.empty:
            return (
                f"Untested: no deed by {side} or anyone acting for it on “{issue}” falls in the "
                "time the statement speaks about; an absence on record is not evidence of absence."
            )
        return (
            f"Untested: {weights} — both under the {DECIDES_AT:g} a verdict needs "
            "(one reported deed wholly in the time it speaks about)."
        )
    if verdict == "contradicted":
        return f"Contradicted: {weights}; those against it reach {DECIDES_AT:g}, those for it not."
    if verdict == "consistent":
        return f"Consistent: {weights}; those for it reach {DECIDES_AT:g}, those against it not."
    return f"Mixed: {weights}; both sides reach {DECIDES_AT:g}."


def _pressed(rows: pd.DataFrame) -> pd.Series | None:
    """The statement the deeds press hardest: the heaviest contradicting weight
    among contradicted statements, then mixed, untested and consistent ones."""
    rows = rows[rows["weight_contradicting"].fillna(0) > 0]
    if rows.empty:
        return None
    order = {"contradicted": 0, "mixed": 1, "untested": 2, "consistent": 3}
    rows = rows.assign(_o=rows["verdict"].astype(str).map(order).fillna(9))
    rows = rows.sort_values(
        ["_o", "weight_contradicting", "position_id"], ascending=[True, False, True]
    )
    return rows.iloc[0]


def _tension(names: Names, rows: pd.DataFrame, pairs: pd.DataFrame) -> str:
    """The statement the deeds press hardest, and what presses it."""
    p = _pressed(rows)
    if p is None:
        return ""
    against = _deeds(pairs, p, "contradicts")
    said = dates.show(str(p["said"]))
    lead = f"{names.who(str(p['speaker_id']))}, {said}: {str(p['summary']).rstrip('.')}."
    n = count(len(against), "deed")
    verb = "points" if len(against) == 1 else "point"
    strongest = _strongest(against["status"])
    side = names.actor(p["principal"])
    where = (
        f"In the time it speaks about, {n} by {side} or those acting for it {verb} the other way"
    )
    where += f", the strongest “{strongest}”" if strongest else ""
    verdict = str(p["verdict"])
    if verdict == "contradicted":
        return f"{lead} {where}: contradicted."
    if verdict == "untested":
        w = float(p["weight_contradicting"])
        return (
            f"{lead} {where}, but together they weigh {w:.2f}, under the {DECIDES_AT:g} a "
            "verdict needs, so it stays untested."
        )
    return f"{lead} {where}, and others agree with it: {words(verdict)}."


def _own(names: Names, sd: pd.DataFrame, actor: str) -> pd.Series:
    """Which rows are the actor's own officials' statements about its own side."""
    side = names.side(actor)
    speakers_side = sd["speaker_id"].astype(str).map(names.side)
    return (
        (sd["kind"].astype(str) == "official_statement")
        & (sd["principal"].astype(str) == side)
        & (speakers_side == side)
    )


def quoted(tables: Tables, sd: pd.DataFrame, actor: str) -> list[str]:
    """The position the finding of :func:`say_do` quotes with its deeds (none or one id).

    A report fetches :func:`research.evidence` only for the statements it
    shows; this is the one the first screen needs besides its cards.
    """
    names = Names(tables)
    own = sd[_own(names, sd, actor)]
    p = _pressed(own if not own.empty else sd[sd["principal"] == names.side(actor)])
    return [] if p is None else [str(p["position_id"])]


def say_do(tables: Tables, sd: pd.DataFrame, pairs: pd.DataFrame, actor: str) -> Finding:
    """What an actor's report found: its own officials' words against its deeds.

    Parameters
    ----------
    sd : DataFrame
        :func:`research.say_do` for the actor.
    pairs : DataFrame
        :func:`research.evidence` for those positions, or for those a report
        shows and the one :func:`quoted` names.
    actor : str
        The actor the report is about.
    """
    names = Names(tables)
    side = names.side(actor)
    own = sd[_own(names, sd, actor)]
    others = sd[~sd["position_id"].isin(own["position_id"])].drop_duplicates("position_id")
    who = names.possessive(side)
    sentences = []
    if own.empty:
        sentences.append(
            f"No official statement by {who} own leaders or officials is on record in this case."
        )
    else:
        by = own["speaker_id"].astype(str).value_counts(sort=False)
        speakers = listing(
            [f"{n} by {names.actor(s)}{' itself' if s == side else ''}" for s, n in by.items()]
        )
        sentences.append(
            f"{who} own leaders and officials made {count(len(own), 'official statement')} "
            f"in this case ({speakers}): {_tally(own['verdict'])}."
        )
    tension = _tension(names, own if not own.empty else sd[sd["principal"] == side], pairs)
    if tension:
        sentences.append(tension)
    if not others.empty:
        by_kind = others["kind"].astype(str).value_counts()
        kinds = listing([count(n, words(k)) for k, n in by_kind.items() if n])
        sentences.append(
            f"Others' words about {names.actor(side)} ({kinds}) are kept apart below: "
            f"{_tally(others['verdict'], short=True)}."
        )
    # Every deed listed, and every deed that decided a verdict (the rows without a
    # card have their deciding deeds in ``evidence_ids``).
    events = set(pairs["event_id"].astype(str))
    if "evidence_ids" in sd:
        events.update(e for ids in sd["evidence_ids"] if ids for e in ids)
    sources = cited_sources(tables, list(sd["position_id"]), sorted(events))
    line, caveat, full = evidence_base(names, sources)
    counts = own["verdict"].astype(str).value_counts()
    figures = (
        (f"official {_plural(len(own), 'statement')} by {who} side", str(len(own))),
        ("contradicted", str(counts.get("contradicted", 0))),
        ("consistent", str(counts.get("consistent", 0))),
        (
            "untested or not testable",
            str(counts.get("untested", 0) + counts.get("not_testable", 0)),
        ),
        (
            f"{_plural(len(others), 'statement')} by others about {names.actor(side)}",
            str(len(others)),
        ),
        ("source" if len(sources) == 1 else "sources", str(len(sources))),
    )
    return Finding(tuple(sentences), figures, line, caveat, full)


# --- two actors ----------------------------------------------------------------------------


def _score(row: pd.Series | None, names: Names) -> str:
    if row is None or int(row["n_shared"]) == 0:
        return "share no issue on record"
    issues = listing([f"“{names.issue(i)}”" for i in row["shared_issues"]])
    thin = ", too few to go on (thin)" if bool(row["thin"]) else ""
    return (
        f"score S {signed(float(row['s_score']))} (1: same stances, −1: opposite) on "
        f"{count(int(row['n_shared']), 'shared issue')}{thin}: {issues}"
    )


def _sources_of_timeline(tl: pd.DataFrame) -> set[str]:
    found: set[str] = set()
    for value in tl["sources"].dropna().astype(str):
        found.update(s.strip() for s in re.split(r"[;,]", value) if s.strip())
    return found


def dyad(
    tables: Tables,
    overall: pd.DataFrame,
    apart: pd.DataFrame,
    a: str,
    b: str,
    tl: pd.DataFrame,
) -> Finding:
    """What a two-actor report found: alignment in words and in deeds, and where they part.

    Parameters
    ----------
    overall : DataFrame
        :func:`research.alignment` over all time.
    apart : DataFrame
        :func:`research.divergence` (issues where they stand far apart).
    tl : DataFrame
        :func:`research.timeline` of both actors (its sources are the evidence base).
    """
    names = Names(tables)
    by = {str(r["channel"]): r for _, r in overall.iterrows()}
    na, nb = names.actor(a), names.actor(b)
    sentences = [
        f"In words, {na} and {nb} {_score(by.get('words'), names)}.",
        f"In deeds, they {_score(by.get('deeds'), names)}.",
    ]
    if apart.empty:
        sentences.append("On no issue do they stand 2 or more apart, in words or in deeds.")
    else:
        parts = []
        for _, r in apart.iterrows():
            channel = "deeds" if pd.notna(r["deeds_apart"]) else "words"
            sa, sb = r[f"a_{channel}"], r[f"b_{channel}"]
            parts.append(
                f"“{names.issue(r['issue_id'])}” (in {channel}: {na} {signed(sa, 1)}, "
                f"{nb} {signed(sb, 1)})"
            )
        sentences.append(f"They stand 2 or more apart on {listing(parts)}.")
    sources = sorted(_sources_of_timeline(tl))
    srcs = tables.sources[tables.sources["source_id"].isin(sources)]
    sources = list(srcs.sort_values(["published", "source_id"])["source_id"].astype(str))
    line, caveat, full = evidence_base(names, sources)

    def fig(channel: str) -> str:
        r = by.get(channel)
        if r is None or int(r["n_shared"]) == 0:
            return "no shared issue"
        thin = ", thin" if bool(r["thin"]) else ""
        return f"{signed(float(r['s_score']))} ({count(int(r['n_shared']), 'issue')}{thin})"

    figures = (
        ("S in words", fig("words")),
        ("S in deeds", fig("deeds")),
        ("issues 2 or more apart", str(len(apart))),
        ("source" if len(sources) == 1 else "sources", str(len(sources))),
    )
    return Finding(tuple(sentences), figures, line, caveat, full)


# --- a whole case -----------------------------------------------------------------------------


def case(tables: Tables, case_id: str, sd: pd.DataFrame) -> Finding:
    """What a case holds and what was found in it.

    Parameters
    ----------
    case_id : str
        A ``case_id`` of the cases table.
    sd : DataFrame
        :func:`research.say_do` for the whole case.
    """
    names = Names(tables)
    c = tables.cases.set_index("case_id").loc[case_id]
    positions = tables.positions[tables.positions["case_id"] == case_id]
    events = tables.events[tables.events["case_id"] == case_id]
    actors = set(positions["speaker_id"].astype(str))
    for doers in events["doers"].astype(str):
        actors.update(d.strip() for d in doers.split(";"))
    official = sd[sd["kind"].astype(str) == "official_statement"].drop_duplicates("position_id")
    sentences = [
        f"The case “{c['title']}” holds {count(len(positions), 'statement')} and "
        f"{count(len(events), 'deed')} by {count(len(actors), 'actor')}.",
        f"Of {count(len(official), 'official statement')} tested against deeds, "
        f"{_tally(official['verdict'])}.",
    ]
    sources = cited_sources(tables, list(positions["position_id"]), list(events["event_id"]))
    line, caveat, full = evidence_base(names, sources)
    counts = official["verdict"].astype(str).value_counts()
    figures = (
        (_plural(len(positions), "statement"), str(len(positions))),
        (_plural(len(events), "deed"), str(len(events))),
        (_plural(len(actors), "actor"), str(len(actors))),
        ("contradicted (official statements)", str(counts.get("contradicted", 0))),
        ("source" if len(sources) == 1 else "sources", str(len(sources))),
    )
    return Finding(tuple(sentences), figures, line, caveat, full)


__all__ = ["Finding", "basis", "case", "cited_sources", "dyad", "evidence_base", "say_do"]
