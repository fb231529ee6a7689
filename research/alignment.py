"""How closely two actors align, in words and in deeds, period by period.

For each period and channel, each actor's stance on an issue is the mean of
its stances there: official statements for words (analysts' assessments and
predictions are not an actor's words), deeds for deeds. Both count the actor
and everyone who speaks for it. On the issues both have a stance on (the
shared issues):

* ``agreement`` is the share of shared issues where the two stances are less
  than 2 apart (the same line the say–do verdict draws);
* ``s_score`` is Signorino and Ritter's S, ``1 - 2 * d / d_max``, where ``d``
  sums the absolute stance differences and ``d_max = 4 * n_shared`` is the
  largest ``d`` can be on the -2..+2 scale: 1 is identical, -1 opposite.

With no shared issue both are NaN and ``reason`` says why: never a made-up 0.
A statement falls in the period it was said in; a deed in the period it
started in (its end when it has no known start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.actors import Roles, attribute, check_ids
from research.load import Tables
from research.saydo import check_cases, deed_rows

CHANNELS = ("words", "deeds")
FREQS = {None: None, "Y": "Y", "Q": "Q", "M": "M"}
AGREE_WITHIN = 2  # stances less than this far apart agree
SCALE = 4  # the widest distance on the -2..+2 scale


def _channel_rows(tables: Tables, channel: str, group: bool, case, attribution) -> pd.DataFrame:
    """Rows of one channel as (owner, issue, date, stance), each attributed at its date."""
    roles = Roles(tables.roles, attribution) if group else None
    cases = check_cases(tables, case)
    if channel == "words":
        p = tables.positions[tables.positions["kind"] == "official_statement"]
        if cases:
            p = p[p["case_id"].isin(cases)]
        a = attribute(roles, p["speaker_id"], p["said_start"], p["said_end"])
        rows = p.iloc[a["row"].to_numpy()]
        when = rows["said_start"]
    else:
        d = deed_rows(tables)
        if cases:
            d = d[d["case_id"].isin(cases)].reset_index(drop=True)
        a = attribute(roles, d["doers"], d["start"], d["end"])
        rows = d.iloc[a["row"].to_numpy()]
        when = rows["start"].fillna(rows["end"])
    return pd.DataFrame(
        {
            "owner": a["owner"].astype(str).to_numpy(),
            "issue_id": rows["issue_id"].astype(str).to_numpy(),
            "date": when.to_numpy(),
            "stance": rows["stance"].to_numpy(),
        }
    )


def _period(dates: pd.Series, freq: str | None) -> pd.Series:
    if freq is None:
        return pd.Series("all", index=dates.index, dtype="string")
    return dates.dt.to_period(freq).astype(str).astype("string")


def _check(tables: Tables, a: str, b: str, channel: str, freq: str | None) -> list[str]:
    check_ids("actor", [a, b], tables.actors["actor_id"])
    if channel not in (*CHANNELS, "both"):
        raise ValueError(f"channel must be 'words', 'deeds' or 'both', got {channel!r}")
    if freq not in FREQS:
        raise ValueError(f"freq must be None, 'Y', 'Q' or 'M', got {freq!r}")
    return list(CHANNELS) if channel == "both" else [channel]


def alignment_by_issue(
    tables: Tables,
    a: str,
    b: str,
    channel: str = "both",
    freq: str | None = None,
    *,
    case=None,
    attribution=None,
    group: bool = True,
) -> pd.DataFrame:
    """Each actor's mean stance per period, channel and issue, side by side.

    Columns: ``period``, ``channel``, ``issue_id``, ``a_stance``, ``b_stance``
    (NaN when that actor has none), ``a_n``, ``b_n`` and ``distance``
    (absolute difference; NaN unless both have a stance).
    """
    channels = _check(tables, a, b, channel, freq)
    frames = []
    for ch in channels:
        rows = _channel_rows(tables, ch, group, case, attribution)
        rows = rows[rows["owner"].isin([a, b])]
        rows = rows.assign(period=_period(rows["date"], freq), stance=rows["stance"].astype(float))
        g = rows.groupby(["period", "issue_id", "owner"], observed=True)["stance"]
        stats = g.agg(["mean", "size"]).unstack("owner")
        out = pd.DataFrame(index=stats.index)
        for side, who in (("a", a), ("b", b)):
            out[f"{side}_stance"] = stats.get(("mean", who), np.nan)
            n = stats.get(("size", who), 0)
            out[f"{side}_n"] = pd.Series(n, index=stats.index).fillna(0).astype(int)
        out = out.reset_index()
        out.insert(1, "channel", ch)
        frames.append(out)
    cols = ["period", "channel", "issue_id", "a_stance", "b_stance", "a_n", "b_n"]
    detail = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    detail = detail[cols]
    detail["distance"] = (detail["a_stance"] - detail["b_stance"]).abs()
    order = {c: i for i, c in enumerate(CHANNELS)}
    detail = detail.sort_values(
        ["period", "channel", "issue_id"], key=lambda s: s.map(order) if s.name == "channel" else s
    )
    return detail.reset_index(drop=True)


def alignment(
    tables: Tables,
    a: str,
    b: str,
    channel: str = "both",
    freq: str | None = None,
    *,
    case=None,
    attribution=None,
    group: bool = True,
) -> pd.DataFrame:
    """Agreement and S score of actors ``a`` and ``b`` per period and channel.

    Parameters
    ----------
    tables : Tables
    a, b : str
        Actor ids, usually states (``"RUS"``, ``"IRN"``).
    channel : {"words", "deeds", "both"}
    freq : {None, "Y", "Q", "M"}
        Period length; None compares all time at once.
    case : str or list of str, optional
        Only rows of these cases (default: every case).
    attribution : str or list of str, optional
        Kinds of role that count as the actor (default: office holders and organs).
    group : bool, default True
        Count everyone who speaks for an actor as that actor.

    Returns
    -------
    DataFrame
        ``period``, ``channel``, ``n_shared``, ``shared_issues`` (tuple),
        ``agreement``, ``s_score``, ``reason`` (why a score is NaN, else empty).

    Examples
    --------
    >>> import research
    >>> al = research.alignment(research.load(), "RUS", "IRN", case="russia-iran")
    >>> list(al.channel)
    ['words', 'deeds']
    """
    detail = alignment_by_issue(
        tables, a, b, channel, freq, case=case, attribution=attribution, group=group
    )
    rows = []
    for (period, ch), d in detail.groupby(["period", "channel"], sort=False):
        shared = d[d["distance"].notna()]
        n = len(shared)
        if n:
            dist = shared["distance"].to_numpy()
            agreement = float(np.mean(dist < AGREE_WITHIN))
            s = 1 - 2 * dist.sum() / (SCALE * n)
            reason = ""
        else:
            agreement = s = np.nan
            only_a = sorted(d.loc[d["a_n"] > 0, "issue_id"])
            only_b = sorted(d.loc[d["b_n"] > 0, "issue_id"])
            reason = (
                f"no shared issue: {a} has {ch} on {', '.join(only_a) or 'nothing'}; "
                f"{b} on {', '.join(only_b) or 'nothing'}"
            )
        rows.append(
            {
                "period": period,
                "channel": ch,
                "n_shared": n,
                "shared_issues": tuple(shared["issue_id"]),
                "agreement": agreement,
                "s_score": float(s),
                "reason": reason,
            }
        )
    cols = ["period", "channel", "n_shared", "shared_issues", "agreement", "s_score", "reason"]
    return pd.DataFrame(rows, columns=cols)


def divergence(
    tables: Tables,
    a: str,
    b: str,
    *,
    case=None,
    attribution=None,
    group: bool = True,
    at_least: float = 0,
) -> pd.DataFrame:
    """Per issue, how far apart two actors stand across words and deeds.

    Words can be set against deeds: an actor that says one thing while the
    other does the opposite diverges even when they never both speak, or both
    act, on the issue. For each issue, each actor's mean stance in words and in
    deeds over all time; ``widest`` is the largest distance between any stance
    of ``a`` and any of ``b`` and ``between`` says which two it is. Issues
    where one side has no stance at all have NaN. Sorted widest first; keep
    only ``widest >= at_least``.

    Examples
    --------
    >>> import research
    >>> d = research.divergence(research.load(), "RUS", "IRN", case="russia-iran", at_least=2)
    >>> bool((d["widest"] >= 2).all())
    True
    """
    detail = alignment_by_issue(
        tables, a, b, "both", None, case=case, attribution=attribution, group=group
    )
    wide = detail.pivot_table(
        index="issue_id", columns="channel", values=["a_stance", "b_stance"], aggfunc="first"
    )
    rows = []
    for issue in sorted(set(detail["issue_id"])):
        stances = {}
        for side, who in (("a", a), ("b", b)):
            for ch in CHANNELS:
                col = (f"{side}_stance", ch)
                value = wide.at[issue, col] if col in wide.columns else np.nan
                stances[(who, ch)] = value
        best, between = np.nan, ""
        for ch_a in CHANNELS:
            for ch_b in CHANNELS:
                x, y = stances[(a, ch_a)], stances[(b, ch_b)]
                if pd.notna(x) and pd.notna(y) and (np.isnan(best) or abs(x - y) > best):
                    best, between = abs(x - y), f"{a} {ch_a} vs {b} {ch_b}"
        rows.append(
            {
                "issue_id": issue,
                "a_words": stances[(a, "words")],
                "a_deeds": stances[(a, "deeds")],
                "b_words": stances[(b, "words")],
                "b_deeds": stances[(b, "deeds")],
                "widest": best,
                "between": between,
            }
        )
    cols = ["issue_id", "a_words", "a_deeds", "b_words", "b_deeds", "widest", "between"]
    out = pd.DataFrame(rows, columns=cols).sort_values(
        ["widest", "issue_id"], ascending=[False, True], na_position="last", kind="stable"
    )
    if at_least:
        out = out[out["widest"] >= at_least]
    return out.reset_index(drop=True)
