"""Column-wise helpers for validation: work on whole columns, never a Python object per cell.

The loader and the rules check millions of rows. They do it a column at a time:
membership, duplicates and screens run on whole arrays (pandas, Arrow compute),
and whatever needs Python — a rule's message, a date parsed — runs once per
distinct value, and only for the values that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

T = TypeVar("T")

#: The characters ``str.strip()`` removes (those for which ``str.isspace()`` holds),
#: written out because listing them at import would mean testing every code point
#: (tests/test_columnar.py checks the list against this Python).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def re2_class(chars: str) -> str:
    """The body of an RE2 character class matching exactly ``chars``.

    >>> re2_class("a ")
    '\\\\x{61}\\\\x{20}'
    """
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array behind a column of Arrow-backed strings, without a copy.

    Returns None for any other column (Python objects, numbers, categoricals).
    """
    dtype = values.dtype
    arrow_dtype = dtype.pyarrow_dtype if isinstance(dtype, pd.ArrowDtype) else None
    is_text = arrow_dtype is not None and (
        pa.types.is_string(arrow_dtype) or pa.types.is_large_string(arrow_dtype)
    )
    if not (isinstance(values.array, pd.arrays.ArrowStringArray) or is_text):
        return None
    data = values.array.__arrow_array__()
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def to_numpy(mask: pa.ChunkedArray | pa.Array, null: bool = False) -> np.ndarray:
    """An Arrow boolean result as a numpy mask; a null counts as ``null``."""
    return pc.fill_null(mask, null).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def filled(values: pd.Series) -> np.ndarray:
    """Which cells hold a value (not missing), as a numpy mask."""
    return ~np.asarray(values.array.isna(), dtype=bool)


def _value_set(data: pa.ChunkedArray, like: pa.ChunkedArray) -> pa.Array:
    """``data`` as one Arrow array of ``like``'s type, to look values up in."""
    if data.type != like.type:
        data = data.cast(like.type)
    if data.num_chunks == 1:
        return data.chunk(0)
    return pa.concat_arrays(data.chunks) if data.num_chunks else pa.array([], type=data.type)


def member(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Which cells of ``values`` are among the values present in ``known``.

    A missing cell is never a member. Arrow-backed strings are matched by Arrow
    (a hash of ``known``, one probe per cell); anything else by pandas.
    """
    a, b = arrow_strings(values), arrow_strings(known)
    if a is not None and b is not None:
        return to_numpy(pc.is_in(a, value_set=_value_set(b, a), skip_nulls=True))
    present = known[known.notna()]
    return (values.isin(present) & values.notna()).to_numpy(dtype=bool)


def positions(values: pd.Series, known: pd.Series) -> np.ndarray:
    """For each of ``values``, the row of its first occurrence in ``known`` (-1: none).

    Arrow-backed strings are looked up by Arrow, without a Python string per cell.
    """
    a, b = arrow_strings(values), arrow_strings(known)
    if a is not None and b is not None:
        at = pc.index_in(a, value_set=_value_set(b, a), skip_nulls=True)
        return pc.fill_null(at, -1).to_numpy(zero_copy_only=False)  # int32: 4 bytes a row
    index = pd.Index(known)
    first = np.flatnonzero(~index.duplicated())
    found = index[first].get_indexer(values)
    return np.where(found >= 0, first[found], -1)


def repeated(columns: list[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """Which rows hold, in every one of ``columns``, the same values as another row.

    A missing value equals nothing. Found by sorting the rows, which costs a few
    bytes a row; a hash table of millions of strings costs a hundred or more.
    """
    n = len(columns[0])
    if n < 2:
        return np.zeros(n, dtype=bool)
    names = [str(i) for i in range(len(columns))]
    table = pa.table(dict(zip(names, columns, strict=True)))
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in names])
    ranked = table.take(order)
    same = np.ones(n - 1, dtype=bool)  # row k of the sorted rows equals row k + 1
    for column in ranked.columns:
        same &= to_numpy(pc.equal(column.slice(0, n - 1), column.slice(1)))
    twin = np.zeros(n, dtype=bool)
    twin[:-1] |= same
    twin[1:] |= same
    out = np.empty(n, dtype=bool)
    out[order.to_numpy()] = twin
    return out


def objects(values: pd.Series) -> list[object]:
    """The cells as Python objects, None where missing (for small columns only)."""
    data = arrow_strings(values)
    if data is not None:
        return data.to_pylist()
    missing = np.asarray(values.array.isna(), dtype=bool).tolist()
    return [None if m else v for v, m in zip(values.astype(object).tolist(), missing, strict=True)]


def distinct(
    values: pd.Series, rows: np.ndarray, fn: Callable[[object], T]
) -> Iterator[tuple[int, T]]:
    """``fn`` of the value of each of ``rows``, worked out once per distinct value.

    Yields ``(row, result)`` for every row in ``rows`` (in their order) whose
    result is not None: ``fn`` returns None for a value that is fine.
    """
    if not len(rows):
        return
    codes, uniques = pd.factorize(values.iloc[rows])
    results = [fn(u) for u in uniques]
    bad = np.fromiter((r is not None for r in results), dtype=bool, count=len(results))
    hit = np.flatnonzero(bad[codes])
    for i in hit:
        yield int(rows[i]), results[codes[i]]


def split_lists(values: pd.Series, sep: str) -> tuple[np.ndarray, pd.Series]:
    """The items of each filled cell's ``sep``-separated list, and the row of each.

    Returns ``(rows, items)``: for every item of every list, in order, the row
    it comes from and the item (Arrow-backed strings).
    """
    string = pd.StringDtype("pyarrow")
    data = arrow_strings(values)
    if data is None:  # not Arrow-backed: split in Python
        rows = np.flatnonzero(filled(values))
        lists = [str(v).split(sep) for v in values.iloc[rows]]
        row_of = np.repeat(rows, [len(items) for items in lists])
        return row_of, pd.Series([x for items in lists for x in items], dtype=string)
    row_chunks, item_chunks, offset = [np.zeros(0, dtype=np.int64)], [], 0
    for chunk in data.chunks:
        lists = pc.split_pattern(chunk, sep)
        row_chunks.append(pc.list_parent_indices(lists).to_numpy() + offset)
        item_chunks.append(pc.list_flatten(lists))
        offset += len(chunk)
    items = pa.chunked_array(item_chunks, type=data.type)
    return np.concatenate(row_chunks), pd.Series(pd.array(items, dtype=string))
