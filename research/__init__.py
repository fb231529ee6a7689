"""research: hold what states, leaders and groups say against what they do.

>>> import research
>>> t = research.load()          # validated tables from the bundled data/
>>> sorted(t.counts())
['actors', 'events', 'issues', 'positions', 'sources']
"""

from research.alignment import alignment, alignment_by_issue
from research.load import DataError, Problem, Tables, load, validate
from research.saydo import DEFAULT_WEIGHTS, evidence, gap_summary, say_do
from research.schema import data_dictionary, schema
from research.timeline import timeline

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_WEIGHTS",
    "alignment",
    "alignment_by_issue",
    "timeline",
    "evidence",
    "gap_summary",
    "say_do",
    "DataError",
    "Problem",
    "Tables",
    "__version__",
    "data_dictionary",
    "load",
    "schema",
    "validate",
]
