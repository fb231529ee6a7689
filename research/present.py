"""Show curated text in notebooks and reports: always as text, never as markup.

Every function here escapes what it is given, so a summary that happens to
contain ``<script>`` is displayed as those characters, in JupyterLab and in
the HTML reports alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

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


def table(df: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 200) -> HTML:
    """A plain, escaped HTML table of ``columns`` (all by default).

    Dates show as YYYY-MM-DD, tuples of ids joined with commas, missing
    values as blanks.

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
        rows.append("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in rec) + "</tr>")
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


_PRECISION_FORMAT = {"year": "%Y", "month": "%Y-%m", "season": "%Y-%m (season)", "day": "%Y-%m-%d"}


def _when_said(p: pd.Series) -> str:
    """The said date only as precisely as the source gives it."""
    said = p["said"]
    if pd.isna(said):
        return ""
    return said.strftime(_PRECISION_FORMAT.get(_fmt(p.get("said_precision")), "%Y-%m-%d"))


def _said(p: pd.Series) -> str:
    quote = _fmt(p.get("quote"))
    words = f"“{html.escape(quote)}” — " if quote else ""
    return (
        f'<div class="said"><strong>Said</strong> ({html.escape(_when_said(p))}, '
        f"{html.escape(_fmt(p['actor_id']))}, {html.escape(_fmt(p['kind']))}): {words}"
        f"{html.escape(_fmt(p['summary']))} "
        f'<span class="muted">[stance {html.escape(_fmt(p["stance"]))}; window '
        f"{html.escape(_fmt(p['window_start']) or 'open')} to "
        f"{html.escape(_fmt(p['window_end']) or 'open')}; source "
        f"{html.escape(_fmt(p['source_id']))}]</span></div>"
    )


def _done(e: pd.Series) -> str:
    start, end = _fmt(e["start"]), _fmt(e["end"])
    if not start:
        span = f"undated, by {end}"
    else:
        span = start if end in ("", start) else f"{start} to {end}"
    wording = _fmt(e.get("source_wording"))
    wording = f" — “{html.escape(wording)}”" if wording else ""
    return (
        f'<div class="done"><strong>Done</strong> ({html.escape(span)}, '
        f"{html.escape(_fmt(e['precision']))}; "
        f"{html.escape(_fmt(e['actor_id']))}): {html.escape(_fmt(e['summary']))} "
        f'<span class="muted">[stance {html.escape(_fmt(e["stance"]))}; status '
        f"<strong>{html.escape(_fmt(e['status']))}</strong>{wording}; claimed by "
        f"{html.escape(_fmt(e['claimed_by']))}; source {html.escape(_fmt(e['source_id']))}; "
        f"{html.escape(_fmt(e['role']))}{'; decisive' if e['decisive'] else ''}]</span></div>"
    )


def cards(sd: pd.DataFrame, pairs: pd.DataFrame) -> HTML:
    """One card per say–do row: what was said against what was done.

    Parameters
    ----------
    sd : DataFrame
        Rows of :func:`research.say_do`.
    pairs : DataFrame
        :func:`research.evidence` for (at least) those positions.
    """
    by_position = {pid: g for pid, g in pairs.groupby("position_id", sort=False)}
    out = []
    for _, p in sd.iterrows():
        deeds = by_position.get(p["position_id"])
        verdict = _fmt(p["verdict"])
        body = "".join(_done(e) for _, e in deeds.iterrows()) if deeds is not None else ""
        out.append(
            f'<div class="card {html.escape(verdict)}"><div><strong>{html.escape(verdict)}</strong>'
            f' <span class="muted">{html.escape(_fmt(p["position_id"]))}: '
            f"{html.escape(_fmt(p['reason']))}; deed stance {html.escape(_fmt(p['deed_stance']))}, "
            f"gap {html.escape(_fmt(p['gap']))}</span></div>{_said(p)}{body}</div>"
        )
    return HTML("".join(out), f"{len(sd)} cards")
