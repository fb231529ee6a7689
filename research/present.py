"""Show curated text in notebooks and reports: always as text, never as markup.

Every function here escapes what it is given, so a summary that happens to
contain ``<script>`` is displayed as those characters, in JupyterLab and in
the HTML reports alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from research import dates
from research.names import Names, listing, words
from research.verdicts import VERDICTS

if TYPE_CHECKING:
    from research.findings import Finding

#: Mimetype a notebook uses to hand the report build a one-line summary.
SUMMARY_MIME = "application/vnd.research.summary+json"


def _fmt(value: object) -> str:
    if value is None or (not isinstance(value, tuple | list) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


class HTML:
    """HTML built here from escaped parts; displays in notebooks and reports."""

    def __init__(self, markup: str, text: str = ""):
        self.markup, self.text = markup, text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or self.markup


#: Columns holding dates as the source writes them; tables show them in words.
WRITTEN_DATES = ("said", "window", "when", "start", "end", "published")


def _cell(column: str, value: object) -> str:
    if column in WRITTEN_DATES and isinstance(value, str):
        return dates.show(value)
    return _fmt(value)


#: What each column holds, so that a table can show names for ids.
ID_COLUMNS = {
    "speaker_id": "actor",
    "principal": "actor",
    "actor_id": "actor",
    "doers": "actor",
    "targets": "actor",
    "subjects": "actor",
    "counterpart": "actor",
    "claimed_by": "actor",
    "for_id": "actor",
    "issue_id": "issue",
    "shared_issues": "issue",
    "source_id": "source",
    "sources": "source",
}
#: Coded columns shown in words.
CODED = ("kind", "claim", "voice", "status", "verdict", "channel", "role", "occurrence", "action")
#: Column headings in words.
HEADERS = {
    "speaker_id": "speaker",
    "principal": "tested against",
    "actor_id": "actor",
    "doers": "who did it",
    "issue_id": "issue",
    "source_id": "source",
    "for_id": "for",
    "position_id": "statement id",
    "event_id": "deed id",
    "n_shared": "shared issues",
    "shared_issues": "which issues",
    "s_score": "S score",
    "s_score_low": "S, 95% low",
    "s_score_high": "S, 95% high",
    "s_squared": "S (squared distance)",
    "scott_pi": "Scott's π",
    "cohen_kappa": "Cohen's κ",
    "a_n": "statements or deeds (first)",
    "b_n": "statements or deeds (second)",
    "label": "what",
    "when": "date",
    "said": "said",
    "window": "speaks about",
    "evidence_ids": "deeds on record",
}


#: Text with no space, hyphen or slash for longer than this may wrap anywhere in a table
#: cell (``<wbr>`` every :data:`WRAP_EVERY` characters): a table is never wider than its
#: words need.
LONG_WORD = 40
WRAP_EVERY = 20


def breakable(text: str) -> str:
    """``text`` escaped, with a line-break opportunity inside every long unbroken run.

    A table sizes a column to its longest unbreakable word; a 10,000-character
    one made a page 93,809 px wide. Runs of more than :data:`LONG_WORD`
    characters without a space, hyphen or slash (where a line may already
    break) get a ``<wbr>`` every :data:`WRAP_EVERY`
    characters, which wraps there only when it must and copies as the same text.

    Examples
    --------
    >>> breakable("a<b " + "x" * 45)
    'a&lt;b xxxxxxxxxxxxxxxxxxxx<wbr>xxxxxxxxxxxxxxxxxxxx<wbr>xxxxx'
    """
    parts = re.split(rf"([^\s/-]{{{LONG_WORD + 1},}})", text)
    return "".join(
        "<wbr>".join(html.escape(part[i : i + WRAP_EVERY]) for i in range(0, len(part), WRAP_EVERY))
        if k % 2
        else html.escape(part)
        for k, part in enumerate(parts)
    )


def _ids(value: object) -> list[str]:
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    text = _fmt(value)
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()] if text else []


def _named(column: str, value: object, names: Names | None) -> str:
    """A cell as markup: names for ids (the ids on hover), words for codes."""
    what = ID_COLUMNS.get(column)
    if names is not None and what is not None:
        ids = _ids(value)
        show = {"actor": names.actor, "issue": names.issue, "source": names.source_short}[what]
        return "; ".join(
            f'<span title="{html.escape(i)}">{html.escape(show(i))}</span>' for i in ids
        )
    if names is not None and column in CODED:
        return breakable(words(value))
    return breakable(_cell(column, value))


def table(
    df: pd.DataFrame,
    columns: Iterable[str] | None = None,
    max_rows: int = 200,
    *,
    names: Names | None = None,
    headers: dict[str, str] | None = None,
) -> HTML:
    """A plain, escaped HTML table of ``columns`` (all by default).

    Dates show as YYYY-MM-DD, dates written at their precision (``said``,
    ``window``, ``when``, a role's ``start`` and ``end``, a source's
    ``published``) in words at that
    precision, tuples of ids joined with commas, missing values as blanks.
    With ``names`` (:class:`research.names.Names`), actors, issues and sources
    show by name with their id on hover, coded values and headings in words.
    The table scrolls inside its own box on a narrow screen.

    Examples
    --------
    >>> import pandas as pd
    >>> markup = table(pd.DataFrame({"a": ["<b>"]})).markup
    >>> print(markup.replace("</tr>", "</tr>\\n"))
    <div class="table-wrap" tabindex="0"><table><thead><tr><th>a</th></tr>
    </thead><tbody><tr><td>&lt;b&gt;</td></tr>
    </tbody></table></div>
    """
    cols = list(columns) if columns is not None else list(df.columns)
    heads = {**(HEADERS if names is not None else {}), **(headers or {})}
    head = "".join(
        f"<th>{html.escape(heads.get(c, c.replace('_', ' ') if names else c))}</th>" for c in cols
    )
    rows = []
    for rec in df[cols].head(max_rows).itertuples(index=False):
        cells = (f"<td>{_named(c, v, names)}</td>" for c, v in zip(cols, rec, strict=True))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = len(df) - max_rows
    foot = f'<p class="muted">… and {more} more rows</p>' if more > 0 else ""
    markup = (
        f'<div class="table-wrap" tabindex="0"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{foot}"
    )
    return HTML(markup, df[cols].head(max_rows).to_string(index=False))


def heading(text: str, level: int = 2) -> HTML:
    """An escaped heading, for a section whose title holds a name from the data."""
    return HTML(f"<h{level}>{html.escape(text)}</h{level}>", text)


def paragraph(text: str, css: str = "") -> HTML:
    """One escaped paragraph."""
    cls = f' class="{html.escape(css)}"' if css else ""
    return HTML(f"<p{cls}>{html.escape(text)}</p>", text)


def summary(text: str) -> dict:
    """Publish the report's one-line summary (for the index) and show it.

    Use as ``display(summary("..."), raw=True)``.
    """
    return {
        SUMMARY_MIME: {"summary": text},
        "text/html": f'<p class="lead"><strong>{html.escape(text)}</strong></p>',
        "text/plain": text,
    }


#: The first screen's list of every source in full stops after this many.
MAX_SOURCES = 100


def first_screen(finding: Finding) -> dict:
    """The top of a report: the finding in sentences, key figures, the evidence base.

    Publishes the finding's first sentence as the report's one-line summary
    for the index, like :func:`summary`. Use as
    ``display(first_screen(finding), raw=True)``.
    """
    sentences = " ".join(html.escape(s) for s in finding.sentences)
    figures = "".join(
        f"<li><strong>{html.escape(v)}</strong> {html.escape(k)}</li>" for k, v in finding.figures
    )
    caveat = (
        f' <strong class="caveat">{html.escape(finding.caveat)}</strong>' if finding.caveat else ""
    )
    listed = finding.sources[:MAX_SOURCES]
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in listed)
    rest = len(finding.sources) - len(listed)
    if rest:  # a page stays light however many sources a large case cites
        sources += f"<li>… and {rest:,} more: <code>research.findings.cited_sources</code></li>"
    markup = (
        '<section class="finding" aria-label="What this report found">'
        f'<p class="lead">{sentences}</p>'
        f'<p class="evidence">{html.escape(finding.evidence)}{caveat}</p>'
        f'<ul class="figures">{figures}</ul>'
        + (
            f'<details class="sources"><summary>Every source in full</summary><ol>{sources}</ol>'
            "</details>"
            if len(finding.sources) > 1
            else ""
        )
        + "</section>"
    )
    text = "\n".join([*finding.sentences, finding.evidence, finding.caveat]).strip()
    return {SUMMARY_MIME: {"summary": finding.summary}, "text/html": markup, "text/plain": text}


def _span(text: str, title: str) -> str:
    """Escaped text with an id on hover (the text alone when it is the id)."""
    if text == title:
        return html.escape(text)
    return f'<span title="{html.escape(title)}">{html.escape(text)}</span>'


def _citations(rows: pd.DataFrame | None, names: Names) -> str:
    """Every citation of a row: source, who claims it, status, wording, quote, denial."""
    if rows is None or rows.empty:
        return ""
    items = []
    for _, c in rows.iterrows():
        quote = _fmt(c.get("quote"))
        wording = _fmt(c.get("source_wording"))
        source = _fmt(c["source_id"])
        denies = " <strong>denies it</strong>;" if bool(c["denies"]) else ""
        items.append(
            f"<li>{_span(names.source_short(source), source)}: claimed by "
            f"{_span(names.actor(c['claimed_by']), _fmt(c['claimed_by']))};"
            f"{denies} {html.escape(_fmt(c['status']))}"
            + (f" — the source writes “{html.escape(wording)}”" if wording else "")
            + (f"; quote: “{html.escape(quote)}”" if quote else "")
            + "</li>"
        )
    return f'<ul class="citations muted">{"".join(items)}</ul>'


def _window(p: pd.Series) -> str:
    """The window in words; one opened by a role says so and gives the role's start."""
    text = _fmt(p["window"])
    role = _fmt(p.get("window_from_role"))
    if not role:
        return dates.show(text)
    end = text.split("/", 1)[1]
    start = pd.Timestamp(p["window_start"])
    since = f"since {role.replace('_', ' ')} began ({start.day} {start.strftime('%b %Y')})"
    return since + ("" if end == dates.OPEN else f" to {dates.show_part(end)}")


def _via(row: pd.Series, names: Names) -> str:
    """The roles that make a row count for its principal, when any."""
    via = _fmt(row.get("via"))
    if not via:
        return ""
    principal = _fmt(row["principal"])
    return (
        f"; counts for {_span(names.actor(principal), principal)} "
        f"via {_span(names.role_title(via), via)}"
    )


def _said(p: pd.Series, cites: pd.DataFrame | None, names: Names) -> str:
    speaker = _fmt(p["speaker_id"])
    about = _fmt(p.get("subjects"))
    about = f", about {_span(names.actor(about), about)}" if about else ""
    condition = _fmt(p.get("condition"))
    condition = f"; if {html.escape(condition)}" if condition else ""
    issue = _fmt(p["issue_id"])
    kind = f"{words(p['kind'])}, {words(p['claim'])}, {words(p['voice'])}"
    return (
        f'<div class="said"><strong>Said</strong> ({html.escape(dates.show(_fmt(p["said"])))}, '
        f"{_span(names.who(speaker), speaker)}{about}{_via(p, names)}; {html.escape(kind)}): "
        f"{html.escape(_fmt(p['summary']))} "
        f'<span class="muted">[stance {html.escape(names.stance(issue, p["stance"]))} on '
        f"{_span(names.issue(issue), issue)}; speaks about "
        f"{html.escape(_window(p))}{condition}; status "
        f"{html.escape(_fmt(p['status']))}]</span>{_citations(cites, names)}</div>"
    )


def _done(e: pd.Series, cites: pd.DataFrame | None, names: Names) -> str:
    how = "throughout" if _fmt(e.get("occurrence")) == "throughout" else "once, within"
    doers = _fmt(e["doers"])
    issue = _fmt(e["issue_id"])
    decided = " decided" if e["deciding"] else ""
    return (
        f'<div class="done{decided}"><strong>Done</strong> ({html.escape(how)} '
        f"{html.escape(dates.show(_fmt(e['when'])))}; "
        f"{_span(names.actor(doers), doers)}{_via(e, names)}): {html.escape(_fmt(e['summary']))} "
        f'<span class="muted">[stance {html.escape(names.stance(issue, e["stance"]))}; status '
        f"<strong>{html.escape(_fmt(e['status']))}</strong>; "
        f"{html.escape(words(e['role']))}; {html.escape(_weighs(e))}]</span>"
        f"{_citations(cites, names)}</div>"
    )


def _weighs(e: pd.Series) -> str:
    """What a deed weighs in the verdict, in words."""
    share = float(e["share"])
    part = "" if share == 1 else f", {share:.0%} of it in the window"
    if not e["counted"]:
        return f"not counted (weight 0{part})"
    return f"weight {float(e['weight']):.2f}{part}" + ("; decided it" if e["deciding"] else "")


#: A card lists at most this many deeds, strongest first; the rest are summarised.
MAX_DEEDS = 8
#: A section shows at most this many cards; the statements after them are summarised.
MAX_CARDS = 40


def sections(sd: pd.DataFrame, names: Names, actor: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two sections of a say–do report, each in card order (by verdict).

    First the actor's own leaders', officials' and organs' statements tested
    against its own side's deeds, then everything else said about it.
    """
    side = names.side(actor)
    own = sd[
        (sd["kind"].astype(str) == "official_statement")
        & (sd["principal"].astype(str) == side)
        & (sd["speaker_id"].astype(str).map(names.side) == side)
    ]
    order = {v: i for i, v in enumerate(VERDICTS)}

    def by_verdict(v: pd.Series) -> pd.Series:
        return v.astype(str).map(order)

    others = sd[~sd.index.isin(own.index)]
    return (
        own.sort_values("verdict", key=by_verdict, kind="stable"),
        others.sort_values("verdict", key=by_verdict, kind="stable"),
    )


def strongest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Deeds in the order a card lists them: those that weigh first, heaviest first,
    then by status from the most certain, then as given (a stable sort)."""
    if rows.empty:
        return rows
    from research.derive import STATUS_ORDER

    status = rows["status"].astype(str)
    rank = status.map({s: i for i, s in enumerate(STATUS_ORDER)}).fillna(len(STATUS_ORDER))
    key = pd.DataFrame(
        {
            "counted": ~rows["counted"].astype(bool).to_numpy(),
            "weight": -rows["weight"].astype(float).fillna(0).to_numpy(),
            "status": rank.to_numpy(),
        }
    )
    order = key.sort_values(["counted", "weight", "status"], kind="stable").index
    return rows.iloc[order.to_numpy()]


def _more_deeds(rest: pd.DataFrame, position: str) -> str:
    """The deeds a card does not list, in one line: how many, which way, how certain."""
    from research.derive import STATUS_ORDER

    roles = rest["role"].astype(str).value_counts()
    against, agree = int(roles.get("contradicts", 0)), int(roles.get("agrees", 0))
    other = len(rest) - against - agree
    ways = [f"{against:,} against it", f"{agree:,} for it", f"{other:,} neither"]
    ways = [w for w, n in zip(ways, (against, agree, other), strict=True) if n]
    weigh = int(rest["counted"].astype(bool).sum())
    statuses = set(rest["status"].astype(str))
    top = next((s for s in STATUS_ORDER if s in statuses), "")
    more = "deed" if len(rest) == 1 else "deeds"
    return (
        f'<p class="more muted">… and {len(rest):,} more {more} ({html.escape(listing(ways))}; '
        f"{weigh:,} weigh in the verdict"
        + (f"; the strongest {html.escape(top)}" if top else "")
        + "): see the table, <code>research.evidence(t, "
        + f"[&quot;{html.escape(position)}&quot;])</code> in a notebook.</p>"
    )


def _more_cards(rest: pd.DataFrame) -> str:
    """The statements a section shows no card for, in one line with their verdicts."""
    counts = rest["verdict"].astype(str).value_counts()

    tally = listing([f"{counts[v]:,} {words(v)}" for v in VERDICTS if counts.get(v, 0)])
    what = "statement" if len(rest) == 1 else "statements"
    return (
        f'<p class="more">… and {len(rest):,} more {what} ({html.escape(tally)}), '
        "each tested the same way: see the table of verdicts, "
        "<code>research.say_do(t, …)</code> in a notebook.</p>"
    )


def cards(
    sd: pd.DataFrame,
    pairs: pd.DataFrame,
    citations: pd.DataFrame,
    names: Names | None = None,
    *,
    deeds: str = "all",
    max_deeds: int = MAX_DEEDS,
    max_cards: int = MAX_CARDS,
) -> HTML:
    """One card per say–do row: what was said, the verdict, its basis and the deeds.

    Parameters
    ----------
    sd : DataFrame
        Rows of :func:`research.say_do`, in the order the cards are shown.
    pairs : DataFrame
        :func:`research.evidence` for (at least) those positions.
    citations : DataFrame
        The citations table (``tables.citations``): every citation of the
        position and of each deed is listed.
    names : Names, optional
        Names for the ids (:class:`research.names.Names`), with the ids on
        hover; without it the cards show the ids.
    deeds : {"all", "counted"}
        Which deeds a card lists: every deed considered, or only those that
        weigh in the time the statement speaks about.
    max_deeds, max_cards : int
        A card lists its first ``max_deeds`` deeds, strongest first
        (:func:`strongest_first`), and sums up the rest in one line; only the
        first ``max_cards`` rows get a card, the others are summed up by
        verdict. The basis of every verdict still weighs all its deeds.

    Examples
    --------
    >>> import research
    >>> t = research.load()
    >>> sd = research.say_do(t, actors="IRN", case="russia-iran")
    >>> pairs = research.evidence(t, list(sd["position_id"]))
    >>> markup = cards(sd, pairs, t.citations, max_deeds=1, max_cards=2).markup
    >>> markup.count('<div class="card '), "more statements" in markup
    (2, True)
    """
    from research.findings import basis

    names = names if names is not None else Names.ids()
    shown = sd.iloc[:max_cards]
    listed = set(shown["position_id"])
    mine = pairs[pairs["position_id"].isin(listed)]  # the deeds of the rows shown
    by_row = {key: g for key, g in mine.groupby(["position_id", "principal"], sort=False)}
    cites = citations[
        citations["position_id"].isin(listed) | citations["event_id"].isin(set(mine["event_id"]))
    ]
    cites_p = {k: g for k, g in cites.groupby("position_id", sort=False)}
    cites_e = {k: g for k, g in cites.groupby("event_id", sort=False)}
    out = []
    for _, p in shown.iterrows():
        key = (p["position_id"], p["principal"])
        every = by_row.get(key, pairs.iloc[0:0])
        rows = every[every["counted"].astype(bool)] if deeds == "counted" else every
        rows = strongest_first(rows)
        body = "".join(
            _done(e, cites_e.get(e["event_id"]), names) for _, e in rows.head(max_deeds).iterrows()
        )
        if len(rows) > max_deeds:
            body += _more_deeds(rows.iloc[max_deeds:], str(p["position_id"]))
        verdict = _fmt(p["verdict"])
        principal, position = _fmt(p["principal"]), _fmt(p["position_id"])
        out.append(
            f'<div class="card {html.escape(verdict)}" title="{html.escape(position)}">'
            f'<div class="verdict"><strong>{html.escape(words(verdict))}</strong>'
            f' <span class="muted">(tested against the deeds of '
            f"{_span(names.actor(principal), principal)})</span></div>"
            f"{_said(p, cites_p.get(p['position_id']), names)}"
            f'<p class="basis">{html.escape(basis(names, p, every))}</p>'
            f"{body}</div>"
        )
    if len(sd) > max_cards:
        out.append(_more_cards(sd.iloc[max_cards:]))
    return HTML("".join(out), f"{len(sd)} cards")
