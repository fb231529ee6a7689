"""research: hold what states, leaders and groups say against what they do.

>>> import research
>>> t = research.load()          # validated tables from the bundled data/
>>> sorted(t.counts())
['actors', 'events', 'issues', 'positions', 'sources']

``research.charts`` (Altair) and ``research.present`` (escaped HTML for
notebooks) are imported on first use.
"""

from __future__ import annotations

import importlib

from research.alignment import alignment, alignment_by_issue
from research.load import DataError, Problem, Tables, load, validate
from research.saydo import DEFAULT_WEIGHTS, evidence, gap_summary, say_do
from research.schema import data_dictionary, schema
from research.timeline import timeline

__version__ = "0.1.0"

_LAZY = {"charts", "present"}

__all__ = [
    "DEFAULT_WEIGHTS",
    "DataError",
    "Problem",
    "Tables",
    "__version__",
    "alignment",
    "alignment_by_issue",
    "charts",
    "data_dictionary",
    "evidence",
    "gap_summary",
    "load",
    "present",
    "say_do",
    "schema",
    "timeline",
    "validate",
]


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"research.{name}")
    raise AttributeError(f"module 'research' has no attribute {name!r}")
