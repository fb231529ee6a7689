"""Altair charts of words against deeds.

Each function takes a frame from the analysis layer and returns an Altair
chart. Specs are deterministic: data are embedded as plain values (dates as
ISO strings, missing values as null) in a fixed column and row order, and
Altair names datasets by a hash of their content, so the same data give the
same JSON.

>>> import research
>>> from research import charts
>>> t = research.load()
>>> spec = charts.timeline_chart(research.timeline(t, actors="IRN")).to_json()
>>> spec == charts.timeline_chart(research.timeline(t, actors="IRN")).to_json()
True
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import pandas as pd

from research.derive import STATUS_ORDER
from research.verdicts import VERDICTS

#: Font shipped with the project, used for every chart text.
FONT = "DejaVu Sans"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
#: Set by the report build: charts render to inline SVG, not to scripts.
STATIC_ENV = "RESEARCH_STATIC_CHARTS"

CHANNEL_COLOURS = {"words": "#1f77b4", "deeds": "#d62728"}
STATUS_SHAPES = {
    "stated": "circle",
    "confirmed": "square",
    "reported": "diamond",
    "alleged": "triangle-up",
    "disputed": "triangle-down",
    "rumoured": "cross",
}
VERDICT_COLOURS = {
    "contradicted": "#d62728",
    "mixed": "#ff7f0e",
    "consistent": "#2ca02c",
    "untested": "#9e9e9e",
    "not_testable": "#c5b0d5",
}


def _plain(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Columns as JSON-ready values: ISO dates, str categories, None for missing."""
    out = {}
    for col in columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = s.dt.strftime("%Y-%m-%d")
        elif s.dtype == object and s.map(lambda v: isinstance(v, tuple)).any():
            values = s.map(lambda v: ", ".join(v) if isinstance(v, tuple) else v)
        else:
            values = s.astype(object)
        out[col] = values.astype(object).where(values.notna(), None).tolist()
    return pd.DataFrame(out, columns=columns)


def _theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None)


def timeline_chart(tl: pd.DataFrame, width: int = 640) -> alt.TopLevelMixin:
    """Words against deeds over time, one row per issue.

    Parameters
    ----------
    tl : DataFrame
        From :func:`research.timeline`.

    Points are statements (circles) and deeds (shaped by status); a line runs
    from a deed's first to its last possible day when it is not dated to a
    day. Stance on the issue's axis is the height. Tooltips give the summary, quote, sources,
    status and the date as the source gives it.

    Examples
    --------
    >>> import research
    >>> from research.charts import timeline_chart
    >>> chart = timeline_chart(research.timeline(research.load(), issues="arms_to_russia"))
    """
    cols = ["date", "end", "channel", "id", "actor_id", "issue_id", "stance", "status"]
    cols += ["kind", "label", "when", "precision", "quote", "sources"]
    # A deed with no known start is drawn at the last day it can have happened.
    data = _plain(tl.assign(date=tl["date"].fillna(tl["end"])), cols)
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y(
            "stance:Q", scale=alt.Scale(domain=[-2.5, 2.5]), axis=alt.Axis(values=[-2, -1, 0, 1, 2])
        ),
        color=alt.Color(
            "channel:N",
            scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
            title="",
        ),
    )
    spans = base.transform_filter("datum.precision != 'day'").mark_rule(strokeWidth=3, opacity=0.35)
    spans = spans.encode(x2="end:T")
    points = base.mark_point(size=90, filled=True, opacity=0.85).encode(
        shape=alt.Shape(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_SHAPES), range=list(STATUS_SHAPES.values())),
            title="status",
        ),
        tooltip=[
            alt.Tooltip("when:N", title="date"),
            alt.Tooltip("actor_id:N", title="actor"),
            alt.Tooltip("kind:N"),
            alt.Tooltip("status:N"),
            alt.Tooltip("stance:Q"),
            alt.Tooltip("label:N", title="summary"),
            alt.Tooltip("quote:N"),
            alt.Tooltip("sources:N"),
        ],
    )
    layered = alt.layer(spans, points).properties(width=width, height=110)
    return _theme(
        layered.facet(
            row=alt.Row(
                "issue_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")
            )
        )
    )


def gap_heatmap(summary: pd.DataFrame) -> alt.TopLevelMixin:
    """Mean say–do gap per actor (rows) and issue (columns).

    Parameters
    ----------
    summary : DataFrame
        From :func:`research.gap_summary`. Cells with nothing tested are grey.
    """
    cols = ["speaker_id", "issue_id", "positions", "tested", "contradicted", "contradicted_share"]
    data = _plain(summary, [*cols, "mean_gap"])
    base = alt.Chart(data).encode(
        x=alt.X("issue_id:N", title=None, sort="ascending"),
        y=alt.Y("speaker_id:N", title=None, sort="ascending"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "mean_gap:Q",
            scale=alt.Scale(scheme="redblue", domain=[-4, 4], domainMid=0),
            title="mean gap (said − done)",
        ),
        tooltip=[
            *(alt.Tooltip(f"{c}:N" if c.endswith("id") else f"{c}:Q") for c in cols),
            alt.Tooltip("mean_gap:Q", format=".2f"),
        ],
    )
    labels = base.mark_text(fontSize=11).encode(text=alt.Text("tested:Q"))
    return _theme(alt.layer(cells, labels))


def alignment_chart(al: pd.DataFrame, title: str = "") -> alt.TopLevelMixin:
    """S score of two actors per period, words and deeds side by side.

    Parameters
    ----------
    al : DataFrame
        From :func:`research.alignment`. Periods with no shared issue have no
        point (their reason is in the frame, not drawn as 0). A bar spans each
        score's 95% bootstrap interval; a score on too few shared issues
        (``thin``) is drawn hollow and says so in its tooltip.
    """
    cols = ["period", "channel", "n_shared", "shared_issues", "thin", "agreement", "s_score"]
    cols += ["s_score_low", "s_score_high", "scott_pi", "cohen_kappa", "reason"]
    data = _plain(al, cols)
    chart = alt.Chart(data, title=title or alt.Undefined).encode(
        x=alt.X("period:O", title=None),
        y=alt.Y("s_score:Q", scale=alt.Scale(domain=[-1, 1]), title="S score (1 = same stances)"),
        color=alt.Color(
            "channel:N",
            scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
            title="",
        ),
        tooltip=[
            "period:O",
            "channel:N",
            "n_shared:Q",
            alt.Tooltip("thin:N", title="thin (under 3 shared issues)"),
            "shared_issues:N",
            alt.Tooltip("agreement:Q", format=".0%"),
            alt.Tooltip("s_score:Q", format=".2f"),
            alt.Tooltip("s_score_low:Q", format=".2f", title="S, 95% low"),
            alt.Tooltip("s_score_high:Q", format=".2f", title="S, 95% high"),
            alt.Tooltip("cohen_kappa:Q", format=".2f", title="Cohen's kappa"),
        ],
    )
    bars = chart.mark_rule(opacity=0.5).encode(y="s_score_low:Q", y2="s_score_high:Q")
    points = chart.mark_point(size=120).encode(
        fill=alt.condition("datum.thin", alt.value("white"), alt.Color("channel:N"))
    )
    line = chart.mark_line()
    return _theme(alt.layer(line, bars, points).properties(width=420, height=240))


def verdict_chart(sd: pd.DataFrame) -> alt.TopLevelMixin:
    """How many positions got each verdict, by kind of position."""
    counts = (
        sd.assign(verdict=sd["verdict"].astype(str), kind=sd["kind"].astype(str))
        .groupby(["verdict", "kind"], sort=True)
        .size()
        .rename("positions")
        .reset_index()
    )
    chart = (
        alt.Chart(_plain(counts, ["verdict", "kind", "positions"]))
        .mark_bar()
        .encode(
            y=alt.Y("verdict:N", sort=list(VERDICTS), title=None),
            x=alt.X("positions:Q", title="positions"),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
                legend=None,
            ),
            column=alt.Column("kind:N", title=None),
            tooltip=["verdict:N", "kind:N", "positions:Q"],
        )
    )
    return _theme(chart.properties(width=180, height=120))


def enable() -> str:
    """Choose how charts display: inline SVG in a report build, else Altair's default.

    The report build sets ``RESEARCH_STATIC_CHARTS=1`` so that reports carry
    their charts as SVG drawn with the shipped font and load nothing from the
    network. In JupyterLab charts stay interactive.
    """
    if os.environ.get(STATIC_ENV):
        import vl_convert as vlc

        vlc.register_font_directory(str(FONT_DIR))
        alt.renderers.enable("svg")
        return "svg"
    alt.renderers.enable("default")
    return "default"


__all__ = [
    "STATUS_ORDER",
    "alignment_chart",
    "enable",
    "gap_heatmap",
    "timeline_chart",
    "verdict_chart",
]
