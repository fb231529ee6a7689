"""How closely two actors align, in words and in deeds, period by period.

**Stances.** For each period and channel, each actor's stance on an issue is
the weighted mean of its stances there: a party's own words (official
statements; analysts' assessments, predictions and requests to others are
not an actor's stance), or deeds. Both count the actor and everyone who speaks or acts for it at the
time. Every row weighs by its status (:data:`research.DEFAULT_WEIGHTS`:
rumours count a quarter, an inferred deed nothing). A statement falls in the
period its said date starts in. A deed counts in every period it covers: one
that went on *throughout* its dates with its full weight in each; one that
happened *once* at an unknown time with the share of its days in that period
(a deed with no known start, in the period of its last day).

**Scores**, on the issues both have a stance on (the shared issues):

* ``agreement``: the share of shared issues less than 2 apart (the line the
  say–do verdict draws);
* ``s_score``: Signorino and Ritter's S, ``1 - 2 * d / d_max`` with ``d`` the
  (issue-weighted) sum of absolute stance differences and ``d_max`` its
  largest value on the -2..+2 scale (4 per issue): 1 identical, -1 opposite;
* ``s_squared``: the same with squared differences (``d_max`` 16 per issue);
* ``scott_pi`` and ``cohen_kappa``: agreement corrected for chance as in Häge
  (2011), ``1 - d_o / d_e`` with absolute distances: ``d_o`` the mean distance
  on the shared issues, ``d_e`` the mean distance between independent draws —
  from the two actors' pooled stances (Scott) or from each actor's own
  (Cohen). Two actors who always take the same few stances score high on S
  and near 0 on these.

Each score comes with a 95% bootstrap interval over the shared issues (1,000
resamples, seeded, so reports rebuild byte for byte), and ``thin`` marks a
score on fewer than :data:`THIN_BELOW` shared issues. With no shared issue
every score is NaN and ``reason`` says why: never a made-up 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.actors import Roles, attribute, check_ids
from research.load import Tables
from research.saydo import check_cases, deed_rows, resolve_weights

CHANNELS = ("words", "deeds")
FREQS = {None: None, "Y": "Y", "Q": "Q", "M": "M"}
AGREE_WITHIN = 2  # stances less than this far apart agree
SCALE = 4  # the widest distance on the -2..+2 scale
THIN_BELOW = 3  # a score on fewer shared issues is flagged as thin
BOOTSTRAP = 1000  # resamples for each interval
SEED = 20111  # the bootstrap's seed: the same data give the same interval
SCORES = ("agreement", "s_score", "s_squared", "scott_pi", "cohen_kappa")


def _channel_rows(
    tables: Tables, channel: str, group: bool, case, attribution, freq, weights
) -> pd.DataFrame:
    """Rows of one channel as (owner, issue, period, stance, weight), attributed at their date."""
    roles = Roles.of(tables.roles, attribution) if group else None
    cases = check_cases(tables, case)
    w = resolve_weights(weights)
    if channel == "words":
        pos = tables.positions
        # A party's words about its own conduct: not what it asks of others.
        p = pos[(pos["kind"] == "official_statement") & (pos["claim"] != "request")]
        if cases:
            p = p[p["case_id"].isin(cases)]
        a = attribute(roles, p["speaker_id"], p["said_start"], p["said_end"])
        rows = p.iloc[a["row"].to_numpy()]
        return pd.DataFrame(
            {
                "owner": a["owner"].astype(str).to_numpy(),
                "issue_id": rows["issue_id"].astype(str).to_numpy(),
                "period": _period(rows["said_start"], freq).to_numpy(),
                "stance": rows["stance"].to_numpy(dtype=float),
                "weight": rows["status"].astype(str).map(w).to_numpy(dtype=float),
            }
        )
    d = deed_rows(tables)
    if cases:
        d = d[d["case_id"].isin(cases)].reset_index(drop=True)
    a = attribute(roles, d["doers"], d["start"], d["end"])
    rows = d.iloc[a["row"].to_numpy()].reset_index(drop=True)
    base = pd.DataFrame(
        {
            "owner": a["owner"].astype(str).to_numpy(),
            "issue_id": rows["issue_id"].astype(str).to_numpy(),
            "stance": rows["stance"].to_numpy(dtype=float),
            "weight": rows["status"].astype(str).map(w).to_numpy(dtype=float),
        }
    )
    return _spread(base, rows, freq)


def _spread(base: pd.DataFrame, rows: pd.DataFrame, freq: str | None) -> pd.DataFrame:
    """One row per deed and period it covers, its weight shared as the module says."""
    if freq is None:
        return base.assign(period="all")
    start = rows["start"].fillna(rows["end"])  # no known start: the period of its last day
    end = rows["end"]
    first = start.dt.to_period(freq)
    last = end.dt.to_period(freq)
    n = (last.astype("int64") - first.astype("int64")).to_numpy() + 1
    once = (rows["occurrence"].astype(str) == "once").to_numpy()
    rep = np.repeat(np.arange(len(rows)), n)
    step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    periods = pd.PeriodIndex.from_ordinals(first.astype("int64").to_numpy()[rep] + step, freq=freq)
    share = np.ones(len(rep))
    if once.any():  # the share of the deed's days that fall in each period
        lo = np.maximum(periods.start_time.to_numpy(), start.to_numpy()[rep])
        hi = np.minimum(periods.end_time.normalize().to_numpy(), end.to_numpy()[rep])
        days = (hi - lo) / np.timedelta64(1, "D") + 1
        total = ((end - start).dt.days.to_numpy() + 1)[rep]
        share = np.where(once[rep], days / total, 1.0)
    out = base.iloc[rep].reset_index(drop=True)
    out["period"] = periods.astype(str).to_numpy()
    out["weight"] = out["weight"].to_numpy() * share
    return out


def _period(dates: pd.Series, freq: str | None) -> pd.Series:
    if freq is None:
        return pd.Series("all", index=dates.index, dtype=object)
    return dates.dt.to_period(freq).astype(str)


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
    weights=None,
) -> pd.DataFrame:
    """Each actor's weighted mean stance per period, channel and issue, side by side.

    Columns: ``period``, ``channel``, ``issue_id``, ``a_stance``, ``b_stance``
    (NaN when that actor has none, or only rows of weight 0), ``a_n``, ``b_n``
    (rows), ``a_weight``, ``b_weight`` (their summed weight) and ``distance``
    (absolute difference; NaN unless both have a stance).
    """
    channels = _check(tables, a, b, channel, freq)
    frames = []
    for ch in channels:
        rows = _channel_rows(tables, ch, group, case, attribution, freq, weights)
        rows = rows[rows["owner"].isin([a, b])]
        rows = rows.assign(weighted=rows["stance"] * rows["weight"])
        g = rows.groupby(["period", "issue_id", "owner"], observed=True)
        stats = g.agg(n=("stance", "size"), w=("weight", "sum"), ws=("weighted", "sum"))
        stats = stats.unstack("owner")
        out = pd.DataFrame(index=stats.index)
        for side, who in (("a", a), ("b", b)):
            w = stats.get(("w", who), pd.Series(0.0, index=stats.index)).fillna(0.0)
            ws = stats.get(("ws", who), pd.Series(0.0, index=stats.index)).fillna(0.0)
            out[f"{side}_stance"] = (ws / w.where(w > 0)).astype(float)
            n = stats.get(("n", who), pd.Series(0, index=stats.index))
            out[f"{side}_n"] = n.fillna(0).astype(int)
            out[f"{side}_weight"] = w.astype(float)
        out = out.reset_index()
        out.insert(1, "channel", ch)
        frames.append(out)
    cols = ["period", "channel", "issue_id", "a_stance", "b_stance", "a_n", "b_n"]
    cols += ["a_weight", "b_weight"]
    detail = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    detail = detail[cols]
    detail["distance"] = (detail["a_stance"] - detail["b_stance"]).abs()
    order = {c: i for i, c in enumerate(CHANNELS)}
    detail = detail.sort_values(
        ["period", "channel", "issue_id"], key=lambda s: s.map(order) if s.name == "channel" else s
    )
    return detail.reset_index(drop=True)


def scores(
    x: np.ndarray, y: np.ndarray, issue_weights: np.ndarray | None = None
) -> dict[str, float]:
    """Every alignment score of two stance vectors over the same shared issues.

    Examples
    --------
    Two actors who always stand at +2 but once at +1 agree almost fully on S
    and not at all beyond chance:

    >>> a = np.array([2.0] * 10)
    >>> b = np.array([2.0] * 9 + [1.0])
    >>> {k: round(v, 3) for k, v in scores(a, b).items()}
    {'agreement': 1.0, 's_score': 0.95, 's_squared': 0.988, 'scott_pi': -0.053, 'cohen_kappa': 0.0}
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.ones(len(x)) if issue_weights is None else np.asarray(issue_weights, dtype=float)
    w = w / w.sum()
    dist = np.abs(x - y)
    pooled = np.concatenate([x, y])
    observed = dist.mean()
    cohen = np.abs(x[:, None] - y[None, :]).mean()
    scott = np.abs(pooled[:, None] - pooled[None, :]).mean()
    return {
        "agreement": float(w @ (dist < AGREE_WITHIN)),
        "s_score": float(1 - 2 * (w @ dist) / SCALE),
        "s_squared": float(1 - 2 * (w @ dist**2) / SCALE**2),
        "scott_pi": float(1 - observed / scott) if scott > 0 else np.nan,
        "cohen_kappa": float(1 - observed / cohen) if cohen > 0 else np.nan,
    }


def _intervals(x: np.ndarray, y: np.ndarray, issue_weights: np.ndarray | None) -> dict:
    """95% bootstrap interval of each score, resampling the shared issues (seeded)."""
    rng = np.random.default_rng(SEED)
    n = len(x)
    draws = {k: [] for k in SCORES}
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, n, n)
        sw = None if issue_weights is None else issue_weights[i]
        for k, v in scores(x[i], y[i], sw).items():
            draws[k].append(v)
    out = {}
    for k, values in draws.items():
        v = np.asarray(values)
        v = v[~np.isnan(v)]
        lo, hi = np.quantile(v, [0.025, 0.975]) if v.size else (np.nan, np.nan)
        out[f"{k}_low"], out[f"{k}_high"] = float(lo), float(hi)
    return out


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
    weights=None,
    issue_weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Alignment scores of actors ``a`` and ``b`` per period and channel.

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
    weights : dict, optional
        Status weights overriding :data:`research.DEFAULT_WEIGHTS`.
    issue_weights : dict, optional
        Weight of each issue in S (issues not named weigh 1).

    Returns
    -------
    DataFrame
        ``period``, ``channel``, ``n_shared``, ``shared_issues`` (tuple), ``thin``
        (fewer than :data:`THIN_BELOW` shared issues), the scores
        ``agreement``, ``s_score``, ``s_squared``, ``scott_pi``,
        ``cohen_kappa``, each with ``_low`` and ``_high`` (95% bootstrap), and
        ``reason`` (why a score is NaN, else empty).

    Examples
    --------
    >>> import research
    >>> al = research.alignment(research.load(), "RUS", "IRN", case="russia-iran")
    >>> list(al.channel)
    ['words', 'deeds']
    """
    detail = alignment_by_issue(
        tables, a, b, channel, freq, case=case, attribution=attribution, group=group,
        weights=weights,
    )  # fmt: skip
    rows = []
    for (period, ch), d in detail.groupby(["period", "channel"], sort=False):
        shared = d[d["distance"].notna()]
        n = len(shared)
        row = {"period": period, "channel": ch, "n_shared": n}
        row["shared_issues"] = tuple(shared["issue_id"])
        row["thin"] = n < THIN_BELOW
        if n:
            x = shared["a_stance"].to_numpy(dtype=float)
            y = shared["b_stance"].to_numpy(dtype=float)
            iw = None
            if issue_weights:
                iw = np.array([float(issue_weights.get(i, 1.0)) for i in shared["issue_id"]])
            row.update(scores(x, y, iw))
            row.update(_intervals(x, y, iw))
            undefined = [k for k in ("scott_pi", "cohen_kappa") if np.isnan(row[k])]
            row["reason"] = (
                "no variation in the stances: chance-corrected scores are undefined"
                if undefined
                else ""
            )
        else:
            for k in SCORES:
                row[k] = row[f"{k}_low"] = row[f"{k}_high"] = np.nan
            only_a = sorted(d.loc[d["a_n"] > 0, "issue_id"])
            only_b = sorted(d.loc[d["b_n"] > 0, "issue_id"])
            row["reason"] = (
                f"no shared issue: {a} has {ch} on {', '.join(only_a) or 'nothing'}; "
                f"{b} on {', '.join(only_b) or 'nothing'}"
            )
        rows.append(row)
    cols = ["period", "channel", "n_shared", "shared_issues", "thin"]
    for k in SCORES:
        cols += [k, f"{k}_low", f"{k}_high"]
    cols.append("reason")
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
    """Per issue, each actor's words against its own deeds, and the two actors apart.

    For each issue over all time: each actor's weighted mean stance in words
    and in deeds; ``a_gap`` and ``b_gap``, each actor's words minus its own
    deeds (how far it says one thing and does another); ``words_apart`` and
    ``deeds_apart``, the distance between the two actors in each channel; and
    ``apart``, how far apart the two actors stand — in deeds when both have
    deeds there, else in words. Two actors whose deeds agree are never called
    apart on that issue, whatever one of them says: that is its own gap.
    Sorted by ``apart`` (widest first); keep only ``apart >= at_least``.

    Examples
    --------
    >>> import research
    >>> d = research.divergence(research.load(), "RUS", "IRN", case="russia-iran", at_least=2)
    >>> bool((d["apart"] >= 2).all())
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

        def get(side: str, ch: str, issue: str = issue) -> float:
            col = (f"{side}_stance", ch)
            return wide.at[issue, col] if col in wide.columns else np.nan

        aw, ad, bw, bd = get("a", "words"), get("a", "deeds"), get("b", "words"), get("b", "deeds")
        words_apart, deeds_apart = abs(aw - bw), abs(ad - bd)
        rows.append(
            {
                "issue_id": issue,
                "a_words": aw,
                "a_deeds": ad,
                "b_words": bw,
                "b_deeds": bd,
                "a_gap": aw - ad,
                "b_gap": bw - bd,
                "words_apart": words_apart,
                "deeds_apart": deeds_apart,
                "apart": deeds_apart if not np.isnan(deeds_apart) else words_apart,
            }
        )
    cols = ["issue_id", "a_words", "a_deeds", "b_words", "b_deeds", "a_gap", "b_gap"]
    cols += ["words_apart", "deeds_apart", "apart"]
    out = pd.DataFrame(rows, columns=cols).sort_values(
        ["apart", "issue_id"], ascending=[False, True], na_position="last", kind="stable"
    )
    if at_least:
        out = out[out["apart"] >= at_least]
    return out.reset_index(drop=True)
