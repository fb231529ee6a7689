"""Ids into words: what a reader sees instead of ``pezeshkian`` or ``arms_to_russia``.

The curated tables already hold every actor's name and role, every issue's
name and what each end of its axis means, and every source's title, outlet,
author and date. :class:`Names` looks them up; reports show the words and keep
the id on hover (``title``) for people who cite it.

>>> import research
>>> from research.names import Names
>>> n = Names(research.load())
>>> n.actor("pezeshkian"), n.issue("arms_to_russia")
('Masoud Pezeshkian', "Military support for Russia's war against Ukraine")
>>> n.actor("pezeshkian;mishustin")
'Masoud Pezeshkian and Mikhail Mishustin'
"""

from __future__ import annotations

import pandas as pd

from research import dates
from research.load import Tables

#: Coded values in words; anything not listed shows with underscores as spaces.
WORDS = {
    "official_statement": "official statement",
    "analyst_assessment": "analyst's assessment",
    "own_conduct": "about its own conduct",
    "request": "request to others",
    "evidence": "about evidence or silence",
    "own_words": "own words",
    "described": "described by the source",
    "not_testable": "not testable",
    "news_report": "news report",
    "analysis": "analysis article",
    "contradicts": "points the other way",
    "agrees": "agrees",
    "words": "words",
    "deeds": "deeds",
}

#: Plural forms for counts ("1 source", "2 sources").
PLURALS = {
    "analysis article": "analysis articles",
    "news report": "news reports",
    "official statement": "official statements",
    "analyst's assessment": "analysts' assessments",
    "prediction": "predictions",
}


def words(value: object) -> str:
    """A coded value in words (``"not_testable"`` -> ``"not testable"``)."""
    if value is None or (not isinstance(value, tuple | list) and pd.isna(value)):
        return ""
    text = str(value)
    return WORDS.get(text, text.replace("_", " "))


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one (``count(1, "source") == "1 source"``)."""
    if n == 1:
        return f"1 {singular}"
    return f"{n} {plural or PLURALS.get(singular) or singular + 's'}"


def signed(x: float, digits: int = 2) -> str:
    """A signed number with a true minus sign: ``+0.42``, ``−1.00``."""
    return f"{x:+.{digits}f}".replace("-", "\u2212")


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


class Names:
    """Names, roles, issue axes and sources of one set of tables.

    Parameters
    ----------
    tables : Tables
        From :func:`research.load`.
    """

    def __init__(self, tables: Tables):
        self.tables = tables
        a = tables.actors
        self._actor = dict(zip(a["actor_id"].astype(str), a["name"].astype(str), strict=True))
        self._actor_kind = dict(zip(a["actor_id"].astype(str), a["kind"].astype(str), strict=True))
        r = tables.roles
        self._role: dict[str, str] = {}
        self._for: dict[str, str] = {}
        for actor, for_id, title in zip(r["actor_id"], r["for_id"], r["title"], strict=True):
            self._role.setdefault(str(actor), _text(title))
            self._for.setdefault(str(actor), str(for_id))
        self._role_title = {str(k): _text(v) for k, v in zip(r["role_id"], r["title"], strict=True)}
        i = tables.issues
        self._issue = {
            str(k): (str(n), _text(lo), _text(hi))
            for k, n, lo, hi in zip(i["issue_id"], i["name"], i["minus2"], i["plus2"], strict=True)
        }
        self._source = {str(s["source_id"]): s for _, s in tables.sources.iterrows()}

    @classmethod
    def ids(cls) -> Names:
        """Names that are the ids themselves: for frames shown without their tables."""
        self = cls.__new__(cls)
        self.tables = None
        self._actor, self._actor_kind, self._role, self._for = {}, {}, {}, {}
        self._role_title, self._issue, self._source = {}, {}, {}
        return self

    # --- actors -----------------------------------------------------------------------

    def role_title(self, role_ids: object) -> str:
        """A role (or several, ``;``-separated) as the source words it, else its id."""
        parts = [p.strip() for p in _text(role_ids).split(";") if p.strip()]
        return listing([self._role_title.get(p) or p for p in parts])

    def actor(self, ids: object) -> str:
        """The name of an actor, or of several (``;``- or tuple-separated)."""
        parts = ids if isinstance(ids, tuple | list) else _text(ids).split(";")
        return listing([self._actor.get(p.strip(), p.strip()) for p in parts if p.strip()])

    def role(self, actor_id: str) -> str:
        """The actor's role as the source words it (``"Iran’s president"``), or ''."""
        return self._role.get(actor_id, "")

    def who(self, actor_id: str) -> str:
        """Name with role where one is on record: ``Masoud Pezeshkian, Iran’s president``."""
        name, role = self.actor(actor_id), self.role(actor_id)
        return f"{name}, {role}" if role else name

    def side(self, actor_id: str) -> str:
        """The actor at the end of its chain of roles (``shoigu`` -> ``RUS``)."""
        seen = {actor_id}
        while actor_id in self._for and self._for[actor_id] not in seen:
            actor_id = self._for[actor_id]
            seen.add(actor_id)
        return actor_id

    def possessive(self, actor_id: str) -> str:
        """``Iran's``, ``Wagner Group's``; a name ending in s takes an apostrophe only."""
        name = self.actor(actor_id)
        return name + ("'" if name.endswith("s") else "'s")

    # --- issues -----------------------------------------------------------------------

    def issue(self, issue_id: object) -> str:
        """The issue's name."""
        key = _text(issue_id)
        return self._issue.get(key, (key, "", ""))[0]

    def poles(self, issue_id: str) -> tuple[str, str]:
        """What −2 and +2 mean on the issue's axis."""
        return self._issue.get(issue_id, (issue_id, "", ""))[1:]

    def stance(self, issue_id: str, stance: object) -> str:
        """A stance with what its end of the axis means: ``+2 (Supplies weapons …)``."""
        if stance is None or pd.isna(stance):
            return ""
        value = float(stance)
        minus2, plus2 = self.poles(issue_id)
        shown = signed(value, 0 if value == int(value) else 1)
        if value > 0 and plus2:
            return f"{shown} (towards: {plus2})"
        if value < 0 and minus2:
            return f"{shown} (towards: {minus2})"
        return shown

    # --- sources ----------------------------------------------------------------------

    def source_kind(self, source_id: str) -> str:
        s = self._source.get(source_id)
        return words(s["kind"]) if s is not None else ""

    def outlet(self, source_id: str) -> str:
        """The outlet's short name: what comes before any parenthesis."""
        s = self._source.get(source_id)
        return _text(s["outlet"]).split(" (", 1)[0] if s is not None else source_id

    def source(self, source_id: str) -> str:
        """Title, outlet, author and date as the source table gives them."""
        s = self._source.get(source_id)
        if s is None:
            return source_id
        parts = [f"“{_text(s['title'])}”", _text(s["outlet"])]
        if _text(s["author"]):
            parts.append(_text(s["author"]))
        parts.append(dates.show(_text(s["published"])))
        kind = words(s["kind"])
        return ", ".join(p for p in parts if p) + (f" ({kind})" if kind else "")

    def source_short(self, source_id: str) -> str:
        """Title, outlet's short name, author and date: one item of a one-line list."""
        s = self._source.get(source_id)
        if s is None:
            return source_id
        parts = [f"“{_text(s['title'])}”", self.outlet(source_id), _text(s["author"])]
        parts.append(dates.show(_text(s["published"])))
        return ", ".join(p for p in parts if p)


__all__ = ["Names", "count", "listing", "signed", "words"]
