"""Say–do: hold each stated position against the deeds that bear on it.

The rules, in the words an analyst would use:

* **Whose deeds.** A position is tested against deeds of its own case by the
  actors it is about (its ``subjects``, else its speaker) and by every actor
  that shares their principal at the time (the end of the chain of roles
  that hold then, of the kinds ``attribution=`` asks for): a president's
  words meet his state's deeds and its organs'; an analyst's assessment of
  Russia meets Russia's. Pass ``group=False`` to use those actors' own deeds
  only. A deed with several doers counts for each.
* **What deeds can test.** Denials, descriptions of own conduct, pledges and
  assessments are tested against deeds in their window; a prediction only
  against deeds after it was said (its window starts the day after); a
  request to others, a statement about evidence or silence, and a
  prediction whose condition is not on record are ``not_testable``.
* **Which deeds, and how much of each.** Deeds on the same issue whose dates
  meet the position's window. A deed that went on ``throughout`` its dates
  counts in full; one that happened ``once`` within several days counts by
  the share of its days inside the window; a once-deed with no earliest date
  counts in full in a window open at the start and not at all elsewhere.
  Deeds not dated to a day are counted in ``n_imprecise``. An empty window
  bound is open.
* **How certain.** A deed weighs its status weight (:data:`DEFAULT_WEIGHTS`,
  overridable with ``weights``) times that share; a status weighted 0 —
  ``inferred`` by default — is listed in :func:`evidence` but never counted.
  The deed stance is the weighted mean stance; ``gap`` is stated minus deed
  stance.
* **Verdict.** A deed *contradicts* a position when their stances are at
  least :data:`CONTRADICTS_AT` apart, and *agrees* otherwise. One bar,
  :data:`DECIDES_AT`, decides on either side alike:

  - ``not_testable``: deeds cannot settle the claim (above).
  - ``untested``: no deed weighs (``no_deeds``), or neither side's weight
    reaches the bar (``weak_only``).
  - ``mixed``: both sides reach it.
  - ``contradicted``: the contradicting weight reaches it, the agreeing does not.
  - ``consistent``: the agreeing weight reaches it, the contradicting does not.

  The ``reason`` column says which rule decided, for every verdict. The
  vocabulary — statuses, weights, verdicts, reasons — is declared once in
  :mod:`research.verdicts`.

The computation never forms position–event pairs: deeds are integer arrays
(one row per event, issue and principal, joined on the rows the loader's
reference check found), sorted once by (key, start) and by (key, end); each
position reads prefix sums at the bounds of its window, so its cost grows with
positions + events, not with the number of matches. :func:`evidence` lists the
pairs for the positions asked for, a few million at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from research.actors import Roles, attribute, attribution_codes, check_ids
from research.columnar import positions as _lookup_rows
from research.derive import STATUS_ORDER
from research.load import Tables
from research.verdicts import (
    CONTRADICTS_AT,
    DECIDES_AT,
    DEFAULT_WEIGHTS,
    EPS,
    REASONS,
    VERDICTS,
)

STANCES = np.arange(-2, 3)

_OPEN = np.iinfo(np.int64).min  # an open (missing) date bound


def resolve_weights(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Default status weights updated with ``weights``; reject unknown statuses.

    Examples
    --------
    >>> resolve_weights({"rumoured": 0})["rumoured"]
    0.0
    """
    out = dict(DEFAULT_WEIGHTS)
    for status, w in (weights or {}).items():
        if status not in out:
            check_ids("status", status, STATUS_ORDER)
        w = float(w)
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"weight for {status!r} must be a finite number >= 0, got {w!r}")
        out[status] = w
    return out


# --- selecting rows --------------------------------------------------------------


def _days(values: pd.Series) -> np.ndarray:
    """Dates as day numbers; NaT (an open bound) becomes ``_OPEN``."""
    return values.to_numpy(dtype="datetime64[D]").astype(np.int64)


def check_cases(tables: Tables, case: Sequence[str] | str | None) -> list[str]:
    """Case ids asked for (all when None); unknown ids raise ValueError."""
    return check_ids("case", case, tables.cases["case_id"])


def select_positions(
    tables: Tables,
    actors: Sequence[str] | str | None = None,
    issues: Sequence[str] | str | None = None,
    start: object = None,
    end: object = None,
    case: Sequence[str] | str | None = None,
    attribution: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Positions of these cases, by or about these actors (or anyone on their
    chain of roles at the time), on these issues, said between ``start`` and
    ``end`` (inclusive, by the first day the said date can mean). Unknown ids
    raise ValueError."""
    pos = tables.positions
    keep = np.ones(len(pos), dtype=bool)
    cases = check_cases(tables, case)
    if cases:
        keep &= pos["case_id"].isin(cases).to_numpy()
    wanted = check_ids("actor", actors, tables.actors["actor_id"])
    if wanted:
        who = pos["speaker_id"].astype(str) + (";" + pos["subjects"].astype(str)).fillna("")
        a = attribute(Roles.of(tables.roles, attribution), who, pos["said_start"], pos["said_end"])
        hit = a["chain"].map(lambda c: not c.isdisjoint(wanted)).to_numpy(dtype=bool)
        involved = np.zeros(len(pos), dtype=bool)
        involved[a["row"].to_numpy()[hit]] = True
        keep &= involved
    wanted_issues = check_ids("issue", issues, tables.issues["issue_id"])
    if wanted_issues:
        keep &= pos["issue_id"].isin(wanted_issues).to_numpy()
    if start is not None:
        keep &= (pos["said_start"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (pos["said_start"] <= pd.Timestamp(end)).to_numpy()
    return pos if keep.all() else pos[keep]


# --- the pair-free core ------------------------------------------------------------


def _positions(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Row of each value in ``known`` (-1 when absent), as int64 indices."""
    return np.asarray(_lookup_rows(values, known), dtype=np.int64)


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when missing), cheaply for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        remap = np.append(categories.get_indexer(values.cat.categories.astype(str)), -1)
        return remap[values.cat.codes.to_numpy()].astype(np.int64)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return _positions(values, pd.Series(categories.astype(str), dtype=values.dtype))
    return categories.get_indexer(values.astype(object)).astype(np.int64)


def _status_weights(status: np.ndarray, w: dict[str, float]) -> np.ndarray:
    """Each deed row's status weight, from its status code."""
    return np.array([w[x] for x in STATUS_ORDER])[status]


def _is(values: pd.Series, value: str) -> np.ndarray:
    """values == value, cheaply for categoricals."""
    return _codes(values, pd.Index([value])) == 0


def tested_actors(positions: pd.DataFrame) -> pd.Series:
    """Whose deeds test each position: its subjects, else its speaker."""
    return positions["subjects"].astype(object).fillna(positions["speaker_id"].astype(object))


def deed_rows(tables: Tables) -> pd.DataFrame:
    """One row per deed and issue it bears on: the event's columns, ``issue_id``, ``stance``."""
    links = np.arange(len(tables.event_issues))
    return _deed_frame(tables, tables.rows_of("event_issues", "event_id"), links)


def _deed_frame(tables: Tables, event: np.ndarray, link: np.ndarray) -> pd.DataFrame:
    """Rows of events, each with the ``issue_id`` and ``stance`` of one of its links."""
    ei = tables.event_issues
    rows = tables.events.iloc[event].reset_index(drop=True)
    rows.insert(rows.columns.get_loc("doers") + 1, "issue_id", ei["issue_id"].to_numpy()[link])
    rows.insert(rows.columns.get_loc("issue_id") + 1, "stance", ei["stance"].to_numpy()[link])
    return rows


@dataclass(frozen=True)
class _Deeds:
    """Deed rows as integer arrays: one per event, issue it bears on and principal
    it counts for (and, for positions about a counterpart, the principal on its
    other side). Nothing is copied from the tables but the columns a verdict reads.

    ``event`` and ``link`` are rows of ``events`` and ``event_issues``;
    ``answer`` a row of ``answers`` (the principal and the roles it counts
    through); ``other`` the code of the principal on the other side (0: anyone).
    """

    event: np.ndarray
    link: np.ndarray
    answer: np.ndarray
    other: np.ndarray
    answers: pd.DataFrame
    start: np.ndarray  # day numbers, _OPEN when open
    end: np.ndarray
    status: np.ndarray  # code in STATUS_ORDER (int8)
    stance: np.ndarray  # -2..2 (int8)
    once: np.ndarray  # it happened once (else: throughout its dates)
    precise: np.ndarray  # dated to a day

    def __len__(self) -> int:
        return len(self.event)

    def take(self, idx: np.ndarray) -> _Deeds:
        """The deed rows at ``idx``."""
        return _Deeds(
            **{
                f.name: getattr(self, f.name) if f.name == "answers" else getattr(self, f.name)[idx]
                for f in dataclasses.fields(self)
            }
        )


def _deeds(
    tables: Tables, roles: Roles | None, asked: np.ndarray | None, doers: tuple | None = None
) -> _Deeds:
    """Every deed row of the tables (see :class:`_Deeds`).

    ``asked`` holds the names of counterparts some position asks about (None:
    none do); ``doers``, the events' doers attributed already (see
    :func:`_doers`), if they are.
    """
    ev = tables.events
    row, answer, answers = _doers(tables, roles) if doers is None else doers
    other = np.zeros(len(row), dtype=np.int64)
    if asked is not None and len(asked):
        # A deed counts toward a position about relations with X once more per
        # principal on its other side: its targets' and its other doers'.
        has = ev["targets"].notna().to_numpy(dtype=bool)
        sel = np.flatnonzero(has)
        t_row, t_answer, t_answers = attribution_codes(
            roles, ev["targets"].iloc[sel], ev["start"].iloc[sel], ev["end"].iloc[sel]
        )
        mine = answers["owner"].to_numpy(dtype=object)[answer]
        sides = pd.DataFrame(
            {
                "event": np.concatenate([row, sel[t_row]]),
                "side": np.concatenate([mine, t_answers["owner"].to_numpy(dtype=object)[t_answer]]),
            }
        ).drop_duplicates()
        sides = sides[sides["side"].isin(asked)]
        attr = pd.DataFrame(
            {"event": row, "answer": answer, "mine": mine, "k": np.arange(len(row))}
        )
        both = attr.merge(sides, on="event", sort=False)
        both = both[both["side"] != both["mine"]].sort_values("k", kind="stable")
        code = pd.Index(asked).get_indexer(both["side"]) + 1
        row = np.concatenate([row, both["event"].to_numpy(dtype=np.int64)])
        answer = np.concatenate([answer, both["answer"].to_numpy(dtype=np.int64)])
        other = np.concatenate([other, code.astype(np.int64)])
        # Keep the deed rows in event order (the evidence lists them so, cheaply).
        by_row = np.argsort(row, kind="stable")
        row, answer, other = row[by_row], answer[by_row], other[by_row]
    # Every (attribution row, link of its event): links grouped by event in listing order.
    of_link = np.asarray(tables.rows_of("event_issues", "event_id"))
    listed = len(of_link) < 2 or bool((of_link[1:] >= of_link[:-1]).all())
    by_event = np.arange(len(of_link)) if listed else np.argsort(of_link, kind="stable")
    n_links = np.bincount(of_link, minlength=len(ev))
    first = np.cumsum(n_links) - n_links
    reps = n_links[row]
    k = np.repeat(np.arange(len(row)), reps)
    within = np.arange(len(k)) - np.repeat(np.cumsum(reps) - reps, reps)
    link = by_event[np.repeat(first[row], reps) + within]
    event = row[k].astype(np.int32)  # small integers: millions of rows, a few bytes each
    return _Deeds(
        event=event,
        link=link.astype(np.int32),
        answer=answer[k].astype(np.int32),
        other=other[k].astype(np.int32),
        answers=answers,
        start=_days(ev["start"])[event],
        end=_days(ev["end"])[event],
        status=_codes(ev["status"], pd.Index(STATUS_ORDER)).astype(np.int8)[event],
        stance=tables.event_issues["stance"].to_numpy(dtype=np.int8)[link],
        once=_is(ev["occurrence"], "once")[event],
        precise=_is(ev["precision"], "day")[event],
    )


def _doers(tables: Tables, roles: Roles | None) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The events' doers attributed to their principals (:func:`attribution_codes`)."""
    ev = tables.events
    return attribution_codes(roles, ev["doers"], ev["start"], ev["end"])


def _position_principals(
    positions: pd.DataFrame, roles: Roles | None
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """One row per position and principal (and counterpart principal), and the
    counterparts' principals asked about (None: no position asks)."""
    said_start, said_end = positions["said_start"], positions["said_end"]
    pa_ = attribute(roles, tested_actors(positions), said_start, said_end)
    p_rows = pd.DataFrame(
        {"pos_row": pa_["row"].to_numpy(), "principal": pa_["owner"], "via": pa_["via"]}
    )
    p_rows["counterpart_principal"] = None
    about = positions["counterpart"].notna().to_numpy(dtype=bool)
    asked = None
    if about.any():
        # A position about relations with X: one row per principal of X too.
        sel = np.flatnonzero(about)
        cp = attribute(
            roles, positions["counterpart"].iloc[sel], said_start.iloc[sel], said_end.iloc[sel]
        )
        cp_rows = pd.DataFrame(
            {"pos_row": sel[cp["row"].to_numpy()], "counterpart_principal": cp["owner"]}
        )
        p_rows = pd.concat(
            [
                p_rows[~about[p_rows["pos_row"].to_numpy()]],
                p_rows.drop(columns="counterpart_principal").merge(cp_rows, on="pos_row"),
            ]
        ).sort_values(["pos_row", "principal", "counterpart_principal"], kind="stable")
        p_rows = p_rows.reset_index(drop=True)
        asked = np.sort(pd.unique(p_rows["counterpart_principal"].dropna().to_numpy(dtype=object)))
    return p_rows, asked


def _attributed(
    tables: Tables, positions: pd.DataFrame, attribution, group: bool
) -> tuple[pd.DataFrame, np.ndarray, _Deeds, np.ndarray, pd.Index]:
    """Positions and deeds, each expanded to one row per principal, with integer keys.

    A key packs (case, principal, issue, counterpart): a position meets only
    deeds of its own case, by its principals, on its issue — and, when it is
    about relations with a counterpart, only deeds between the two. Returns
    (position rows with ``pos_row``, ``principal``, ``via`` and
    ``counterpart_principal``, their keys, the deed rows, their keys, and the
    principals' names by code).
    """
    roles = Roles.of(tables.roles, attribution) if group else None
    # The events' doers are attributed on a second core while the positions are.
    with ThreadPoolExecutor(max_workers=1) as pool:
        doers = pool.submit(_doers, tables, roles)
        p_rows, asked = _position_principals(positions, roles)
        deeds = _deeds(tables, roles, asked, doers.result())

    cases = pd.Index(tables.cases["case_id"].astype(str))
    issues = pd.Index(tables.issues["issue_id"].astype(str))
    names = [
        p_rows["principal"].to_numpy(dtype=object),
        deeds.answers["owner"].to_numpy(dtype=object),
    ]
    if asked is not None:
        names.append(asked)
    owners = pd.Index(pd.unique(np.concatenate(names))).sort_values()
    n_owners, n_issues = max(len(owners), 1), max(len(issues), 1)
    n_others = 1 + (len(asked) if asked is not None else 0)

    pos_row = p_rows["pos_row"].to_numpy()
    p_other = np.zeros(len(p_rows), dtype=np.int64)
    if asked is not None:
        cp = p_rows["counterpart_principal"].to_numpy(dtype=object)
        has = pd.notna(cp)
        p_other[has] = pd.Index(asked).get_indexer(cp[has]) + 1
    p_owner = owners.get_indexer(p_rows["principal"].astype(str)).astype(np.int64)
    p_key = (
        (_codes(positions["case_id"], cases)[pos_row] * n_owners + p_owner) * n_issues
        + _codes(positions["issue_id"], issues)[pos_row]
    ) * n_others + p_other
    d_owner = owners.get_indexer(deeds.answers["owner"].astype(str)).astype(np.int64)
    ev_case = _codes(tables.events["case_id"], cases)
    link_issue = _codes(tables.event_issues["issue_id"], issues)
    d_key = (
        (ev_case[deeds.event] * n_owners + d_owner[deeds.answer]) * n_issues
        + link_issue[deeds.link]
    ) * n_others + deeds.other
    return p_rows, p_key, deeds, d_key, owners


#: Why a position cannot be tested, as codes: 0 it can be.
_UNTESTABLE = ("", "not_testable_request", "not_testable_evidence", "not_testable_condition")


def _windows(positions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each position's window as day numbers, and whether deeds can test it.

    A prediction is tested only against deeds after it was said: its window
    starts the day after the last day it can have been said. A conditional
    prediction or pledge is tested only once a deed on record shows that its
    condition came (``condition_event``), against deeds from that deed's first
    day; without one it cannot be tested (code 3). Requests and statements
    about evidence cannot be tested (code 1, 2). A window that ends before it
    can start is empty (``empty``): no deed can test it.
    """
    lo, hi = _days(positions["window_start"]), _days(positions["window_end"])
    claim = positions["claim"].astype(str).to_numpy()
    conditional = positions["condition"].notna().to_numpy(dtype=bool) & np.isin(
        claim, ["prediction", "pledge"]
    )
    on_record = positions["condition_event"].notna().to_numpy(dtype=bool)
    prediction = claim == "prediction"
    lo = np.where(prediction, np.maximum(lo, _days(positions["said_end"]) + 1), lo)
    lo = np.where(conditional, np.maximum(lo, _days(positions["condition_start"])), lo)
    code = np.select(
        [claim == "request", claim == "evidence", conditional & ~on_record], [1, 2, 3], 0
    )
    empty = (hi != _OPEN) & (lo > hi)
    lo = np.where(empty, hi, lo)  # a valid window whose counts are then dropped
    return lo, hi, code, empty


# Every deed falls in one class: status x stance x kind x imprecise. The kind says
# how much of it a window holds: 0 all or nothing (it went on throughout its
# dates, or it is dated to one day), 1 a share of its days (it happened once
# within several days), 2 nothing or all by whether the window has a first day
# (it happened once, with no earliest date). The verdict needs only sums over
# deeds of a few columns, each a function of the class alone (a lookup table),
# plus the shares of kind 1, summed apart (:func:`_partial_weights`).
_KINDS = 3
_N_CLASSES = len(STATUS_ORDER) * len(STANCES) * _KINDS * 2
_CLASS_BITS = int(_N_CLASSES - 1).bit_length()


def _deed_kinds(deeds: _Deeds) -> np.ndarray:
    """Kind of each deed row (see above)."""
    return np.select([~deeds.once | (deeds.start == deeds.end), deeds.start != _OPEN], [0, 1], 2)


def _event_classes(deeds: _Deeds, kinds: np.ndarray) -> np.ndarray:
    stance = deeds.stance.astype(np.int64) + 2
    imprecise = (~deeds.precise).astype(np.int64)
    status = deeds.status.astype(np.int64)
    return ((status * len(STANCES) + stance) * _KINDS + kinds) * 2 + imprecise


def _class_parts(weights: dict[str, float]) -> tuple[np.ndarray, ...]:
    """Per class: status, stance (0..4), kind, imprecise, and whether it weighs at all."""
    cls = np.arange(_N_CLASSES)
    rest, imprecise = np.divmod(cls, 2)
    rest, kind = np.divmod(rest, _KINDS)
    status, stance = np.divmod(rest, len(STANCES))
    live = np.array([weights[x] > 0 for x in STATUS_ORDER])[status]
    return status, stance, kind, imprecise, live


def _lookup(weights: dict[str, float]) -> np.ndarray:
    """Per class, the columns whose window sums decide a verdict.

    Columns: per status and stance, deeds of kind 0 or 1 (every one that meets
    the window weighs in it), then per status and stance deeds of kind 0 (they
    weigh in full), then deeds of kind 0 or 1 not dated to a day. A status of
    weight 0 contributes nothing; kind 2 is summed apart (:func:`_open_start_totals`).
    """
    status, stance, kind, imprecise, live = _class_parts(weights)
    n_st, n_v = len(STATUS_ORDER), len(STANCES)
    cells = [(status == s) & (stance == v) for s in range(n_st) for v in range(n_v)]
    meets = [live & (kind < 2) & c for c in cells]
    full = [live & (kind == 0) & c for c in cells]
    return np.array([*meets, *full, live & (kind < 2) & (imprecise == 1)], dtype=np.int8)


def _day_codes(*bounds: tuple[np.ndarray, bool], ref: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Map day numbers to small non-negative ints that keep their order.

    Each bound is (days, is_open, is_upper). Days are shifted so that the
    earliest event day is 1; open lower bounds become 0 and open upper bounds
    the top code. Position bounds outside the events' span are clipped, which
    keeps every comparison with an event day unchanged.
    """
    lows, highs = [], []
    for days in ref:  # min and max of the finite days, without copying them
        if days.size:
            lows.append(np.where(days == _OPEN, np.iinfo(np.int64).max, days).min())
            highs.append(days.max())  # _OPEN is the smallest int64: it never wins
    lo_day = min(lows) if lows else 0
    hi_day = max(highs) if highs else _OPEN
    if hi_day == _OPEN:  # no finite day at all
        lo_day, hi_day = 0, -1
    top = hi_day - lo_day + 2
    out = []
    for days, upper in bounds:
        code = np.clip(days - lo_day + 1, 0, top)
        code[days == _OPEN] = top if upper else 0
        out.append(code)
    return out


def window_counts(
    pos_key: np.ndarray,
    pos_lo: np.ndarray,
    pos_hi: np.ndarray,
    ev_key: np.ndarray,
    ev_start: np.ndarray,
    ev_end: np.ndarray,
    ev_class: np.ndarray,
    lookup: np.ndarray,
) -> np.ndarray:
    """Sum ``lookup[:, class]`` over each position's key and window.

    An event [start, end] overlaps [lo, hi] when start <= hi and end >= lo, so
    a window sum is (events with start <= hi) minus (events with end < lo).
    Both come from prefix sums over events sorted by (key, day): the key, the
    day and the class are packed into one int64, so a plain sort (no argsort)
    orders them and the class rides along in the low bits. Cost grows with
    positions + events, never with the pairs they form. Open bounds are given
    as ``_OPEN``.
    """
    n_cols = lookup.shape[0]
    out = np.zeros((n_cols, len(pos_key)), dtype=np.int64).T  # filled a column at a time
    if len(ev_key) == 0 or len(pos_key) == 0:
        return out
    for name, a, b in (("window", pos_lo, pos_hi), ("event", ev_start, ev_end)):
        backwards = (a != _OPEN) & (b != _OPEN) & (a > b)
        if backwards.any():  # the loader rejects these; tables built by hand may not
            raise ValueError(f"{backwards.sum()} {name}(s) end before they start")
    s, e, lo, hi = _day_codes(
        (ev_start, False), (ev_end, True), (pos_lo, False), (pos_hi, True),
        ref=(ev_start, ev_end),
    )  # fmt: skip
    day_bits = int(max(s.max(), e.max(), lo.max(), hi.max(), 1)).bit_length()
    key_bits = int(max(ev_key.max(), pos_key.max(), 1)).bit_length()
    if key_bits + day_bits + _CLASS_BITS > 63:
        raise ValueError("too many actors x issues and days to pack into 63 bits")
    key_shift = np.int64(day_bits + _CLASS_BITS)
    day_shift = np.int64(_CLASS_BITS)
    mask = np.int64((1 << _CLASS_BITS) - 1)

    by_start, by_end = _by_start_and_end(ev_key << key_shift, s, e, day_shift, ev_class)
    # Ask in sorted order: binary searches and prefix reads then walk memory forwards.
    base = pos_key << key_shift
    order = np.argsort(base | (hi << day_shift), kind="stable")
    base, lo, hi = base[order], lo[order], hi[order]
    upto = np.searchsorted(by_start, base | (hi << day_shift) | mask, side="right")
    before = np.searchsorted(by_end, base | (lo << day_shift), side="left")

    # A window sum never exceeds the deeds of one key: that bounds each field.
    key_of = by_start >> key_shift
    edges = np.flatnonzero(np.diff(key_of)) if len(key_of) > 1 else np.array([], dtype=np.int64)
    runs = np.diff(np.concatenate([[-1], edges, [len(key_of) - 1]]))
    class_s = (by_start & mask).astype(np.intp)
    class_e = (by_end & mask).astype(np.intp)
    del by_start, by_end, key_of
    prefix = np.zeros(len(ev_key) + 1, dtype=np.int64)
    word = np.empty(len(pos_key), dtype=np.int64)
    by_field = out.T  # one field's counts lie side by side
    for table, fields in _pack(lookup, int(runs.max())):
        # Events of smaller keys come first in both orders, so their sums cancel:
        # (start-sum up to hi) - (end-sum below lo) is the window sum of this key.
        np.cumsum(table[class_s], out=prefix[1:])
        asked = prefix[upto]
        np.cumsum(table[class_e], out=prefix[1:])
        asked -= prefix[before]
        word[order] = asked  # back to the positions' own order: one column, not the table
        for j, shift, width in fields:
            by_field[j] = (word >> shift) & ((1 << width) - 1)
    return out


def _by_start_and_end(
    key: np.ndarray, s: np.ndarray, e: np.ndarray, day_shift: np.int64, ev_class: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(key, day, class) packed and sorted by start day, and by end day.

    A deed of one day sorts alike in both: it is sorted once, and merged
    with the deeds of several days sorted by each of their bounds (a stable
    sort of two sorted runs is a merge).
    """
    one_day = s == e
    days_one = np.sort(key[one_day] | (s[one_day] << day_shift) | ev_class[one_day])
    if one_day.all():
        return days_one, days_one
    many = ~one_day
    key, ev_class = key[many], ev_class[many]

    def merged(day: np.ndarray) -> np.ndarray:
        run = np.sort(key | (day << day_shift) | ev_class)
        return np.sort(np.concatenate([days_one, run]), kind="stable")

    # numpy sorts without the interpreter lock: the end order is sorted beside the start order.
    with ThreadPoolExecutor(max_workers=1) as pool:
        by_end = pool.submit(merged, e[many])
        by_start = merged(s[many])
        return by_start, by_end.result()


def _pack(lookup: np.ndarray, most: int) -> list[tuple[np.ndarray, list]]:
    """Pack lookup columns side by side into int64 words, as bit fields.

    A field is wide enough for its column's sum over ``most`` events (the
    most any window can hold). Prefix sums of a word may carry from one field
    into the next and wrap around 64 bits, but the difference of two prefix
    sums is exact modulo 2**64: it is the packed window sum of each field,
    each of which fits its field. One cumulative sum then serves several columns.
    """
    words: list[tuple[np.ndarray, list]] = []
    table, fields, used = np.zeros(lookup.shape[1], dtype=np.int64), [], 0
    for j, col in enumerate(lookup):
        top = int(col.max())
        if top == 0:
            continue  # nothing to sum
        width = (top * most).bit_length()
        if used + width > 63:
            words.append((table, fields))
            table, fields, used = np.zeros(lookup.shape[1], dtype=np.int64), [], 0
        table |= col.astype(np.int64) << used
        fields.append((j, used, width))
        used += width
    if fields:
        words.append((table, fields))
    return words


def _open_start_totals(
    pos_key: np.ndarray, open_lo: np.ndarray, ev_key: np.ndarray, ev_sv: np.ndarray
) -> np.ndarray:
    """Per position, deeds of kind 2 of its key by status x stance (``ev_sv``).

    Such a deed has no earliest date: it weighs in full in a window open at the
    start, where every one of its key meets the window, and nothing elsewhere.
    """
    n_sv = len(STATUS_ORDER) * len(STANCES)
    out = np.zeros((len(pos_key), n_sv), dtype=np.int64)
    if not len(ev_key) or not len(pos_key):
        return out
    keys, inv = np.unique(ev_key, return_inverse=True)
    table = np.bincount(inv * n_sv + ev_sv, minlength=len(keys) * n_sv).reshape(-1, n_sv)
    at = np.minimum(np.searchsorted(keys, pos_key), len(keys) - 1)
    hit = (keys[at] == pos_key) & open_lo
    out[hit] = table[at[hit]]
    return out


def _partial_weights(
    pos_key: np.ndarray,
    pos_lo: np.ndarray,
    pos_hi: np.ndarray,
    ev_key: np.ndarray,
    ev_start: np.ndarray,
    ev_end: np.ndarray,
    coef: np.ndarray,
    stance: np.ndarray,
) -> np.ndarray:
    """Per position and deed stance, the weight x share summed over deeds of kind 1.

    A deed dated [s, e] that happened once puts ``coef`` = its status weight
    over its number of days on each of its days; a window holds ``coef`` times
    the days it shares with the deed. Summed over a key's deeds, the weight up
    to day x is piecewise linear in x::

        G(x) = (x + 1) * sum[s <= x] coef - sum[s <= x] coef * s
               - x * sum[e <= x] coef + sum[e <= x] coef * e

    and the window [lo, hi] holds G(hi) - G(lo - 1). The four sums are prefix
    sums over deeds sorted by (stance, key, s) and by (stance, key, e), read at
    each window's bounds: no pairs are formed.

    The running sums reach millions while a window's own sum may be a fraction,
    so they are not summed in floating point. Each ``coef`` is split into a
    multiple of 2**-k, summed as integers — exactly, even where the running
    sums wrap around 64 bits, since G(hi) - G(lo - 1) fits — and a remainder
    below 2**-k, whose running sums stay far too small to lose a digit that
    matters. Sums that land next to a threshold are still checked against the
    pairs (:func:`say_do`).
    """
    n_v = len(STANCES)
    out = np.zeros((len(pos_key), n_v))
    if not len(ev_key) or not len(pos_key):
        return out
    origin = ev_start.min() - 1
    s, e = ev_start - origin, ev_end - origin  # days from 1
    top = int(e.max()) + 1
    lo = np.where(pos_lo == _OPEN, 0, np.clip(pos_lo - origin, 0, top))
    hi = np.where(pos_hi == _OPEN, top, np.clip(pos_hi - origin, 0, top))
    day_bits = top.bit_length()
    key_bits = int(max(ev_key.max(), pos_key.max(), 1)).bit_length()
    if 3 + key_bits + day_bits > 62:
        raise ValueError("too many actors x issues and days to pack into 63 bits")
    shift = np.int64(day_bits)
    coef = coef.astype(np.float64)
    # (stance, key) in the high bits: each stance's deeds form one run, sorted by key.
    group = (stance.astype(np.int64) << np.int64(key_bits) | ev_key) << shift
    sums, k, whole, rest = [], 0, None, None
    for day in (s, e):
        packed, order = _sorted_with_order(group | day, day_bits + key_bits + 3)
        if whole is None:
            k = _fixed_point_bits(packed >> shift, (coef * (e - s + 1))[order])
            whole = np.rint(np.ldexp(coef, k)).astype(np.int64)
            rest = coef - np.ldexp(whole.astype(np.float64), -k)
        d = day[order]
        w_int, w_rest = whole[order], rest[order]
        sums.append(
            (
                packed,
                (_prefix(w_int), _prefix(w_int * d)),  # wraps around: exact modulo 2**64
                (_prefix(w_rest), _prefix(w_rest * d)),
            )
        )
    # Ask in sorted order, one stance after another: the searches walk memory forwards.
    by = np.argsort(pos_key, kind="stable")
    for v in range(n_v):
        base = ((np.int64(v) << np.int64(key_bits)) | pos_key[by]) << shift
        out[by, v] = _window_sum(sums, base, lo[by], hi[by], k)
    return out


def _fixed_point_bits(groups: np.ndarray, weights: np.ndarray) -> int:
    """Bits after the point for the integer part of the shares: as many as keep
    every window's sum within 61 bits (at most 40).

    ``groups`` is each deed's (stance, key), sorted, and ``weights`` its weight
    (``coef`` x days): a window holds at most every weight of one group.
    """
    starts = np.flatnonzero(np.concatenate([[True], groups[1:] != groups[:-1]]))
    top = float(np.add.reduceat(weights, starts).max()) * (1 + 1e-9) + 1
    return int(min(40, max(0, 61 - int(np.ceil(np.log2(top))))))


def _sorted_with_order(packed: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``packed`` sorted, and the order that sorts it (ties in their first order).

    Where the row numbers fit beside the values, one plain sort of
    value-and-row carries them along, which is faster than an argsort.
    """
    row_bits = max(int(len(packed) - 1).bit_length(), 1)
    if bits + row_bits <= 63:
        both = np.sort((packed << np.int64(row_bits)) | np.arange(len(packed), dtype=np.int64))
        return both >> np.int64(row_bits), both & np.int64((1 << row_bits) - 1)
    order = np.argsort(packed, kind="stable")
    return packed[order], order


def _prefix(values: np.ndarray) -> np.ndarray:
    """Running sums with a leading 0 (integers wrap around 64 bits, silently)."""
    out = np.zeros(len(values) + 1, dtype=values.dtype)
    np.cumsum(values, out=out[1:])
    return out


def _window_sum(sums: list, base: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int):
    """G(hi) - G(lo - 1) of :func:`_partial_weights` for each (stance, key) in
    ``base``: the integer part exactly (as multiples of 2**-k), the remainder
    in floating point."""
    (ps, int_s, rest_s), (pe, int_e, rest_e) = sums
    first = np.searchsorted(ps, base, side="left")  # the same in both orders
    if not len(first) or first[-1] == len(ps) and first[0] == len(ps):
        return np.zeros(len(base))
    whole = np.zeros(len(base), dtype=np.int64)
    rest = np.zeros(len(base))
    with np.errstate(over="ignore"):
        for x, sign in ((hi, 1), (np.maximum(lo - 1, 0), -1)):  # G(-1) = G(0) = 0
            b = np.searchsorted(ps, base | x, side="right")
            d = np.searchsorted(pe, base | x, side="right")
            for (cs, ce), acc, xv in (
                ((int_s, int_e), whole, x.astype(np.int64)),
                ((rest_s, rest_e), rest, x.astype(np.float64)),
            ):
                g = (
                    (xv + 1) * (cs[0][b] - cs[0][first])
                    - (cs[1][b] - cs[1][first])
                    - xv * (ce[0][d] - ce[0][first])
                    + (ce[1][d] - ce[1][first])
                )
                acc += g if sign > 0 else -g
    return np.ldexp(whole.astype(np.float64), -k) + rest


#: Sums of partial shares this close to a threshold are recomputed from the pairs.
_NEAR = 1e-6


def _tally(
    counts: np.ndarray, partial: np.ndarray, open_start: np.ndarray, weights: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deeds that weigh, by status x stance; weight by stance; deeds not dated to a day."""
    n_st, n_v = len(STATUS_ORDER), len(STANCES)
    meets = counts[:, : n_st * n_v].reshape(-1, n_st, n_v)
    full = counts[:, n_st * n_v : 2 * n_st * n_v].reshape(-1, n_st, n_v)
    opened = open_start.reshape(-1, n_st, n_v)
    w = np.array([weights[x] for x in STATUS_ORDER])
    n_sv = meets + opened
    mass = np.einsum("psv,s->pv", (full + opened).astype(np.float64), w) + partial
    n_imprecise = counts[:, -1] + opened.sum(axis=(1, 2))
    return n_sv, mass, n_imprecise


def _sides(stated: np.ndarray) -> np.ndarray:
    """Per row and deed stance: True where a deed of that stance contradicts."""
    return np.abs(STANCES[None, :] - stated[:, None]) >= CONTRADICTS_AT


def _decide(n_sv: np.ndarray, mass: np.ndarray, stated: np.ndarray, untestable: np.ndarray) -> dict:
    """Verdict, reason and the figures behind them, from deeds and weights by stance."""
    contra = _sides(stated)
    n_by_stance = n_sv.sum(axis=1)
    n = n_by_stance.sum(axis=1)
    n_contra = (n_by_stance * contra).sum(axis=1)
    against = (mass * contra).sum(axis=1)
    for_ = (mass * ~contra).sum(axis=1)
    total = mass.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        deed = np.where(n > 0, (mass @ STANCES) / np.where(total > 0, total, 1), np.nan)
    firm_against = against >= DECIDES_AT - EPS
    firm_for = for_ >= DECIDES_AT - EPS
    rules = [  # first match wins; the last is the default
        *[(untestable == k, "not_testable", why) for k, why in enumerate(_UNTESTABLE) if k],
        (n == 0, "untested", "no_deeds"),
        (firm_against & firm_for, "mixed", "both_ways"),
        (firm_against, "contradicted", "firm_contradiction"),
        (firm_for, "consistent", "firm_agreement"),
        (np.ones_like(n, dtype=bool), "untested", "weak_only"),
    ]
    rule = np.select([r[0] for r in rules], np.arange(len(rules)), len(rules) - 1)
    verdict_codes = np.array([VERDICTS.index(r[1]) for r in rules])[rule]
    verdict = pd.Categorical.from_codes(verdict_codes, categories=list(VERDICTS))
    reason = pd.Categorical.from_codes(rule, categories=[REASONS[r[2]] for r in rules])

    # Strongest status among the deeds that decided (see _deciding).
    side = _deciding_side(verdict_codes, contra)
    present = (n_sv * side[:, None, :]).sum(axis=2) > 0
    strongest = np.where(present.any(axis=1), np.argmax(present, axis=1), -1)
    return {
        "n_deeds": n,
        "n_agreeing": n - n_contra,
        "n_contradicting": n_contra,
        "weight_agreeing": for_,
        "weight_contradicting": against,
        "deed_stance": deed,
        "gap": stated - deed,
        "verdict": verdict,
        "reason": reason,
        "strongest_status": strongest,
    }


def _deciding_side(verdict_codes: np.ndarray, contra: np.ndarray) -> np.ndarray:
    """Which deeds decided, by stance: those contradicting a contradicted position,
    those agreeing with a consistent one, every counted deed otherwise."""
    contradicted = (verdict_codes == VERDICTS.index("contradicted"))[:, None]
    consistent = (verdict_codes == VERDICTS.index("consistent"))[:, None]
    return np.where(contradicted, contra, np.where(consistent, ~contra, True))


def say_do(
    tables: Tables,
    actors: Sequence[str] | str | None = None,
    issues: Sequence[str] | str | None = None,
    start: object = None,
    end: object = None,
    weights: Mapping[str, float] | None = None,
    *,
    case: Sequence[str] | str | None = None,
    attribution: Sequence[str] | str | None = None,
    group: bool = True,
    evidence: bool | Sequence[str] = True,
) -> pd.DataFrame:
    """One row per stated position and principal tested, with a verdict.

    Parameters
    ----------
    tables : Tables
        From :func:`research.load`.
    actors, issues : str or list of str, optional
        Keep positions by or about these actors (or anyone on their chain of
        roles) and on these issues. Unknown ids raise ValueError naming the
        closest ones.
    start, end : date-like, optional
        Keep positions said in this interval (inclusive).
    weights : dict, optional
        Status weights overriding :data:`DEFAULT_WEIGHTS`.
    case : str or list of str, optional
        Keep positions of these cases (default: every case). A position is
        only ever tested against deeds of its own case.
    attribution : str or list of str, optional
        Which kinds of role make one actor's words and deeds count as
        another's (default: office holders and state organs); see
        :data:`research.actors.ROLE_GROUPS`.
    group : bool, default True
        Test words against the deeds of everyone sharing the principal; False
        tests them against the tested actor's own deeds only.
    evidence : bool or list of position ids, default True
        Add ``evidence_ids`` (the deciding events) for all positions, none, or
        the listed ones. Listing evidence forms pairs; the verdict never does.

    Returns
    -------
    DataFrame
        The position's columns, the ``principal`` whose deeds test it (a
        position about 'Moscow and Tehran' has a row for each) and ``via``,
        the roles that make the speaker or subject count for it, then
        ``n_deeds``, ``n_agreeing``, ``n_contradicting``, ``n_imprecise``,
        ``deed_stance``, ``gap``, ``verdict``, ``reason``,
        ``strongest_status`` and, when asked, ``evidence_ids``.

    Examples
    --------
    >>> import research
    >>> t = research.load()
    >>> r = research.say_do(t, actors="IRN", case="russia-iran")
    >>> set(r.verdict) <= {"consistent", "contradicted", "mixed", "untested", "not_testable"}
    True
    """
    w = resolve_weights(weights)
    pos = select_positions(tables, actors, issues, start, end, case, attribution)
    p_rows, pos_key, deeds, ev_key, _ = _attributed(tables, pos, attribution, group)
    tested = pos.iloc[p_rows["pos_row"].to_numpy()]
    stated = tested["stance"].to_numpy(dtype=np.int64)
    lo, hi, untestable, empty = _windows(tested)
    result = _weigh(tested, pos_key, lo, hi, (untestable > 0) | empty, deeds, ev_key, w, stated)
    out = tested.reset_index(drop=True)  # copy-on-write: the columns stay shared
    out.insert(out.columns.get_loc("issue_id"), "principal", p_rows["principal"].astype("string"))
    out.insert(out.columns.get_loc("issue_id"), "via", p_rows["via"].astype("string"))
    out.insert(
        out.columns.get_loc("issue_id"),
        "counterpart_principal",
        p_rows["counterpart_principal"].astype("string").to_numpy(),
    )
    decided = _decide(*result[:2], stated, untestable)
    for name in COLUMNS:
        if name == "n_imprecise":
            out[name] = result[2]
        elif name == "strongest_status":
            codes = decided[name]
            out[name] = pd.Categorical.from_codes(codes, categories=list(STATUS_ORDER))
        else:
            out[name] = decided[name]
    if evidence is not False:
        wanted = None if evidence is True else set(evidence)
        verdict = np.asarray(out["verdict"].astype(str))
        ids = _evidence_ids(tables, tested, pos_key, deeds, ev_key, verdict, wanted, w)
        out["evidence_ids"] = pd.Series(ids, index=out.index, dtype=object)
    return out


#: The columns say_do adds to each (position, principal) row, in order.
COLUMNS = (
    "n_deeds",
    "n_agreeing",
    "n_contradicting",
    "n_imprecise",
    "weight_agreeing",
    "weight_contradicting",
    "deed_stance",
    "gap",
    "verdict",
    "reason",
    "strongest_status",
)


def _uncounted(pos_key, lo, hi, deeds: _Deeds, ev_key, classes, kinds, w) -> tuple:
    """What the window counts leave out: deeds with no earliest date (kind 2),
    by status x stance, and the partial weights of deeds of kind 1."""
    ev_w = _status_weights(deeds.status, w)
    sv = classes // (2 * _KINDS)  # status x stance
    opened = (kinds == 2) & (ev_w > 0)
    open_start = _open_start_totals(pos_key, lo == _OPEN, ev_key[opened], sv[opened])
    part = (kinds == 1) & (ev_w > 0)
    s, e = deeds.start[part], deeds.end[part]
    partial = _partial_weights(
        pos_key, lo, hi, ev_key[part], s, e, ev_w[part] / (e - s + 1), sv[part] % len(STANCES)
    )
    return open_start, partial


def _weigh(
    tested: pd.DataFrame,
    pos_key: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    dead: np.ndarray,
    deeds: _Deeds,
    ev_key: np.ndarray,
    w: dict[str, float],
    stated: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: deeds that weigh by status x stance, weight by stance, imprecise deeds.

    Rows in ``dead`` (claims deeds cannot test, empty windows) get nothing.
    """
    ev_start, ev_end = deeds.start, deeds.end
    kinds = _deed_kinds(deeds)
    classes = _event_classes(deeds, kinds)
    # The counts and the partial weights read the same arrays and write nothing
    # shared; numpy sorts and sums without the interpreter lock, so the two
    # run side by side on two cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        counting = pool.submit(
            window_counts, pos_key, lo, hi, ev_key, ev_start, ev_end, classes, _lookup(w)
        )
        open_start, partial = _uncounted(pos_key, lo, hi, deeds, ev_key, classes, kinds, w)
        counts = counting.result()
    counts[dead], partial[dead], open_start[dead] = 0, 0.0, 0
    # A stance with no deed of kind 1 in the window holds no partial weight: say
    # so exactly, not as the rounding left over from two equal prefix sums.
    n_cells = len(STATUS_ORDER) * len(STANCES)
    shared = counts[:, :n_cells] - counts[:, n_cells : 2 * n_cells]
    partial[shared.reshape(-1, len(STATUS_ORDER), len(STANCES)).sum(axis=1) == 0] = 0.0
    n_sv, mass, n_imprecise = _tally(counts, partial, open_start, w)

    # Partial shares are summed in floating point; where a sum lands next to a
    # threshold, take it from the pairs instead, as the rules state it.
    has_partial = (shared != 0).any(axis=1)
    contra = _sides(stated)
    near = has_partial & (
        (np.abs((mass * contra).sum(axis=1) - DECIDES_AT) < _NEAR)
        | (np.abs((mass * ~contra).sum(axis=1) - DECIDES_AT) < _NEAR)
    )
    if near.any():
        rows = np.flatnonzero(near)
        mine = np.flatnonzero(np.isin(ev_key, pos_key[rows]))  # their keys' deeds only
        few = deeds.take(mine)
        pr = _pairs(tested.iloc[rows], pos_key[rows], few, ev_key[mine], w)
        v = few.stance[pr["e_idx"]] + 2
        exact = np.bincount(
            pr["p_idx"] * len(STANCES) + v,
            weights=np.where(pr["counted"], pr["weight"], 0.0),
            minlength=len(rows) * len(STANCES),
        )
        mass[rows] = exact.reshape(-1, len(STANCES))
    return n_sv, mass, n_imprecise


# --- evidence: pairs, only for the positions asked for ----------------------------------


def evidence(
    tables: Tables,
    position_ids: Sequence[str] | str | None = None,
    weights: Mapping[str, float] | None = None,
    *,
    attribution: Sequence[str] | str | None = None,
    group: bool = True,
) -> pd.DataFrame:
    """The deeds that bear on each position, one row per (position, principal, deed).

    Columns: ``position_id``, ``principal`` (whose deeds these are),
    ``counterpart_principal`` (for a position about relations with a
    counterpart: the principal on the deed's other side, else missing),
    ``via`` (the roles through which this deed counts for the principal:
    the links used, shown beside the evidence), the deed's own columns with
    the ``issue_id`` and ``stance`` it has on the position's issue, then
    ``role`` (``contradicts`` or ``agrees``), ``share`` (how much of the deed
    falls in the window: 1 for a deed that went on throughout, the share of
    its days for one that happened once), ``weight`` (status weight x share),
    ``counted`` (False for a deed that weighs nothing — an ``inferred`` one,
    one with no earliest date against a window with a first day — or for a
    claim deeds cannot test: listed apart, never part of a verdict),
    ``deciding`` (counted and among the deeds that decided the verdict: the
    contradicting ones of a contradicted position, the agreeing ones of a
    consistent one, all counted ones otherwise) and ``imprecise`` (not dated
    to a day).
    """
    w = resolve_weights(weights)
    known = tables.positions["position_id"]
    ids = check_ids("position", position_ids, known) if position_ids is not None else None
    pos = tables.positions if ids is None else tables.positions[known.isin(ids)]
    p_rows, pos_key, deeds, ev_key, owners = _attributed(tables, pos, attribution, group)
    tested = pos.iloc[p_rows["pos_row"].to_numpy()]
    pr = _pairs(tested, pos_key, deeds, ev_key, w, rank=_event_rank(tables, deeds))
    p_idx, e_idx = pr["p_idx"], pr["e_idx"]
    # The verdict of each row, from its pairs, says which deeds decided it.
    stated = tested["stance"].to_numpy(dtype=np.int64)
    v = deeds.stance[e_idx] + 2
    n_v = len(STANCES)
    cell = p_idx * n_v + v
    counted = pr["counted"]
    mass = np.bincount(cell, np.where(counted, pr["weight"], 0.0), len(tested) * n_v)
    n = np.bincount(cell, counted, len(tested) * n_v).astype(np.int64)
    untestable = _windows(tested)[2]
    verdict = _decide(n.reshape(-1, 1, n_v), mass.reshape(-1, n_v), stated, untestable)["verdict"]
    side = _deciding_side(np.asarray(verdict.codes), _sides(stated))

    pairs = _deed_frame(tables, deeds.event[e_idx], deeds.link[e_idx])
    pairs.insert(0, "position_id", tested["position_id"].to_numpy()[p_idx])
    pairs.insert(1, "principal", p_rows["principal"].to_numpy()[p_idx])
    counterpart = p_rows["counterpart_principal"].to_numpy(dtype=object)[p_idx]
    pairs.insert(2, "counterpart_principal", pd.array(counterpart, dtype="string"))
    pairs.insert(3, "via", deeds.answers["via"].to_numpy(dtype=object)[deeds.answer[e_idx]])
    pairs["role"] = pd.Categorical(
        np.where(pr["contra"], "contradicts", "agrees"), ["contradicts", "agrees"]
    )
    pairs["share"] = pr["share"]
    pairs["weight"] = pr["weight"]
    pairs["counted"] = counted
    pairs["deciding"] = counted & side[p_idx, v]
    pairs["imprecise"] = ~deeds.precise[e_idx]
    return pairs.sort_values(
        ["position_id", "principal", "start", "event_id"], kind="stable"
    ).reset_index(drop=True)


def _shares(
    once: np.ndarray, s: np.ndarray, e: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Share of each deed [s, e] in its window [lo, hi], for pairs that meet.

    Throughout: 1. Once, within known dates: days inside over all its days.
    Once, with no earliest date: 1 when the window is open at the start, else 0.
    Open bounds are ``_OPEN`` (starts) and the latest day (ends).
    """
    first, last = np.maximum(s, lo), np.minimum(e, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = (last - first + 1) / (e - s + 1)
    return np.where(~once, 1.0, np.where(s == _OPEN, (lo == _OPEN).astype(float), part))


#: Pairs formed at a time when listing evidence: memory stays bounded at any size.
_BATCH = 1 << 22


def _pairs(
    tested: pd.DataFrame,
    pos_key: np.ndarray,
    deeds: _Deeds,
    ev_key: np.ndarray,
    w: dict[str, float],
    rank: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every (tested row, deed row) pair whose key matches and dates can meet.

    Returns index arrays ``p_idx`` (into ``tested``) and ``e_idx`` (into
    ``deeds``) in (row, deed start with open starts last, ``rank``) order
    (with ``rank``, each deed row's event id rank; else grouped by row, in no
    set order within it), and
    per pair ``contra``, ``share``, ``weight`` (status weight x share) and
    ``counted`` (it weighs, for a claim deeds can test). Pairs are formed only
    here, for the evidence asked for; verdicts never need them.
    """
    batches = list(_pair_batches(tested, pos_key, deeds, ev_key, w, rank))
    if len(batches) == 1:
        return batches[0]
    return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}


def _pair_batches(
    tested: pd.DataFrame,
    pos_key: np.ndarray,
    deeds: _Deeds,
    ev_key: np.ndarray,
    w: dict[str, float],
    rank: np.ndarray | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """The pairs of :func:`_pairs`, a run of rows at a time (about ``_BATCH``
    candidate pairs each; a row with more is a run of its own)."""
    limit = _BATCH
    ev_w = _status_weights(deeds.status, w)
    lo, hi, untestable, empty = _windows(tested)  # _OPEN is the earliest day
    ev_s, ev_e = deeds.start, deeds.end.copy()
    latest = np.iinfo(np.int64).max
    ev_e[ev_e == _OPEN], hi[hi == _OPEN] = latest, latest  # an open upper bound is the latest
    # Deeds sorted by key, then start (unknown starts last), then id: each row's
    # candidates are two runs of its key's deeds — those starting by the window's
    # end, and those with no known start — already in the order evidence is listed in.
    # Days from the first known start; no known start sorts after every day.
    known_s = ev_s[ev_s != _OPEN]
    first_day = int(known_s.min()) if len(known_s) else 0
    span = int(known_s.max()) - first_day + 1 if len(known_s) else 0
    by_day = np.where(ev_s == _OPEN, span, ev_s - first_day)
    n_days = span + 1
    packed = ev_key * n_days + by_day
    if rank is not None and (len(rank) < 2 or bool((rank[1:] >= rank[:-1]).all())):
        rank = None  # deed rows in rank order already: a stable sort keeps it within a day
    if rank is None:
        order = np.argsort(packed, kind="stable")
    elif (
        int(max(packed.max(initial=0), 1)).bit_length()
        + int(max(rank.max(initial=0), 1)).bit_length()
        <= 63
    ):  # one sort of one packed integer beats a lexsort
        width = np.int64(int(max(rank.max(initial=0), 1)).bit_length())
        order = np.argsort((packed << width) | rank)
    else:
        order = np.lexsort((rank, packed))
    packed = packed[order]
    base = pos_key * n_days
    first = np.searchsorted(packed, base, side="left")
    last = np.searchsorted(packed, base + n_days, side="left")
    unknown = np.searchsorted(packed, base + span, side="left")
    hi_day = np.clip(hi, first_day - 1, first_day + span - 1) - first_day  # -1: before all
    upto = np.minimum(np.searchsorted(packed, base + hi_day, side="right"), unknown)
    upto = np.maximum(upto, first)
    # A deed that starts more than its key's longest deed lasts before the window
    # cannot reach it: the known-start candidates begin there, not at the key's first.
    longest = _longest_by_key(packed // n_days, by_day[order] < span, ev_s[order], ev_e[order])
    reach = np.where(lo == _OPEN, -1, lo - first_day - longest(pos_key))
    reached = np.searchsorted(packed, base + np.clip(reach, 0, span), side="left")
    first = np.clip(reached, first, upto)
    known, sizes = upto - first, (upto - first) + (last - unknown)
    stance = tested["stance"].to_numpy(dtype=np.int64)
    ends = np.cumsum(sizes)
    a = 0
    while a < len(sizes) or a == 0:
        done = ends[a - 1] if a else 0
        b = max(int(np.searchsorted(ends, done + limit, side="right")), a + 1)
        b = min(b, len(sizes))
        rows = np.arange(a, b)
        n = sizes[a:b]
        p_idx = np.repeat(rows, n)
        j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        k = np.repeat(known[a:b], n)
        src = np.where(j < k, np.repeat(first[a:b], n) + j, np.repeat(unknown[a:b], n) + j - k)
        e_idx = order[src]
        hit = (ev_e[e_idx] >= lo[p_idx]) & ~empty[p_idx]
        p_idx, e_idx = p_idx[hit], e_idx[hit]
        contra = np.abs(deeds.stance[e_idx] - stance[p_idx]) >= CONTRADICTS_AT
        share = _shares(deeds.once[e_idx], ev_s[e_idx], ev_e[e_idx], lo[p_idx], hi[p_idx])
        weight = ev_w[e_idx] * share
        yield {
            "p_idx": p_idx,
            "e_idx": e_idx,
            "contra": contra,
            "share": share,
            "weight": weight,
            "counted": (weight > 0) & (untestable[p_idx] == 0),
        }
        if b >= len(sizes):
            break
        a = b


def _longest_by_key(keys: np.ndarray, known: np.ndarray, start: np.ndarray, end: np.ndarray):
    """A lookup: key -> the most days any of its known-start deeds lasts beyond its
    start (0 for a key with none). ``keys`` are sorted."""
    if not len(keys):
        return np.zeros_like
    forever = np.iinfo(np.int64).max // 4  # an open end reaches every window after its start
    latest = np.iinfo(np.int64).max
    lasts = np.where(known, np.where(end == latest, forever, end - np.where(known, start, 0)), 0)
    cuts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    run_keys, most = keys[cuts], np.maximum.reduceat(lasts, cuts)

    def lookup(asked: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(run_keys, asked), len(run_keys) - 1)
        return np.where(run_keys[at] == asked, most[at], 0)

    return lookup


def _event_rank(tables: Tables, deeds: _Deeds) -> np.ndarray:
    """Each deed row's rank by event id (equal ids share a rank)."""
    ids = tables.events["event_id"]
    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
        data = pa.array(ids)
        if len(data) < 2 or pc.all(pc.less(data[:-1], data[1:])).as_py():
            return deeds.event.astype(np.int64)  # listed in id order already (and unique)
        ranked = pc.rank(data, sort_keys="ascending", tiebreaker="dense")
        by_event = ranked.to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        by_event = pd.factorize(ids.astype(str), sort=True)[0]
    return by_event[deeds.event]


def _evidence_ids(
    tables: Tables,
    tested: pd.DataFrame,
    pos_key: np.ndarray,
    deeds: _Deeds,
    ev_key: np.ndarray,
    verdict: np.ndarray,
    wanted: set[str] | None,
    w: dict[str, float],
) -> list[tuple[str, ...] | None]:
    """Deciding event ids per row (see :func:`evidence`), for the rows asked for."""
    asked = (
        np.ones(len(tested), dtype=bool)
        if wanted is None
        else tested["position_id"].isin(wanted).to_numpy()
    )
    rows = np.flatnonzero(asked)
    sub = tested.iloc[rows]
    codes = pd.Categorical(verdict[rows], categories=list(VERDICTS)).codes
    side = _deciding_side(np.asarray(codes), _sides(sub["stance"].to_numpy(dtype=np.int64)))
    ids = pa.array(tables.events["event_id"])
    shared = None  # every event's id as one Python string, once many pairs share them
    result: list[tuple[str, ...] | None] = [None] * len(tested)
    for pr in _pair_batches(sub, pos_key[rows], deeds, ev_key, w, _event_rank(tables, deeds)):
        keep = pr["counted"] & side[pr["p_idx"], deeds.stance[pr["e_idx"]] + 2]
        p_idx, events = pr["p_idx"][keep], deeds.event[pr["e_idx"][keep]]
        if shared is None and len(events) > len(ids) // 4:
            shared = ids.to_numpy(zero_copy_only=False)
        names = (
            shared[events] if shared is not None else ids.take(events).to_numpy(False)
        ).tolist()
        if not len(p_idx):
            continue
        # Rows come in order within a batch: cut the names where the row changes.
        cuts = np.flatnonzero(np.diff(p_idx)) + 1
        starts = [0, *cuts.tolist()]
        stops = [*cuts.tolist(), len(p_idx)]
        lists = [tuple(names[i:j]) for i, j in zip(starts, stops, strict=True)]
        for r, found in zip(rows[p_idx[starts]].tolist(), lists, strict=True):
            result[r] = found
    for r in rows.tolist():  # rows asked for with no deciding deed
        if result[r] is None:
            result[r] = ()
    return result


def gap_summary(
    tables: Tables,
    actors: Sequence[str] | str | None = None,
    issues: Sequence[str] | str | None = None,
    start: object = None,
    end: object = None,
    weights: Mapping[str, float] | None = None,
    *,
    case: Sequence[str] | str | None = None,
    attribution: Sequence[str] | str | None = None,
    group: bool = True,
) -> pd.DataFrame:
    """Per speaker and issue: positions, not testable, tested, contradicted share, mean gap.

    ``tested`` leaves out positions no deed bears on and claims deeds cannot
    test; ``contradicted_share`` is contradicted / tested (NaN when nothing
    was tested); ``mean_gap`` averages the gaps of tested positions.
    """
    r = say_do(
        tables, actors, issues, start, end, weights,
        case=case, attribution=attribution, group=group, evidence=False,
    )  # fmt: skip
    tested = ~r["verdict"].isin(["untested", "not_testable"])
    r = r.assign(
        tested=tested,
        not_testable=r["verdict"] == "not_testable",
        contradicted=r["verdict"] == "contradicted",
        gap_tested=r["gap"].where(tested),
    )
    g = r.groupby(["speaker_id", "issue_id"], observed=True, sort=True)
    out = g.agg(
        positions=("position_id", "size"),
        not_testable=("not_testable", "sum"),
        tested=("tested", "sum"),
        contradicted=("contradicted", "sum"),
        mean_gap=("gap_tested", "mean"),
    ).reset_index()
    tested = out["tested"].astype(float)
    out.insert(6, "contradicted_share", out["contradicted"] / tested.where(tested > 0))
    return out
