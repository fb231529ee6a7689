"""The say–do rules' vocabulary, declared once: statuses and their weights, what a
contradiction is, which claims deeds can test, the verdicts and the reason for each.

The fast engine (:mod:`research.saydo`) and the plain-loop reference
(:mod:`research.reference`) both read these declarations; neither imports the
other, so the property tests that set them side by side compare two separate
statements of the same rules.
"""

from __future__ import annotations

from research.derive import STATUS_ORDER

#: Default weight of a deed by its status. An ``inferred`` deed (the author's own
#: inference, not a report) counts for nothing unless a weight is given.
DEFAULT_WEIGHTS: dict[str, float] = {
    "confirmed": 1.0,
    "reported": 0.75,
    "alleged": 0.5,
    "disputed": 0.25,
    "rumoured": 0.25,
    "inferred": 0.0,
}
#: Statuses strong enough for a deed to contradict a position on its own.
DECISIVE_STATUSES: tuple[str, ...] = ("confirmed", "reported")
#: A deed contradicts a position when their stances are at least this far apart.
CONTRADICTS_AT = 2
#: The verdicts, in the order reports show them. ``not_testable``: deeds cannot
#: show whether the claim holds; ``untested``: they could, but none is on record.
VERDICTS: tuple[str, ...] = ("contradicted", "mixed", "consistent", "untested", "not_testable")
#: Tolerance for comparing the weighted gap with its threshold.
EPS = 1e-9

#: Kinds of claim deeds cannot test, and why (the reason a verdict gives).
NOT_TESTABLE: dict[str, str] = {
    "request": "a request to others: what the speaker asks of someone is not its own conduct",
    "evidence": "a statement about evidence or silence, not about anyone's conduct",
}
#: A prediction is tested only against deeds after it was said; one with a
#: condition only once the condition is on record, which the tables cannot yet link.
CONDITIONAL_REASON = "a conditional prediction: the tables do not record that its condition came"

#: Why each verdict was reached; the ``reason`` column shows these words.
REASONS: dict[str, str] = {
    "no_deeds": "no deed by these actors on this issue can fall in the window",
    "strong_contradiction": "a firmly dated deed at 'reported' or stronger contradicts it",
    "both_ways": "contradicting deeds, but the weighted deeds are within 2 of the stated stance",
    "weak_beside_agreeing": "only weak or loosely dated deeds contradict it; others agree",
    "weak_only": "all its deeds contradict it but are weak (below 'reported') or loosely dated",
    "all_agree": "every deed in the window agrees with it",
    "not_testable_request": NOT_TESTABLE["request"],
    "not_testable_evidence": NOT_TESTABLE["evidence"],
    "not_testable_condition": CONDITIONAL_REASON,
}

# The decisive statuses lead STATUS_ORDER: the engine's column layouts rely on it.
assert STATUS_ORDER[: len(DECISIVE_STATUSES)] == DECISIVE_STATUSES
assert tuple(DEFAULT_WEIGHTS) == STATUS_ORDER
