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
import warnings
from pathlib import Path

import altair as alt
import pandas as pd

from research import dates
from research.derive import STATUS_ORDER
from research.names import Names, count, listing, signed, words
from research.verdicts import VERDICTS

#: Font shipped with the project, used for every chart text; the others are fallbacks
#: of similar width for a reader whose browser lacks it, so that no label clips.
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
#: Set by the report build: charts render to SVG with their spec alongside.
STATIC_ENV = "RESEARCH_STATIC_CHARTS"

#: Okabe and Ito's palette, designed to stay distinct under the common colour-vision
#: deficiencies (https://jfly.uni-koeln.de/color/); tests check it in a simulator.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: Colours for actors: Okabe and Ito's, then two more; beyond nine they repeat and the
#: tooltip's "who" tells the actors apart.
ACTOR_COLOURS = (*OKABE_ITO, "#999999", "#8C510A")
CHANNEL_COLOURS = {"words": "#0072B2", "deeds": "#D55E00"}
STATUS_SHAPES = {
    "stated": "circle",
    "confirmed": "square",
    "reported": "diamond",
    "alleged": "triangle-up",
    "disputed": "triangle-down",
    "rumoured": "cross",
}
#: How solid a mark is by the status of what it shows: certain evidence is drawn solid.
STATUS_OPACITY = {
    "confirmed": 1.0,
    "reported": 0.85,
    "alleged": 0.6,
    "disputed": 0.45,
    "rumoured": 0.45,
    "inferred": 0.3,
}
VERDICT_COLOURS = {
    "contradicted": "#D55E00",
    "mixed": "#E69F00",
    "consistent": "#009E73",
    "untested": "#999999",
    "not_testable": "#56B4E9",
}
#: A gap this long between dated rows puts the rows before it outside the focus range.
OUTLIER_GAP = pd.Timedelta(days=730)
#: A timeline draws at most this many marks (Altair refuses data over 5,000 rows, and a
#: page with thousands of marks is slow and heavy); :func:`thin_marks` says what it drops.
MAX_MARKS = 300
#: Tooltip texts (summary, quote, sources, who) are cut to this many characters with "…":
#: a tooltip is a glance, the tables and cards hold the whole text, and one 10,000-character
#: title cited by every row would otherwise weigh megabytes in the page.
TOOLTIP_CHARS = 600


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > TOOLTIP_CHARS:
        return value[: TOOLTIP_CHARS - 1] + "…"
    return value


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


def _theme(chart: alt.TopLevelMixin, description: str = "") -> alt.TopLevelMixin:
    chart = chart.configure(font=FONT).configure_view(stroke=None)
    return chart.properties(description=description) if description else chart


def _month(ts: pd.Timestamp) -> str:
    return f"{ts:%b %Y}"


def focus_range(tl: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates a timeline shows to scale: from after the last gap of over two years
    between its dated rows to its last day. Rows before it are noted, not drawn to scale."""
    anchors = pd.concat([tl["date"].dropna(), tl.loc[tl["date"].isna(), "end"].dropna()])
    anchors = anchors.sort_values().drop_duplicates().reset_index(drop=True)
    if anchors.empty:
        today = pd.Timestamp("2024-01-01")
        return today, today
    lo = anchors.iloc[0]
    gaps = anchors.diff()
    big = gaps[gaps > OUTLIER_GAP]
    if not big.empty:
        lo = anchors.iloc[big.index[-1]]
    hi = max(tl["end"].max(), anchors.iloc[-1])
    return lo - pd.Timedelta(days=20), hi + pd.Timedelta(days=20)


def _names(tl: pd.DataFrame, names: Names | None, column: str, kind: str) -> pd.Series:
    if names is None:
        return tl[column].astype(str)
    look = names.actor if kind == "actor" else names.issue
    return tl[column].astype(str).map(look)


def timeline_chart(
    tl: pd.DataFrame, names: Names | None = None, width: int = 600
) -> alt.TopLevelMixin:
    """Words against deeds over time: one panel per issue, one colour per actor.

    Parameters
    ----------
    tl : DataFrame
        From :func:`research.timeline`.
    names : Names, optional
        Names for actors and issues (:class:`research.names.Names`); each panel
        then labels its axis ends with what −2 and +2 mean on that issue.

    Points are statements (circles) and deeds (squares), coloured by the
    actor whose words or deeds they count as, more solid the more certain
    their status. A bar runs from a row's first to its last possible day when
    it is not dated to a day; a deed with no known start is marked *undated*
    and drawn as a dashed bar up to the last day it can have happened. Rows
    long before the rest (after a gap of over two years) are drawn at the left
    edge with a left-pointing mark and noted in the description. Tooltips give
    the actor, summary, quote, sources, status and the date as the source
    gives it; drag a panel to pan the time axis of all, shift + scroll to zoom it.

    Examples
    --------
    >>> import research
    >>> from research.charts import timeline_chart
    >>> chart = timeline_chart(research.timeline(research.load(), issues="arms_to_russia"))
    """
    lo, hi = focus_range(tl)
    cols = ["date", "end", "channel", "id", "actor_id", "issue_id", "stance", "status"]
    cols += ["kind", "label", "when", "precision", "quote", "sources"]
    undated = tl["date"].isna()
    before = tl["end"] < lo
    data = tl.assign(
        date=tl["date"].where(~undated, lo).clip(lower=lo),
        end=tl["end"].clip(lower=lo),
        # where the mark sits: its first possible day, or for an undated deed its last
        at=tl["date"].where(~undated, tl["end"]).clip(lower=lo),
    )
    data = _plain(data, [*cols, "at"])
    data["actor"] = _names(tl, names, "principal", "actor").tolist()
    data["who"] = _names(tl, names, "actor_id", "actor").tolist()
    data["issue"] = _names(tl, names, "issue_id", "issue").tolist()
    shown = [dates.show(w) if w else "" for w in data["when"]]
    data["dating"] = [
        "undated: " + w if u else ("before the range shown: " + w if b else w)
        for w, u, b in zip(shown, undated, before, strict=True)
    ]
    data["quote"] = [q if q else "" for q in data["quote"]]  # a missing quote shows blank
    if names is not None:
        data["sources"] = [
            "; ".join(names.source_short(i.strip()) for i in str(v).split(",")) if v else ""
            for v in data["sources"]
        ]
    data["mark"] = [
        "before" if b else ("undated" if u else "dated")
        for b, u in zip(before, undated, strict=True)
    ]
    for column in ("label", "quote", "sources", "who"):
        data[column] = [_clip(v) for v in data[column]]
    data, note = thin_marks(data)
    # the actors with most rows take the first, most distinct colours
    actors = list(
        data["actor"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index
    )
    colour = alt.Color(
        "actor:N",
        scale=alt.Scale(
            domain=actors,
            range=[ACTOR_COLOURS[i % len(ACTOR_COLOURS)] for i in range(max(len(actors), 1))],
        ),
        title="whose words or deeds",
    )
    x_scale = alt.Scale(domain=[lo.strftime("%Y-%m-%d"), hi.strftime("%Y-%m-%d")])
    x_axis = alt.Axis(format="%b %Y", labelOverlap=True, tickCount=6)
    x = alt.X("date:T", title="date (as reported)", scale=x_scale, axis=x_axis)
    tooltip = [
        alt.Tooltip("dating:N", title="date"),
        alt.Tooltip("who:N", title="who"),
        alt.Tooltip("actor:N", title="counts for"),
        alt.Tooltip("channel:N", title="words or deeds"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("status:N"),
        alt.Tooltip("stance:Q"),
        alt.Tooltip("label:N", title="summary"),
        alt.Tooltip("quote:N"),
        alt.Tooltip("sources:N"),
        *([alt.Tooltip("rows:Q", title="rows drawn as this mark")] if "rows" in data else []),
    ]
    # One zoom on the time axis, shared by every panel; shift + wheel zooms, so that
    # scrolling the page over a chart still scrolls the page.
    zoom = alt.selection_interval(
        name="zoom", bind="scales", encodings=["x"], zoom="wheel![event.shiftKey]"
    )
    panels = []
    issues = list(dict.fromkeys(data.sort_values("issue")["issue_id"]))
    for i, issue in enumerate(issues):
        rows = data[data["issue_id"] == issue].reset_index(drop=True)
        minus2, plus2 = names.poles(issue) if names is not None else ("", "")
        base = alt.Chart(rows).encode(
            x=x,
            y=alt.Y(
                "stance:Q",
                scale=alt.Scale(domain=[-2.6, 2.6]),
                axis=alt.Axis(
                    values=[-2, -1, 0, 1, 2],
                    title=None,
                    labelExpr="datum.value > 0 ? '+' + datum.value : datum.value < 0 ? "
                    "'−' + (-datum.value) : '0'",
                ),
            ),
            color=colour,
        )
        spans = (
            base.transform_filter("datum.precision != 'day'")
            .mark_rule(strokeWidth=3, opacity=0.4)
            .encode(
                x2="end:T",
                strokeDash=alt.StrokeDash(
                    "mark:N",
                    scale=alt.Scale(
                        domain=["dated", "undated", "before"], range=[[1, 0], [4, 3], [1, 3]]
                    ),
                    title="dates",
                    legend=alt.Legend(
                        labelExpr="datum.label == 'dated' ? 'dated to a span' : datum.label"
                    ),
                ),
            )
        )
        points = base.mark_point(size=80, filled=True).encode(
            x=alt.X("at:T", title="date (as reported)", scale=x_scale, axis=x_axis),
            shape=alt.Shape(
                "channel:N",
                scale=alt.Scale(domain=["words", "deeds"], range=["circle", "square"]),
                title="",
            ),
            opacity=alt.Opacity(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_OPACITY), range=list(STATUS_OPACITY.values())),
                title="status",
            ),
            tooltip=tooltip,
        )
        layers = [spans, points.add_params(zoom)]
        if plus2 or minus2:
            poles = pd.DataFrame({"y": [2.45, -2.45], "text": [f"+2: {plus2}", f"−2: {minus2}"]})
            layers.insert(
                0,
                alt.Chart(poles)
                .mark_text(align="left", fontSize=10, color="#555", limit=width - 10, dx=4)
                .encode(y=alt.Y("y:Q"), text="text:N", x=alt.value(0)),
            )
        panel = alt.layer(*layers).properties(
            width=width,
            height=120,
            title=alt.Title(names.issue(issue) if names else issue, anchor="start", fontSize=12),
            name=f"issue{i}",
        )
        panels.append(panel)
    description = describe_timeline(tl, names, lo) + (f" {note}" if note else "")
    if not panels:
        return _theme(alt.Chart(data).mark_point(), description)
    with warnings.catch_warnings():
        # the one zoom, added to every panel's points, is merged into one parameter
        warnings.filterwarnings("ignore", "Automatically deduplicated selection parameter")
        chart = alt.vconcat(*panels).resolve_scale(x="shared")
    if note:  # visible above the chart in a notebook too, not only in the report's caption
        chart = chart.properties(
            title=alt.Title(note, anchor="start", fontSize=11, fontWeight="normal", limit=width)
        )
    return _theme(chart, description)


def thin_marks(data: pd.DataFrame, limit: int = MAX_MARKS) -> tuple[pd.DataFrame, str]:
    """At most ``limit`` marks for a timeline, and a note saying how they were chosen ('' if
    every row is drawn).

    Rows identical in everything drawn and shown (all but their id) become one mark with
    their number in ``rows``; when more than ``limit`` remain, an even sample in time within
    each issue is drawn: every k-th mark in date order, so each issue and period keeps its
    share. The choice depends on the data alone (no random draw): the same rows, the same
    chart.

    Examples
    --------
    >>> rows = pd.DataFrame({"id": list("abcd"), "issue_id": "x", "at": ["2024-01-01"] * 2
    ...                      + ["2024-02-01", "2024-03-01"]})
    >>> thinned, note = thin_marks(rows, limit=2)
    >>> len(thinned), note
    (2, 'Drawn: 2 marks for 4 rows (identical rows as one mark, their number in the tooltip; \
then an even sample in time of 2 of 3 marks); the tables list every row.')
    """
    n = len(data)
    if n <= limit:
        return data, ""
    keys = [c for c in data.columns if c != "id"]
    grouped = (
        data.assign(_order=range(n))
        .groupby(keys, sort=False, dropna=False)
        .agg(rows=("id", "size"), _order=("_order", "min"), id=("id", "min"))
        .reset_index()
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
    )
    grouped = grouped[[*data.columns, "rows"]].reset_index(drop=True)
    how = "identical rows as one mark, their number in the tooltip"
    distinct = len(grouped)
    if distinct > limit:
        order = grouped.sort_values(["issue_id", "at", "id"], kind="stable").index
        pick = sorted({order[round(i * (distinct - 1) / (limit - 1))] for i in range(limit)})
        grouped = grouped.loc[pick].reset_index(drop=True)
        how += f"; then an even sample in time of {len(grouped):,} of {distinct:,} marks"
    note = f"Drawn: {len(grouped):,} marks for {n:,} rows ({how}); the tables list every row."
    return grouped, note


def describe_timeline(tl: pd.DataFrame, names: Names | None, lo: pd.Timestamp) -> str:
    """The timeline's alt text: who, how many words and deeds, over what time, what is off scale."""
    who = sorted(set(_names(tl, names, "principal", "actor")))
    words_n = int((tl["channel"] == "words").sum())
    deeds = tl[tl["channel"] == "deeds"]
    undated = int(deeds["date"].isna().sum())
    before = tl[tl["end"] < lo]
    dated = tl["date"].dropna()
    span = f", {_month(dated.min())} to {_month(tl['end'].max())}" if not dated.empty else ""
    parts = [
        f"Timeline of {listing(who) or 'no actor'} on {count(tl['issue_id'].nunique(), 'issue')}"
        f"{span}: {count(words_n, 'statement')} and {count(len(deeds), 'deed')}"
    ]
    if undated:
        parts.append(f"{count(undated, 'deed')} undated (only a latest day is known)")
    if not before.empty:
        parts.append(
            f"{count(len(before), 'row')} long before the rest ("
            + ", ".join(sorted(set(before["when"].astype(str))))
            + ") drawn at the left edge"
        )
    return "; ".join(parts) + "."


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
            scale=alt.Scale(scheme="blueorange", domain=[-4, 4], domainMid=0),
            title="mean gap (said − done)",
        ),
        tooltip=[
            *(alt.Tooltip(f"{c}:N" if c.endswith("id") else f"{c}:Q") for c in cols),
            alt.Tooltip("mean_gap:Q", format=".2f"),
        ],
    )
    labels = base.mark_text(fontSize=11).encode(text=alt.Text("tested:Q"))
    n = len(data)
    return _theme(
        alt.layer(cells, labels), f"Mean say–do gap in {count(n, 'cell')} of actor by issue."
    )


def alignment_chart(
    al: pd.DataFrame, title: str = "", names: Names | None = None
) -> alt.TopLevelMixin:
    """S score of two actors per period, words and deeds side by side.

    Parameters
    ----------
    al : DataFrame
        From :func:`research.alignment`. Periods with no shared issue have no
        point (their reason is in the frame, not drawn as 0). A bar spans each
        score's 95% bootstrap interval; a score on too few shared issues
        (``thin``) is drawn hollow, labelled "thin" and says so in its tooltip.
    """
    cols = ["period", "channel", "n_shared", "shared_issues", "thin", "agreement", "s_score"]
    cols += ["s_score_low", "s_score_high", "scott_pi", "cohen_kappa", "reason"]
    data = _plain(al, cols)
    if names is not None:
        data["shared_issues"] = [
            "; ".join(names.issue(i) for i in v) if isinstance(v, tuple) else v
            for v in al["shared_issues"]
        ]
    data["note"] = [
        "thin" if t and s is not None else ""
        for t, s in zip(data["thin"], data["s_score"], strict=True)
    ]
    chart = alt.Chart(data, title=title or alt.Undefined).encode(
        x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "s_score:Q",
            scale=alt.Scale(domain=[-1, 1]),
            title="S score (1 = same stances, −1 = opposite)",
            axis=alt.Axis(values=[-1, -0.5, 0, 0.5, 1]),
        ),
        color=alt.Color(
            "channel:N",
            scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
            title="",
        ),
        xOffset=alt.XOffset("channel:N", scale=alt.Scale(domain=list(CHANNEL_COLOURS))),
        tooltip=[
            "period:O",
            "channel:N",
            alt.Tooltip("n_shared:Q", title="shared issues"),
            alt.Tooltip("thin:N", title="thin (under 3 shared issues)"),
            alt.Tooltip("shared_issues:N", title="which issues"),
            alt.Tooltip("agreement:Q", format=".0%"),
            alt.Tooltip("s_score:Q", format=".2f", title="S score"),
            alt.Tooltip("s_score_low:Q", format=".2f", title="S, 95% low"),
            alt.Tooltip("s_score_high:Q", format=".2f", title="S, 95% high"),
            alt.Tooltip("cohen_kappa:Q", format=".2f", title="Cohen's kappa"),
            alt.Tooltip("reason:N"),
        ],
    )
    bars = chart.mark_rule(opacity=0.5, strokeWidth=2).encode(
        y="s_score_low:Q", y2="s_score_high:Q"
    )
    points = chart.mark_point(size=120, strokeWidth=2).encode(
        fill=alt.condition(
            "datum.thin",
            alt.value("white"),
            alt.Color(
                "channel:N",
                scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
                legend=None,
            ),
        )
    )
    notes = chart.mark_text(dy=-14, fontSize=10, color="#444").encode(text="note:N")
    layered = alt.layer(bars, points, notes).properties(width=420, height=240)
    return _theme(layered, describe_alignment(al))


def describe_alignment(al: pd.DataFrame) -> str:
    """The alignment chart's alt text: each period's scores in words."""
    parts = []
    for _, r in al.iterrows():
        if pd.isna(r["s_score"]):
            parts.append(f"{r['period']} {r['channel']}: no score ({r['reason']})")
        else:
            thin = ", thin" if r["thin"] else ""
            parts.append(
                f"{r['period']} {r['channel']}: S {signed(float(r['s_score']))} on "
                f"{count(int(r['n_shared']), 'shared issue')}{thin}"
            )
    return "S score by period. " + "; ".join(parts) + "." if parts else "No period to score."


def verdict_chart(sd: pd.DataFrame, subject: str = "") -> alt.TopLevelMixin:
    """How many positions got each verdict, by kind of position.

    Counts are whole numbers, and the axis ticks say so. ``subject`` names
    whose positions they are in the chart's description.
    """
    counts = (
        sd.assign(verdict=sd["verdict"].astype(str), kind=sd["kind"].astype(str).map(words))
        .groupby(["verdict", "kind"], sort=True)
        .size()
        .rename("positions")
        .reset_index()
    )
    counts = counts[counts["positions"] > 0]
    counts["verdict_words"] = counts["verdict"].map(words)
    top = int(counts["positions"].max()) if not counts.empty else 1
    chart = (
        alt.Chart(_plain(counts, ["verdict", "verdict_words", "kind", "positions"]))
        .mark_bar()
        .encode(
            y=alt.Y("verdict_words:N", sort=[words(v) for v in VERDICTS], title=None),
            x=alt.X(
                "positions:Q",
                title="positions",
                axis=alt.Axis(values=list(range(0, top + 1, max(1, (top + 4) // 5))), format="d"),
                scale=alt.Scale(domain=[0, top]),
            ),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
                legend=None,
            ),
            column=alt.Column("kind:N", title=None),
            tooltip=[
                alt.Tooltip("verdict_words:N", title="verdict"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("positions:Q"),
            ],
        )
    )
    return _theme(chart.properties(width=170, height=120), describe_verdicts(counts, subject))


def describe_verdicts(counts: pd.DataFrame, subject: str = "") -> str:
    """The verdict chart's alt text: each kind's verdicts in words."""
    parts = []
    for kind, g in counts.groupby("kind", sort=True):
        tallies = [
            f"{int(g.loc[g['verdict'] == v, 'positions'].sum())} {words(v)}"
            for v in VERDICTS
            if (g["verdict"] == v).any()
        ]
        parts.append(f"{kind}: {listing(tallies)}")
    who = f"{subject}: " if subject else ""
    return f"{who}verdicts by kind of position. " + "; ".join(parts) + "."


# --- words against deeds in machine-coded events (dyad_events) ---------------------------

#: The y axis of each measure of :func:`research.dyad_series`: scale and title.
DYAD_MEASURES = {
    "cooperation": ([0, 1], "cooperation share of events"),
    "goldstein": ([-10, 10], "Goldstein score, mention-weighted (−10 to +10)"),
}


def _direction(names: Names | None, doer: str, target: str) -> str:
    name = names.actor if names is not None else str
    return f"{name(doer)} → {name(target)}"


def _channels(series: pd.DataFrame, measure: str, names: Names | None) -> pd.DataFrame:
    """One row per period, direction and channel: the measure, events and mentions."""
    rows = []
    for r in series.itertuples():
        for channel, prefix in (("words", "verbal"), ("deeds", "material")):
            rows.append(
                {
                    "period": r.period,
                    "direction": _direction(names, r.doer, r.target),
                    "channel": channel,
                    "value": getattr(r, f"{prefix}_{measure}"),
                    "events": int(getattr(r, f"{prefix}_events")),
                    "mentions": int(getattr(r, f"{prefix}_mentions")),
                }
            )
    cols = ["period", "direction", "channel", "value", "events", "mentions"]
    return pd.DataFrame(rows, columns=cols).astype({"period": "datetime64[s]"})


def _time_domain(*dates_: pd.Series) -> list[str] | None:
    parts = [pd.to_datetime(d).dropna() for d in dates_ if len(d)]
    found = pd.concat(parts) if parts else pd.Series([], dtype="datetime64[s]")
    if found.empty:
        return None
    lo, hi = found.min(), found.max()
    pad = max((hi - lo) * 0.03, pd.Timedelta(days=20))
    return [f"{lo - pad:%Y-%m-%d}", f"{hi + pad:%Y-%m-%d}"]


def dyad_channels_chart(
    series: pd.DataFrame,
    names: Names | None = None,
    measure: str = "cooperation",
    statements: pd.DataFrame | None = None,
    width: int = 420,
) -> alt.TopLevelMixin:
    """Words and deeds of each direction of a dyad over time, curated statements beside.

    Parameters
    ----------
    series : DataFrame
        From :func:`research.dyad_series`.
    measure : {"cooperation", "goldstein"}
        What the y axis shows for each channel; a mark is larger the more
        events it rests on, and a period with no event in a channel has none.
    statements : DataFrame, optional
        Curated statements (rows of :func:`research.timeline`), drawn as a strip
        below on the same time axis, one row per side.

    Examples
    --------
    >>> import pandas as pd
    >>> from research.charts import dyad_channels_chart
    >>> from research.dyad import dyad_series
    >>> from research.gdelt import read_export
    >>> s = dyad_series(read_export(["tests/fixtures/gdelt"]).events, "RUS", "IRN")
    >>> "verbal" in dyad_channels_chart(s).to_dict()["description"]
    True
    """
    domain, title = DYAD_MEASURES[measure]
    data = _channels(series, measure, names)
    st = statements if statements is not None else pd.DataFrame(columns=["date"])
    x_domain = _time_domain(data["period"], st["date"])
    x_scale = alt.Scale(domain=x_domain) if x_domain else alt.Undefined
    years = x_domain is not None and (
        pd.Timestamp(x_domain[1]) - pd.Timestamp(x_domain[0]) > pd.Timedelta(days=730)
    )
    x_axis = alt.Axis(
        format="%Y" if years else "%b %Y",
        tickCount={"interval": "year", "step": 1} if years else 6,
        labelAngle=0,
    )
    colour = alt.Color(
        "channel:N",
        scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
        title="",
    )
    panels = []
    directions = list(dict.fromkeys(data["direction"])) or ["no event between them"]
    for direction in directions:
        part = _plain(data[data["direction"] == direction], list(data.columns))
        base = alt.Chart(part, title=direction).encode(
            x=alt.X("period:T", title=None, scale=x_scale, axis=x_axis),
            y=alt.Y("value:Q", scale=alt.Scale(domain=domain), title=title),
            color=colour,
            tooltip=[
                alt.Tooltip("period:T", format="%b %Y"),
                alt.Tooltip("direction:N"),
                alt.Tooltip("channel:N"),
                alt.Tooltip("value:Q", format=".2f", title=measure),
                alt.Tooltip("events:Q"),
                alt.Tooltip("mentions:Q"),
            ],
        )
        lines = base.mark_line(opacity=0.6).transform_filter("datum.value != null")
        points = base.mark_point(filled=True).encode(
            size=alt.Size("events:Q", title="events", scale=alt.Scale(range=[30, 300]))
        )
        panels.append(alt.layer(lines, points).properties(width=width, height=140))
    if not st.empty:
        rows = st.assign(side=st["principal"].astype(str))
        strip = _plain(rows, ["date", "when", "side", "actor_id", "issue_id", "stance", "label"])
        if names is not None:
            strip["side"] = [names.actor(v) for v in strip["side"]]
            strip["who"] = [names.actor(v) for v in strip["actor_id"]]
            strip["issue"] = [names.issue(v) for v in strip["issue_id"]]
        else:
            strip["who"], strip["issue"] = strip["actor_id"], strip["issue_id"]
        strip["when"] = [dates.show(w) if w else "" for w in strip["when"]]
        strip["label"] = [_clip(v) for v in strip["label"]]
        panels.append(
            alt.Chart(strip, title="Curated statements of the case")
            .mark_point(shape="circle", size=80, opacity=0.6, filled=True)
            .encode(
                x=alt.X("date:T", title=None, scale=x_scale, axis=x_axis),
                y=alt.Y("side:N", title=None),
                color=alt.value("#444444"),
                tooltip=[
                    alt.Tooltip("when:N", title="date"),
                    alt.Tooltip("who:N"),
                    alt.Tooltip("issue:N"),
                    alt.Tooltip("stance:Q"),
                    alt.Tooltip("label:N", title="summary"),
                ],
            )
            .properties(width=width, height=60)
        )
    chart = alt.vconcat(*panels).resolve_scale(x="shared")
    return _theme(chart, describe_dyad_channels(series, names, measure, st))


def describe_dyad_channels(
    series: pd.DataFrame, names: Names | None, measure: str, statements: pd.DataFrame
) -> str:
    """The channels chart's alt text: each direction's verbal and material events in words."""
    parts = []
    for (doer, target), g in series.groupby(["doer", "target"], sort=False):
        v, m = int(g["verbal_events"].sum()), int(g["material_events"].sum())
        periods = int(((g["verbal_events"] + g["material_events"]) > 0).sum())
        parts.append(
            f"{_direction(names, doer, target)}: {count(v, 'verbal event')} and "
            f"{count(m, 'material event')} in {count(periods, 'period')}"
        )
    text = f"Words (verbal events) and deeds (material events) by {measure}, per period. " + (
        "; ".join(parts) + "." if parts else "No event between them: nothing to draw."
    )
    if len(statements):
        text += f" Below, {count(len(statements), 'curated statement')} on the same time axis."
    return text


def _side_by_side(directions: list[str]) -> dict:
    """Colour and x-offset by direction of a dyad, over the given domain (never found from
    the data: an empty one would size the legend and the offset to infinity)."""
    return {
        "color": alt.Color(
            "direction:N",
            scale=alt.Scale(domain=directions, range=list(OKABE_ITO[: len(directions)])),
            title="",
        ),
        "xOffset": alt.XOffset("direction:N", scale=alt.Scale(domain=directions)),
    }


def dyad_gap_chart(
    series: pd.DataFrame, names: Names | None = None, measure: str = "goldstein", width: int = 420
) -> alt.TopLevelMixin:
    """The say–do gap (words minus deeds) of each direction per period.

    Above zero, a state's words ran warmer than its deeds. Only periods where
    both channels were coded have a gap; the others have no bar.
    """
    domain, _ = DYAD_MEASURES[measure]
    span = domain[1] - domain[0]
    data = pd.DataFrame(
        {
            "period": series["period"],
            "direction": [
                _direction(names, d, t)
                for d, t in zip(series["doer"], series["target"], strict=True)
            ],
            "gap": series[f"gap_{measure}"],
            "words": series[f"verbal_{measure}"],
            "deeds": series[f"material_{measure}"],
        }
    )
    plain = _plain(data, list(data.columns))
    directions = list(dict.fromkeys(data["direction"])) or ["no event between them"]
    chart = (
        alt.Chart(plain)
        .mark_bar()
        .encode(
            x=alt.X(
                "period:O",
                title=None,
                axis=alt.Axis(labelAngle=0),
                scale=alt.Scale(domain=list(dict.fromkeys(plain["period"]))),
            ),
            y=alt.Y(
                "gap:Q",
                scale=alt.Scale(domain=[-span, span]),
                title=f"words − deeds ({'Goldstein' if measure == 'goldstein' else measure})",
            ),
            **_side_by_side(directions),
            tooltip=[
                alt.Tooltip("period:O"),
                "direction:N",
                alt.Tooltip("words:Q", format=".2f"),
                alt.Tooltip("deeds:Q", format=".2f"),
                alt.Tooltip("gap:Q", format=".2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444").encode(y="y:Q")
    layered = alt.layer(zero, chart).properties(width=width, height=180)
    return _theme(layered, describe_dyad_gap(data, measure))


def describe_dyad_gap(data: pd.DataFrame, measure: str) -> str:
    """The gap chart's alt text."""
    parts = []
    for direction, g in data.groupby("direction", sort=False):
        gaps = g["gap"].dropna()
        if gaps.empty:
            parts.append(f"{direction}: no period with both words and deeds coded")
        else:
            parts.append(
                f"{direction}: mean gap {signed(float(gaps.mean()), 1)} over "
                f"{count(len(gaps), 'period')}"
            )
    body = "; ".join(parts) + "." if parts else "No event between them: no gap to draw."
    return f"Say–do gap of events by {measure}, words minus deeds. " + body


def lead_lag_chart(
    tests: dict, names: Names | None = None, unit: str = "periods", width: int = 420
) -> alt.TopLevelMixin:
    """Correlation of words at t with deeds at t + lag, per direction, with p-values.

    Parameters
    ----------
    tests : dict of doer to :class:`research.dyad.LeadLag`
        From :func:`research.lead_lag` for each direction; the dict's keys are
        the doers, and the target is the other key.
    unit : str
        What a lag counts ("months").

    A bar is drawn only where the correlation could be computed (three or more
    periods with both channels); its label is its permutation p-value.
    """
    doers = list(tests)
    rows = []
    for doer, t in tests.items():
        target = next((d for d in doers if d != doer), "")
        for r in t.table.itertuples():
            rows.append(
                {
                    "direction": _direction(names, doer, target),
                    "lag": int(r.lag),
                    "r": None if pd.isna(r.r) else float(r.r),
                    "n": int(r.n),
                    "p_value": None if pd.isna(r.p_value) else float(r.p_value),
                    "label": "" if pd.isna(r.p_value) else f"p={r.p_value:.3f}".rstrip("0"),
                }
            )
    data = pd.DataFrame(rows, columns=["direction", "lag", "r", "n", "p_value", "label"])
    plain = _plain(data, list(data.columns))
    # Domains given, not found from the data: with no r computed, Vega would size an empty
    # legend and offset scale to infinity.
    directions = list(dict.fromkeys(data["direction"]))
    base = alt.Chart(plain).encode(
        x=alt.X(
            "lag:O",
            title=f"words lead deeds by (lag, {unit})",
            axis=alt.Axis(labelAngle=0),
            scale=alt.Scale(domain=sorted(set(data["lag"].astype(int)))),
        ),
        **_side_by_side(directions),
        tooltip=[
            "direction:N",
            alt.Tooltip("lag:O", title=f"lag ({unit})"),
            alt.Tooltip("r:Q", format=".2f"),
            alt.Tooltip("n:Q", title="periods compared"),
            alt.Tooltip("p_value:Q", format=".3f", title="permutation p"),
        ],
    )
    y = alt.Y("r:Q", scale=alt.Scale(domain=[-1, 1]), title="correlation r (words, later deeds)")
    bars = base.mark_bar().encode(y=y)  # a lag with no r has no bar, but keeps its place
    # each bar's p-value at its end: above a bar going up, below one going down
    text = base.encode(y=y, text="label:N", color=alt.value("#444"))
    labels = alt.layer(
        text.mark_text(dy=-7, fontSize=9).transform_filter("datum.r >= 0"),
        text.mark_text(dy=9, fontSize=9).transform_filter("datum.r < 0"),
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444").encode(y="y:Q")
    layered = alt.layer(zero, bars, labels).properties(width=width, height=200)
    return _theme(layered, describe_lead_lag(data, unit))


def describe_lead_lag(data: pd.DataFrame, unit: str) -> str:
    """The lead–lag chart's alt text."""
    parts = []
    for direction, g in data.groupby("direction", sort=False):
        ok = g.dropna(subset=["r"])
        if ok.empty:
            parts.append(f"{direction}: not computed (fewer than 3 periods with both channels)")
            continue
        top = ok.loc[ok["r"].abs().idxmax()]
        parts.append(
            f"{direction}: largest r {signed(float(top['r']))} at lag {int(top['lag'])} "
            f"({unit}), permutation p {float(top['p_value']):.3f}"
        )
    body = "; ".join(parts) + "." if parts else "No direction to test."
    return "Lead–lag of words and deeds in events: correlation by lag. " + body


#: Mimetype a chart's spec travels under beside its SVG, for the interactive page.
SPEC_MIME = "application/vnd.vegalite.v6+json"


def static_and_spec(spec: dict, **metadata) -> dict:
    """Altair renderer for report builds: the chart as SVG plus its Vega-Lite spec.

    The SVG (drawn with the shipped font) is what a reader sees with scripts
    off; the report page draws the spec interactively
    (:func:`research.render.report_html`).
    """
    from altair.vegalite.v6.display import svg_renderer

    bundle = svg_renderer(spec, **metadata)
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return {"image/svg+xml": data["image/svg+xml"], SPEC_MIME: spec}


alt.renderers.register("research", static_and_spec)


def enable() -> str:
    """Choose how charts display: SVG plus spec in a report build, else Altair's default.

    The report build sets ``RESEARCH_STATIC_CHARTS=1`` so that reports carry
    each chart as SVG drawn with the shipped font (the no-script fallback) and
    as its spec, which the page draws interactively with the Vega runtime it
    embeds; nothing loads from the network. In JupyterLab charts stay
    interactive.
    """
    if os.environ.get(STATIC_ENV):
        import vl_convert as vlc

        vlc.register_font_directory(str(FONT_DIR))
        alt.renderers.enable("research")
        return "research"
    alt.renderers.enable("default")
    return "default"


__all__ = [
    "SPEC_MIME",
    "STATUS_ORDER",
    "alignment_chart",
    "dyad_channels_chart",
    "dyad_gap_chart",
    "enable",
    "gap_heatmap",
    "lead_lag_chart",
    "timeline_chart",
    "verdict_chart",
]
