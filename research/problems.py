"""Problems found in data, and the error that carries all of them at once.

Every check — of a cell, a row, a table or the descriptor — reports a
:class:`Problem` located to a file, line and column; :class:`DataError`
raises them together, one per line::

    positions.csv:14: stance: '3': must be between -2 and 2
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

ROW = "(row)"  # the column named for problems that concern a whole row
FILE = "(file)"  # ... and for problems that concern a whole file


class DataError(ValueError):
    """Bad data: ``problems`` holds one ``file:line: column: value: rule`` per entry."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data:"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule, located to a file, line and column."""

    file: str
    line: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.value!r}: {self.rule}"


def suggest(value: str, candidates: object) -> str:
    close = difflib.get_close_matches(value, list(candidates), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
