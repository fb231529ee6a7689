"""Dates as precisely as a source gives them.

A source rarely gives a day. The tables write a date as what the source names —
a day ``2024-09-23``, an ISO week ``2024-W39``, a month ``2024-10``, a season
``2024-23`` (autumn, in the EDTF numbering 21–24), a year ``2024`` — or a
range ``START/END`` with ``..`` for a bound the source does not give. Each
parses to the first and the last day it can mean and a precision, so nothing
is ever shown as a made-up first of January.

>>> parse("2024-10")
Span(start=datetime.date(2024, 10, 1), end=datetime.date(2024, 10, 31), precision='month')
>>> show("2024-07-30/2024-10-22")
'30 Jul–22 Oct 2024'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

#: The precisions a date can have, finest first.
PRECISIONS = ("day", "week", "month", "season", "year", "range")

#: Seasons in EDTF numbering (meteorological, northern hemisphere): first month, name.
SEASONS = {21: (3, "spring"), 22: (6, "summer"), 23: (9, "autumn"), 24: (12, "winter")}

_PART = re.compile(
    r"(?P<y>[0-9]{4})(?:-(?:W(?P<w>[0-9]{2})|(?P<m>[0-9]{2})(?:-(?P<d>[0-9]{2}))?))?"
)
OPEN = ".."


@dataclass(frozen=True)
class Span:
    """First and last day a written date can mean; None is an open bound."""

    start: date | None
    end: date | None
    precision: str


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


# Tables repeat the same days, months and years (a range's ends are days too): each is
# parsed once. A Span is immutable, so sharing one is safe.
@lru_cache(maxsize=1 << 16)
def parse_part(text: str) -> Span:
    """One date without a range: its first day, last day and precision.

    Raises ValueError with the reason when it is not a real date.

    >>> parse_part("2024-W39").start
    datetime.date(2024, 9, 23)
    >>> parse_part("2024-24").end   # winter 2024: December to February
    datetime.date(2025, 2, 28)
    """
    m = _PART.fullmatch(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    y = int(m["y"])
    if m["w"]:
        week = int(m["w"])
        try:
            first = date.fromisocalendar(y, week, 1)
        except ValueError as e:
            raise ValueError(f"{y} has no ISO week {week}") from e
        return Span(first, first + timedelta(days=6), "week")
    if m["m"] is None:
        return Span(date(y, 1, 1), date(y, 12, 31), "year")
    month = int(m["m"])
    if month in SEASONS and m["d"] is None:
        first_month = SEASONS[month][0]
        start = date(y, first_month, 1)
        last_y, last_m = (y + 1, 2) if first_month == 12 else (y, first_month + 2)
        return Span(start, _month_end(last_y, last_m), "season")
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    if m["d"] is None:
        return Span(date(y, month, 1), _month_end(y, month), "month")
    day = date(y, month, int(m["d"]))  # raises for 2023-02-29
    return Span(day, day, "day")


def parse(text: str, *, open_start: bool = False, open_end: bool = False) -> Span:
    """A date or a range ``START/END``; ``..`` is allowed where asked for.

    A range runs from the first day of its start to the last day of its end.
    Raises ValueError naming what is wrong, including a range that ends before
    it starts.

    >>> parse("../2024-10-22", open_start=True)
    Span(start=None, end=datetime.date(2024, 10, 22), precision='range')
    """
    if "/" not in text:
        return parse_part(text)
    lo, hi = text.split("/", 1)
    start = None
    end = None
    if lo == OPEN:
        if not open_start:
            raise ValueError("the start may not be '..' here")
    else:
        start = parse_part(lo).start
    if hi == OPEN:
        if not open_end:
            raise ValueError("the end may not be '..' here")
    else:
        end = parse_part(hi).end
    if start is not None and end is not None and end < start:
        raise ValueError(f"ends ({hi}) before it starts ({lo})")
    return Span(start, end, "range")


_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(d: date, year: bool = True) -> str:
    return f"{d.day} {_MON[d.month - 1]}" + (f" {d.year}" if year else "")


def show_part(text: str) -> str:
    """One date in words at its own precision.

    >>> show_part("2024-09-23"), show_part("2024-10"), show_part("2024-23"), show_part("2024")
    ('23 Sep 2024', 'Oct 2024', 'autumn 2024', '2024')
    """
    span = parse_part(text)
    assert span.start is not None
    if span.precision == "day":
        return _day(span.start)
    if span.precision == "week":
        return f"week of {_day(span.start)}"
    if span.precision == "month":
        return f"{_MON[span.start.month - 1]} {span.start.year}"
    if span.precision == "season":
        return f"{SEASONS[int(text[5:7])][1]} {span.start.year}"
    return str(span.start.year)


def show(text: str | None) -> str:
    """A written date or range in words, never more precise than written.

    >>> show("../2024-10-22"), show("2024-09-30/.."), show("2024-02/2024-10")
    ('by 22 Oct 2024', 'from 30 Sep 2024', 'Feb 2024–Oct 2024')
    """
    if text is None or text == "":
        return ""
    if "/" not in text:
        return show_part(text)
    lo, hi = text.split("/", 1)
    if lo == OPEN and hi == OPEN:
        return "any time"
    if lo == OPEN:
        return f"by {show_part(hi)}"
    if hi == OPEN:
        return f"from {show_part(lo)}"
    a, b = parse_part(lo), parse_part(hi)
    if a.precision == b.precision == "day" and a.start.year == b.start.year:  # type: ignore[union-attr]
        return f"{_day(a.start, year=False)}–{_day(b.start)}"  # type: ignore[arg-type]
    return f"{show_part(lo)}–{show_part(hi)}"
