"""Show curated text in notebooks and reports: always as text, never as markup.

Every function here escapes what it is given, so a summary that happens to
contain ``<script>`` is displayed as those characters, in JupyterLab and in
the HTML reports alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

from research import dates

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
WRITTEN_DATES = ("said", "window", "when", "start", "end")


def _cell(column: str, value: object) -> str:
    if column in WRITTEN_DATES and isinstance(value, str):
        return dates.show(value)
    return _fmt(value)


def table(df: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 200) -> HTML:
    """A plain, escaped HTML table of ``columns`` (all by default).

    Dates show as YYYY-MM-DD, dates written at their precision (``said``,
    ``window``, ``when``, a role's ``start`` and ``end``) in words at that
    precision, tuples of ids joined with commas, missing values as blanks.

    Examples
    --------
    >>> import pandas as pd
    >>> print(table(pd.DataFrame({"a": ["<b>"]})).markup)
    <table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>
    """
    cols = list(columns) if columns is not None else list(df.columns)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = []
    for rec in df[cols].head(max_rows).itertuples(index=False):
        cells = (f"<td>{html.escape(_cell(c, v))}</td>" for c, v in zip(cols, rec, strict=True))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = len(df) - max_rows
    foot = f'<p class="muted">… and {more} more rows</p>' if more > 0 else ""
    markup = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}"
    return HTML(markup, df[cols].head(max_rows).to_string(index=False))


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


def _citations(rows: pd.DataFrame | None) -> str:
    """Every citation of a row: source, who claims it, status, wording, quote, denial."""
    if rows is None or rows.empty:
        return ""
    items = []
    for _, c in rows.iterrows():
        quote = _fmt(c.get("quote"))
        wording = _fmt(c.get("source_wording"))
        denies = " <strong>denies it</strong>;" if bool(c["denies"]) else ""
        items.append(
            f"<li>{html.escape(_fmt(c['source_id']))}: {html.escape(_fmt(c['claimed_by']))};"
            f"{denies} {html.escape(_fmt(c['status']))}"
            + (f" — “{html.escape(wording)}”" if wording else "")
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
    since = f"since {role} began ({start.day} {start.strftime('%b %Y')})"
    return since + ("" if end == dates.OPEN else f" to {dates.show_part(end)}")


def _said(p: pd.Series, cites: pd.DataFrame | None) -> str:
    about = _fmt(p.get("subjects"))
    about = f" about {html.escape(about)}" if about else ""
    condition = _fmt(p.get("condition"))
    condition = f"; if {html.escape(condition)}" if condition else ""
    return (
        f'<div class="said"><strong>Said</strong> ({html.escape(dates.show(_fmt(p["said"])))}, '
        f"{html.escape(_fmt(p['speaker_id']))}{about}{_via(p)}; {html.escape(_fmt(p['claim']))}, "
        f"{html.escape(_fmt(p['voice']).replace('_', ' '))}): "
        f"{html.escape(_fmt(p['summary']))} "
        f'<span class="muted">[stance {html.escape(_fmt(p["stance"]))}; window '
        f"{html.escape(_window(p))}{condition}; status "
        f"{html.escape(_fmt(p['status']))}]</span>{_citations(cites)}</div>"
    )


def _via(row: pd.Series) -> str:
    """The roles that make a row count for its principal, when any."""
    via = _fmt(row.get("via"))
    return (
        f"; counts for {html.escape(_fmt(row['principal']))} via {html.escape(via)}" if via else ""
    )


def _done(e: pd.Series, cites: pd.DataFrame | None) -> str:
    how = "throughout" if _fmt(e.get("occurrence")) == "throughout" else "once, within"
    return (
        f'<div class="done"><strong>Done</strong> ({html.escape(how)} '
        f"{html.escape(dates.show(_fmt(e['when'])))}; "
        f"{html.escape(_fmt(e['doers']))}{_via(e)}): {html.escape(_fmt(e['summary']))} "
        f'<span class="muted">[stance {html.escape(_fmt(e["stance"]))} on '
        f"{html.escape(_fmt(e['issue_id']))}; status "
        f"<strong>{html.escape(_fmt(e['status']))}</strong>; "
        f"{html.escape(_fmt(e['role']))}; {html.escape(_weighs(e))}]</span>"
        f"{_citations(cites)}</div>"
    )


def _weighs(e: pd.Series) -> str:
    """What a deed weighs in the verdict, in words."""
    share = float(e["share"])
    part = "" if share == 1 else f", {share:.0%} of it in the window"
    if not e["counted"]:
        return f"not counted (weight 0{part})"
    return f"weight {float(e['weight']):.2f}{part}" + ("; decided it" if e["deciding"] else "")


def cards(sd: pd.DataFrame, pairs: pd.DataFrame, citations: pd.DataFrame) -> HTML:
    """One card per say–do row: what was said against what was done.

    Parameters
    ----------
    sd : DataFrame
        Rows of :func:`research.say_do`.
    pairs : DataFrame
        :func:`research.evidence` for (at least) those positions.
    citations : DataFrame
        The citations table (``tables.citations``): every citation of the
        position and of each deed is listed.
    """
    by_row = {key: g for key, g in pairs.groupby(["position_id", "principal"], sort=False)}
    cites_p = {k: g for k, g in citations.groupby("position_id", sort=False)}
    cites_e = {k: g for k, g in citations.groupby("event_id", sort=False)}
    out = []
    for _, p in sd.iterrows():
        deeds = by_row.get((p["position_id"], p["principal"]))
        verdict = _fmt(p["verdict"])
        body = ""
        if deeds is not None:
            body = "".join(_done(e, cites_e.get(e["event_id"])) for _, e in deeds.iterrows())
        out.append(
            f'<div class="card {html.escape(verdict)}"><div><strong>{html.escape(verdict)}</strong>'
            f' <span class="muted">{html.escape(_fmt(p["position_id"]))} '
            f"(tested against {html.escape(_fmt(p['principal']))}): "
            f"{html.escape(_fmt(p['reason']))}; deed stance {html.escape(_fmt(p['deed_stance']))}, "
            f"gap {html.escape(_fmt(p['gap']))}</span></div>"
            f"{_said(p, cites_p.get(p['position_id']))}{body}</div>"
        )
    return HTML("".join(out), f"{len(sd)} cards")
