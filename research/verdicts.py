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
#: A deed contradicts a position when their stances are at least this far apart.
CONTRADICTS_AT = 2
#: Weighted evidence that settles a verdict, for a position or against it: one
#: ``reported`` deed wholly inside the window, or as much weaker or partial evidence
#: (two ``alleged`` deeds, a ``confirmed`` deed with three quarters of its dates in
#: the window). The same bar on each side.
DECIDES_AT = 0.75
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
#: A prediction is tested only against deeds after it was said; a conditional
#: prediction or pledge only once a deed showing that its condition came is on record.
CONDITIONAL_REASON = "conditional, and no deed on record shows that its condition came"

#: Why each verdict was reached; the ``reason`` column shows these words.
REASONS: dict[str, str] = {
    "no_deeds": "no deed by these actors on this issue weighs in the window",
    "both_ways": "deeds weighing at least 0.75 contradict it and as many agree",
    "firm_contradiction": "deeds weighing at least 0.75 contradict it; those agreeing weigh less",
    "firm_agreement": "deeds weighing at least 0.75 agree with it; those contradicting weigh less",
    "weak_only": "its deeds weigh under 0.75 both for and against it",
    "not_testable_request": NOT_TESTABLE["request"],
    "not_testable_evidence": NOT_TESTABLE["evidence"],
    "not_testable_condition": CONDITIONAL_REASON,
}

assert tuple(DEFAULT_WEIGHTS) == STATUS_ORDER
