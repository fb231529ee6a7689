"""CAMEO codes read into the project's model: actors, PLOVER event types, issues.

Three mappings, each declared in data and none in code:

* **Actors.** A GDELT actor's country (``Actor1CountryCode``, CAMEO's
  ISO 3166 alpha-3: ``RUS``, ``IRN``) is the registry actor with that id, when
  the registry has it as a state. GDELT's geographic fields
  (``*Geo_CountryCode``) are FIPS 10-4 (``RS``, ``IR``) and are kept apart:
  they say where, never who.
* **Event types.** A CAMEO event code becomes a PLOVER event (the ``action``
  of a deed: ``aid``, ``assault``, …) by PLOVER's own crosswalk,
  ``research/lookups/CAMEO2PLOVER-2021.txt`` (provenance beside it). QuadClass
  and Goldstein stay as GDELT gives them.
* **Issues.** Which codes between which actors bear on which issue, with which
  stance and citation status, is the ``code_issues`` table in ``data/``, which
  an analyst edits and ``research validate`` checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

LOOKUPS = Path(__file__).resolve().parent / "lookups"
CROSSWALK = LOOKUPS / "CAMEO2PLOVER-2021.txt"
EVENT_CODES = LOOKUPS / "LOOKUP-CAMEO.eventcodes.txt"
COUNTRIES = LOOKUPS / "CAMEO_country.txt"

#: QuadClass as GDELT defines it: verbal (1, 3) and material (2, 4),
#: cooperation (1, 2) and conflict (3, 4).
QUAD_CLASSES = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

_LINE = re.compile(r"(?P<code>[0-9]{2,4}):\s*(?P<rest>[^#]*?)\s*(#\s*(?P<text>.*))?")


@dataclass(frozen=True)
class Plover:
    """A PLOVER event type with its mode and contexts, as the crosswalk gives them."""

    event: str
    mode: str
    contexts: tuple[str, ...]
    description: str

    @property
    def action(self) -> str:
        """The event as the ``action`` of a deed in ``events.csv`` (lower case)."""
        return self.event.lower()


@cache
def crosswalk() -> dict[str, Plover]:
    """CAMEO code → PLOVER event, from PLOVER's own crosswalk.

    A code listed twice with different events (root ``08``: CONCEDE and
    RETREAT) is ambiguous and left out; CAMEO roots 01 and 02 have no PLOVER
    event.

    >>> crosswalk()["072"]
    Plover(event='AID', mode='', contexts=('military',), description='Provide military aid')
    >>> "08" in crosswalk(), "01" in crosswalk()
    (False, False)
    """
    found: dict[str, list[Plover]] = {}
    for raw in CROSSWALK.read_text(encoding="utf-8").splitlines():
        m = _LINE.fullmatch(raw.strip())
        if m is None:  # comments, blank lines, the closing rule
            continue
        parts = [p.strip() for p in m["rest"].split(",")]
        event = parts[0]
        mode = parts[1] if len(parts) > 1 else ""
        contexts = tuple(
            c.strip() for c in (parts[2] if len(parts) > 2 else "").split(";") if c.strip()
        )
        found.setdefault(m["code"], []).append(
            Plover(event, mode, contexts, (m["text"] or "").strip())
        )
    return {
        code: entries[0] for code, entries in found.items() if len({e.event for e in entries}) == 1
    }


def plover(code: str) -> Plover | None:
    """The PLOVER event of a CAMEO code: its own entry, else its base code's (3 digits).

    >>> plover("0874").action, plover("1823").action, plover("163").action
    ('retreat', 'assault', 'coerce')
    >>> plover("013") is None  # CAMEO root 01 (make a public statement): no PLOVER event
    True
    """
    table = crosswalk()
    return table.get(code) or table.get(code[:3])


@cache
def event_descriptions() -> dict[str, str]:
    """CAMEO event code → GDELT's description (CRLF and GDELT's own mojibake kept).

    >>> event_descriptions()["0874"]
    'Retreat or surrender militarily'
    """
    lines = EVENT_CODES.read_text(encoding="utf-8").splitlines()[1:]
    return dict(line.split("\t", 1) for line in lines if line.strip())


@cache
def countries() -> dict[str, str]:
    """CAMEO country code → label, as GDELT publishes it (``ROM``, "Columbia").

    >>> countries()["RUS"], countries()["IRN"]
    ('Russia', 'Iran')
    """
    lines = COUNTRIES.read_text(encoding="utf-8").splitlines()[1:]
    return dict(line.split("\t", 1) for line in lines if line.strip())


def state_actors(actors: pd.DataFrame) -> dict[str, str]:
    """CAMEO country code → registry actor: states whose id is the code."""
    states = actors[actors["kind"].astype(str) == "state"]["actor_id"].astype(str)
    return {a: a for a in states if re.fullmatch("[A-Z]{3}", a)}


def with_model(events: pd.DataFrame, actors: pd.DataFrame) -> pd.DataFrame:
    """GDELT events with the project's reading of their codes beside GDELT's own.

    Adds ``doer_id`` and ``target_id`` (registry states for ``Actor1`` and
    ``Actor2CountryCode``, missing when the registry lacks one), ``action``,
    ``plover_mode`` and ``plover_contexts`` (from the crosswalk; missing
    where PLOVER has no event for the code), and ``channel`` (``verbal`` for
    QuadClass 1 and 3, ``material`` for 2 and 4). GDELT's columns are kept.
    """
    out = events.copy()
    known = state_actors(actors)
    string = pd.StringDtype("pyarrow")
    for side, column in (("doer_id", "Actor1CountryCode"), ("target_id", "Actor2CountryCode")):
        out[side] = pd.array(
            [known.get(c) if isinstance(c, str) else None for c in events[column]], dtype=string
        )
    codes = events["EventCode"].astype(str).tolist()
    found = {c: plover(c) for c in set(codes)}
    out["action"] = pd.array([found[c].action if found[c] else None for c in codes], dtype=string)
    out["plover_mode"] = pd.array([found[c].mode if found[c] else None for c in codes], string)
    out["plover_contexts"] = pd.array(
        [";".join(found[c].contexts) if found[c] else None for c in codes], dtype=string
    )
    quad = events["QuadClass"].to_numpy(dtype=np.int64)
    out["channel"] = pd.array(np.where(quad % 2 == 1, "verbal", "material"), dtype=string)
    return out


def bearing(
    doer: str | None, target: str | None, code: str, code_issues: pd.DataFrame
) -> pd.DataFrame:
    """The rows of ``code_issues`` that an event coded ``code`` from doer to target matches.

    A row matches when its doer and target are the event's and its
    ``cameo_code`` is the event code or a prefix of it (``07`` matches
    ``072``); only the longest matching prefix counts for each issue.
    """
    if doer is None or target is None:
        return code_issues.iloc[0:0]
    rows = code_issues[
        (code_issues["doer_id"] == doer)
        & (code_issues["target_id"] == target)
        & code_issues["cameo_code"].map(lambda p: code.startswith(str(p))).astype(bool)
    ]
    if rows.empty:
        return rows
    longest = rows["cameo_code"].astype(str).str.len()
    rows = rows.assign(_len=longest.to_numpy()).sort_values(["issue_id", "_len"])
    return rows.drop_duplicates("issue_id", keep="last").drop(columns="_len")
