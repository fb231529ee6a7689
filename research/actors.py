"""Who speaks for whom, and checking the ids a user asks for.

A president speaks for his state, a ministry for its government: following
``speaks_for`` to its end gives an actor's *principal*. The say–do analysis
tests an actor's words against the deeds of everyone who shares its principal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd


def principals(actors: pd.DataFrame) -> dict[str, str]:
    """Map every actor id to the end of its speaks-for chain.

    An actor that speaks for no one is its own principal. The loader has
    already rejected cycles.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"actor_id": ["IRN", "pres", "fm"], "speaks_for": [None, "IRN", "pres"]})
    >>> principals(a)
    {'IRN': 'IRN', 'pres': 'IRN', 'fm': 'IRN'}
    """
    ids = pd.Index(actors["actor_id"].astype(str))
    parent = ids.get_indexer(
        actors["speaks_for"].astype(object).where(actors["speaks_for"].notna(), None)
    )
    root = np.arange(len(ids))
    for _ in range(len(ids)):  # one step up the chains per pass; the loader rejects cycles
        up = parent[root]
        step = up >= 0
        if not step.any():
            break
        root = np.where(step, up, root)
    return dict(zip(ids, ids[root], strict=True))


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
    pool = sorted(set(known))
    bad = []
    for value in wanted:
        if value not in pool:
            close = difflib.get_close_matches(str(value), pool, n=3, cutoff=0.4)
            hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
            bad.append(f"unknown {kind} id {value!r}{hint}")
    if bad:
        raise ValueError("; ".join(bad))
    return wanted
