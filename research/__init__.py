"""research: hold what states, leaders and groups say against what they do.

>>> import research
>>> t = research.load()          # validated tables from the bundled data/
>>> sorted(t.counts())[:4]
['actors', 'cases', 'citations', 'code_issues']

Public names are imported on first use, so that ``research build`` can find
nothing to do without importing pandas.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "DataError": "research.problems",
    "Problem": "research.problems",
    "Tables": "research.load",
    "load": "research.load",
    "validate": "research.load",
    "schema": "research.schema",
    "migrate": "research.migrate",
    "new_case": "research.cases",
    "ROLE_GROUPS": "research.actors",
    "DEFAULT_ATTRIBUTION": "research.actors",
    "data_dictionary": "research.schema",
    "DEFAULT_WEIGHTS": "research.verdicts",
    "VERDICTS": "research.verdicts",
    "say_do": "research.saydo",
    "say_do_sql": "research.saydo_sql",
    "evidence": "research.saydo",
    "gap_summary": "research.saydo",
    "alignment": "research.alignment",
    "alignment_by_issue": "research.alignment",
    "divergence": "research.alignment",
    "timeline": "research.timeline",
    "dyad_series": "research.dyad",
    "lead_lag": "research.dyad",
    "charts": "research.charts",
    "present": "research.present",
}
_SUBMODULES = {"charts", "present"}

__all__ = sorted([*_EXPORTS, "__version__"])


class _Package(types.ModuleType):
    """Resolve public names lazily, and always to the function: ``research.load``
    is the loader even after ``import research.load`` bound the submodule there."""

    def __getattribute__(self, name: str):
        if name in _EXPORTS:
            module = importlib.import_module(_EXPORTS[name])
            return module if name in _SUBMODULES else getattr(module, name)
        return super().__getattribute__(name)

    def __dir__(self) -> list[str]:
        return __all__


sys.modules[__name__].__class__ = _Package
