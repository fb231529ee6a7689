"""Who speaks or acts for whom, and when; and checking the ids a user asks for.

Roles are dated links of a kind: a president is head of state from the day he
took office, a ministry is an organ of its state, a militia may be backed by
it. Following the roles that hold at a row's date, and only of the kinds
asked for (``attribution=``), from an actor to the end gives its
*principals*. The say–do analysis tests words against the deeds of everyone
who shares a principal.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from research.columnar import arrow_strings, split_lists

#: Kinds of role, grouped as ``attribution=`` names them.
ROLE_GROUPS: dict[str, tuple[str, ...]] = {
    "office_holder": (
        "head_of_state",
        "head_of_government",
        "minister",
        "spokesperson",
        "diplomat",
        "official",
    ),
    "state_organ": ("state_organ",),
    "state_owned_firm": ("state_owned_firm",),
    "backed_armed_group": ("backed_armed_group",),
    "private_firm": ("private_firm",),
}
#: Whose words and deeds count as a state's unless asked otherwise.
DEFAULT_ATTRIBUTION: tuple[str, ...] = ("office_holder", "state_organ")


def resolve_attribution(attribution: Iterable[str] | str | None = None) -> frozenset[str]:
    """The role kinds that carry attribution: group names or kinds, checked.

    Examples
    --------
    >>> sorted(resolve_attribution(["state_organ", "private_firm"]))
    ['private_firm', 'state_organ']
    >>> "minister" in resolve_attribution()
    True
    """
    if attribution is None:
        attribution = DEFAULT_ATTRIBUTION
    names = [attribution] if isinstance(attribution, str) else list(attribution)
    kinds = {k for group in ROLE_GROUPS.values() for k in group}
    check_ids("attribution", names, [*ROLE_GROUPS, *kinds])
    out: set[str] = set()
    for n in names:
        out.update(ROLE_GROUPS.get(n, (n,)))
    return frozenset(out)


class Roles:
    """Who acts for whom, and when, for the role kinds asked for.

    ``owners(actor, start, end)`` follows roles that hold at some time in
    [start, end] from ``actor`` up to the actors that act for no one further:
    its principals. An actor with no such role is its own principal. ``chain``
    gives every actor met on the way, the actor included.
    """

    #: Role graphs already built, by the roles' content and the kinds asked for: a
    #: notebook asks again and again of the same tables (see :meth:`of`).
    _built: dict[tuple[bytes, frozenset[str]], Roles] = {}
    _MAX_BUILT = 8

    @classmethod
    def of(cls, roles: pd.DataFrame, attribution: Iterable[str] | str | None = None) -> Roles:
        """The role graph of ``roles`` for ``attribution``, built once per content.

        Keyed by a hash of the roles' cells (not the frame's identity: a frame
        edited in place is a new graph), so that the principals found for one
        call are known to the next.

        Examples
        --------
        >>> import research
        >>> t = research.load()
        >>> Roles.of(t.roles) is Roles.of(t.roles.copy())
        True
        """
        kinds = resolve_attribution(attribution)
        cells = pd.util.hash_pandas_object(roles, index=False).to_numpy()
        key = (hashlib.sha256(cells.tobytes() + repr(list(roles.columns)).encode()).digest(), kinds)
        found = cls._built.get(key)
        if found is None:
            if len(cls._built) >= cls._MAX_BUILT:
                cls._built.pop(next(iter(cls._built)))  # the oldest
            found = cls._built[key] = cls(roles, kinds)
        return found

    def __init__(self, roles: pd.DataFrame, attribution: Iterable[str] | str | None = None):
        kinds = resolve_attribution(attribution)
        r = roles[roles["kind"].astype(str).isin(kinds)]
        from research.derive import spans  # dates as days; derive sits below the analysis

        start = spans(r["start"], open_start=False, open_end=False)["start"]
        end = spans(r["end"], open_start=False, open_end=False)["end"]
        self._up: dict[str, list[tuple[str, object, object, str]]] = {}
        # Missing dates as None, found for the whole column at once.
        starts = start.astype(object).where(start.notna(), None).tolist()
        ends = end.astype(object).where(end.notna(), None).tolist()
        for a, b, s, e, rid in zip(
            r["actor_id"].astype(str).tolist(),
            r["for_id"].astype(str).tolist(),
            starts,
            ends,
            r["role_id"].astype(str).tolist(),
            strict=True,
        ):
            self._up.setdefault(a, []).append((b, s, e, rid))
        self._timeless = {
            a: all(s is None and e is None for _, s, e, _ in ups) for a, ups in self._up.items()
        }
        self._cache: dict[tuple, tuple] = {}
        self._timeless_cache: dict[str, bool] = {}
        #: (principal, chain, via) per undated list of actors (see attribution_codes).
        self.answers: dict[str, list[tuple[str, frozenset[str], str]]] = {}

    def timeless(self, actor: str) -> bool:
        """True when the actor's principals do not depend on the date."""
        known = self._timeless_cache.get(actor)
        if known is None:
            known = self._timeless_cache[actor] = self._reach_timeless(actor)
        return known

    def _reach_timeless(self, actor: str) -> bool:
        seen, todo = set(), [actor]
        while todo:
            a = todo.pop()
            if a in seen:
                continue
            seen.add(a)
            if not self._timeless.get(a, True):
                return False
            todo += [b for b, _, _, _ in self._up.get(a, [])]
        return True

    def resolve(self, actor: str, start=None, end=None) -> tuple:
        """(principals, chain, via) of ``actor`` for a row dated [start, end]; None is open.

        ``via`` maps each principal to the ids of the roles that lead to it.
        """
        key = (actor, start, end)
        if key not in self._cache:
            ends: set[str] = set()
            chain: set[str] = set()
            via: dict[str, set[str]] = {}
            self._walk(actor, start, end, ends, chain, via, (), ())
            frozen = {p: frozenset(v) for p, v in via.items()}
            self._cache[key] = frozenset(ends), frozenset(chain), frozen
        return self._cache[key]

    def _walk(self, a, start, end, ends, chain, via, path, used) -> None:
        chain.add(a)
        ups = [
            (b, rid)
            for b, s, e, rid in self._up.get(a, [])
            if not ((s is not None and end is not None and s > end)
                    or (e is not None and start is not None and e < start))
            and b not in path
        ]  # fmt: skip
        if not ups:
            ends.add(a)
            via.setdefault(a, set()).update(used)
        for b, rid in ups:
            self._walk(b, start, end, ends, chain, via, (*path, a), (*used, rid))


def attribute(
    roles: Roles | None,
    who: pd.Series,
    start: pd.Series | None = None,
    end: pd.Series | None = None,
) -> pd.DataFrame:
    """Expand rows to one per (row, principal): ``row``, ``owner``, ``chain``, ``via``.

    ``chain`` is every actor met on the way; ``via`` the ids of the roles
    that make the row count for ``owner`` (joined by ', '; empty when the
    actor is its own principal).

    ``who`` holds one actor id or ids separated by ';' per row; ``roles``
    None keeps every actor as its own principal. Principals of one row are
    listed once each, sorted. Rows whose actors' roles carry no dates are
    resolved once per distinct ``who``, the rest once per distinct date.
    """
    row, answer, answers = attribution_codes(roles, who, start, end)
    # Object columns stay object: no conversion of a million ids to Arrow and back.
    return pd.DataFrame(
        {name: answers[name].to_numpy(dtype=object)[answer] for name in ("owner", "chain", "via")}
    ).assign(row=row)[["row", "owner", "chain", "via"]]


def attribution_codes(
    roles: Roles | None,
    who: pd.Series,
    start: pd.Series | None = None,
    end: pd.Series | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """:func:`attribute` as integers: ``(row, answer, answers)``.

    ``answers`` holds each distinct answer once (``owner``, ``chain``,
    ``via``); ``row[k]`` counts for ``answers.iloc[answer[k]]``. A million
    rows by a few hundred actors cost two integer arrays, not three columns of
    Python objects.
    """
    # Factorise the column as it is (Arrow strings stay Arrow): one Python string
    # per distinct `who`, not per row.
    codes, uniques = _factorized(who)
    n = len(codes)

    def resolve(ids: str, s, e) -> list[tuple[str, frozenset[str], str]]:
        """(principal, chain, via) for one row's actors, principals sorted."""
        undated = roles is not None and s is None and e is None
        if undated and ids in roles.answers:
            return roles.answers[ids]
        found: dict[str, tuple[set[str], set[str]]] = {}
        for a in ids.split(";"):
            if roles is None:
                found.setdefault(a, (set(), set()))[0].add(a)
                continue
            ps, chain, via = (
                roles.resolve(a, None, None) if roles.timeless(a) else roles.resolve(a, s, e)
            )
            for p in ps:
                links = found.setdefault(p, (set(), set()))
                links[0].update(chain)
                links[1].update(via.get(p, ()))
        out = [(p, frozenset(c), ", ".join(sorted(v))) for p, (c, v) in sorted(found.items())]
        if undated:
            roles.answers[ids] = out
        return out

    timeless, owner_of, chain_of, via_of, size = _timeless_answers(roles, uniques, resolve)
    offset = np.concatenate([[0], np.cumsum(size)[:-1]]) if len(size) else size
    free = np.flatnonzero(timeless[codes]) if n else np.array([], dtype=np.int64)
    reps = size[codes[free]]
    row_free = np.repeat(free, reps)
    first = np.repeat(offset[codes[free]], reps)
    within = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    item = first + within
    # Dated rows: principals depend on when the row happened; each is an answer of its own.
    starts = None if start is None else start.to_numpy()
    ends = None if end is None else end.to_numpy()
    d_rows, d_owner, d_chain, d_via = [], [], [], []
    for i in np.flatnonzero(~timeless[codes]) if n else []:
        s = None if starts is None or pd.isna(starts[i]) else pd.Timestamp(starts[i])
        e = None if ends is None or pd.isna(ends[i]) else pd.Timestamp(ends[i])
        for p, chain, via in resolve(str(uniques.iloc[codes[i]]), s, e):
            d_rows.append(i)
            d_owner.append(p)
            d_chain.append(chain)
            d_via.append(via)
    d_chain_arr = np.empty(len(d_chain), dtype=object)
    d_chain_arr[:] = d_chain
    rows = np.concatenate([row_free, np.array(d_rows, dtype=np.int64)])
    answer = np.concatenate([item, len(owner_of) + np.arange(len(d_rows), dtype=np.int64)])
    answers = pd.DataFrame(
        {
            "owner": pd.Series(np.concatenate([owner_of, np.array(d_owner, dtype=object)])),
            "chain": pd.Series(np.concatenate([chain_of, d_chain_arr]), dtype=object),
            "via": pd.Series(np.concatenate([via_of, np.array(d_via, dtype=object)])),
        },
        dtype=object,
    )
    if d_rows:  # principals within a row are sorted already; order the rows
        order = np.argsort(rows, kind="stable")
        rows, answer = rows[order], answer[order]
    return rows, answer.astype(np.int64), answers


def _factorized(who: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes of ``who`` (-1 where missing) and its distinct values, in order of appearance."""
    data = arrow_strings(who)
    if data is not None:  # Arrow encodes a million strings faster than a hash table of them
        encoded = data.combine_chunks().dictionary_encode()
        codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        return codes, pd.Series(pd.array(encoded.dictionary, dtype=pd.StringDtype("pyarrow")))
    cheap = isinstance(who.dtype, pd.StringDtype | pd.CategoricalDtype)
    codes, distinct = pd.factorize(who if cheap else who.astype(str))
    return codes, pd.Series(distinct, dtype=pd.StringDtype("pyarrow"))


def _timeless_answers(roles: Roles | None, uniques: pd.Series, resolve) -> tuple:
    """Principals of each distinct ``who`` whose actors' roles carry no dates.

    Each actor is resolved once; a ``who`` of several actors takes its actors'
    answers side by side, sorted by principal, with array operations. Only a
    ``who`` whose actors share a principal (a leader and his state) is
    resolved as a whole, to merge their chains and roles.

    Returns (timeless per ``who``, then per answer: owner, chain, via; and the
    number of answers per ``who``, zero for one whose roles carry dates).
    """
    parent, items = split_lists(uniques, ";")
    part_actor, found = pd.factorize(items)
    actors = [str(a) for a in found]
    actor_timeless = np.array([roles is None or roles.timeless(a) for a in actors], dtype=bool)
    still = np.ones(len(uniques), dtype=bool)
    np.logical_and.at(still, parent, actor_timeless[part_actor])
    answers = [
        resolve(a, None, None) if t else [] for a, t in zip(actors, actor_timeless, strict=True)
    ]
    a_size = np.array([len(x) for x in answers], dtype=np.int64)
    a_offset = np.concatenate([[0], np.cumsum(a_size)[:-1]]) if len(a_size) else a_size
    a_flat = [x for per in answers for x in per]
    a_owner = np.array([x[0] for x in a_flat], dtype=object)
    a_chain = np.empty(len(a_flat), dtype=object)
    a_chain[:] = [x[1] for x in a_flat]
    a_via = np.array([x[2] for x in a_flat], dtype=object)
    # One answer per (who, actor, principal of that actor), for timeless `who`s.
    keep = still[parent]
    sizes = a_size[part_actor[keep]]
    item_parent = np.repeat(parent[keep], sizes)
    within = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    item = np.repeat(a_offset[part_actor[keep]], sizes) + within
    owner_code = pd.factorize(a_owner, sort=True)[0] if len(a_owner) else a_owner
    order = np.lexsort((owner_code[item], item_parent)) if len(item) else item
    item, item_parent = item[order], item_parent[order]
    # A `who` whose actors share a principal: resolve it whole (rare).
    same = (item_parent[1:] == item_parent[:-1]) & (owner_code[item][1:] == owner_code[item][:-1])
    shared = np.unique(item_parent[1:][same])
    plain = ~np.isin(item_parent, shared)
    merged = [(w, x) for w in shared for x in resolve(str(uniques.iloc[w]), None, None)]
    parent_all = np.concatenate(
        [item_parent[plain], np.array([w for w, _ in merged], dtype=np.int64)]
    )
    chain_merged = np.empty(len(merged), dtype=object)
    chain_merged[:] = [x[1] for _, x in merged]
    owner = np.concatenate(
        [a_owner[item[plain]], np.array([x[0] for _, x in merged], dtype=object)]
    )
    chain = np.concatenate([a_chain[item[plain]], chain_merged])
    via = np.concatenate([a_via[item[plain]], np.array([x[2] for _, x in merged], dtype=object)])
    by_parent = np.argsort(parent_all, kind="stable")
    size = np.bincount(parent_all, minlength=len(uniques)).astype(np.int64)
    return still, owner[by_parent], chain[by_parent], via[by_parent], size


def check_ids(kind: str, requested: Iterable[str] | str | None, known: Iterable[str]) -> list[str]:
    """Return ``requested`` as a list, or raise ValueError naming unknown ids.

    The message suggests the closest known ids, as the loader does for data.

    Examples
    --------
    >>> check_ids("actor", "IRN", ["IRN", "RUS"])
    ['IRN']
    >>> check_ids("actor", ["IRQ"], ["IRN", "RUS"])
    Traceback (most recent call last):
    ...
    ValueError: unknown actor id 'IRQ' (closest: 'IRN')
    """
    if requested is None:
        return []
    wanted = [requested] if isinstance(requested, str) else list(requested)
    pool = set(known)  # a set: membership stays constant-time for any number of ids
    bad = []
    for value in wanted:
        if value not in pool:
            close = difflib.get_close_matches(str(value), sorted(pool), n=3, cutoff=0.4)
            hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
            bad.append(f"unknown {kind} id {value!r}{hint}")
    if bad:
        raise ValueError("; ".join(bad))
    return wanted
