"""Evidence snapshots: what an engine returned, kept as local Parquet keyed by the question.

A report must not depend on a live engine: BigQuery costs money per byte and
needs credentials, Spark needs a cluster, and neither promises the same bytes
tomorrow. So the rows an engine returns are written once to a snapshot, and
notebooks — and therefore the byte-identical reports — read the snapshot.

A snapshot is two files in a folder (by default ``DATA_DIR/snapshots``, where the
build's data fingerprint sees them, so a new snapshot rebuilds the reports that
read it)::

    KEY.parquet   the rows, as the engine returned them
    KEY.json      provenance: the compiled query, its dialect, the parameters, the
                  engine, the number of rows, the columns and the SHA-256 of the Parquet

``KEY`` is the SHA-256 of the query compiled to SQL (:func:`ibis.to_sql`, in the
dialect of the engine the expression is bound to) together with the parameters
the query was built from: re-running the same question reuses its snapshot, a
changed query or parameter writes a new one. The key never depends on the time,
a counter or a random id. Expressions over *named* tables give stable keys; an
unnamed ``ibis.memtable`` gets a random name from Ibis and so a new key each run.

Both files are written to temporary files and renamed into place, the Parquet
first and the provenance last: a snapshot counts only once its provenance exists
and the Parquet's digest and row count match it, so a half-written, truncated or
edited Parquet is never used. Reading a snapshot needs pandas and pyarrow only —
no engine, no Ibis connection.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Bump when the key or the file layout changes: every older snapshot is then unused.
FORMAT = 1


class SnapshotError(ValueError):
    """A snapshot that is missing, incomplete or does not match its provenance."""


# --- the key -----------------------------------------------------------------------------


def compile_sql(expr, dialect: str | None = None) -> tuple[str, str]:
    """``(sql, dialect)``: ``expr`` compiled by Ibis, in its engine's dialect unless given.

    An unbound expression (``ibis.table(schema, name=...)``) needs ``dialect``.
    """
    import ibis

    if dialect is None:
        dialect = _dialect_of(expr)
    return str(ibis.to_sql(expr, dialect=dialect)), dialect


def _dialect_of(expr) -> str:
    try:
        backend = expr._find_backend(use_default=False)
    except Exception as e:  # unbound: no backend to take the dialect from
        raise SnapshotError(
            f"the expression is bound to no engine; give the dialect (e.g. 'duckdb'): {e}"
        ) from None
    return backend.name


def _canonical(params: Mapping | None) -> dict:
    """The parameters as plain JSON values; anything else is refused, never coerced."""
    params = dict(params or {})
    try:
        text = json.dumps(params, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise SnapshotError(
            f"parameters must be plain values (strings, numbers, booleans, lists, tables of "
            f"them): {e}"
        ) from None
    if any(not isinstance(k, str) for k in params):
        raise SnapshotError("parameter names must be strings")
    return json.loads(text)


def snapshot_key(sql: str, params: Mapping | None = None, dialect: str = "") -> str:
    """The SHA-256 (hex) naming the snapshot of ``sql`` run with ``params`` in ``dialect``.

    >>> a = snapshot_key("SELECT 1", {"actor": "RUS"}, "duckdb")
    >>> a == snapshot_key("SELECT 1", {"actor": "RUS"}, "duckdb")
    True
    >>> a == snapshot_key("SELECT 1", {"actor": "IRN"}, "duckdb")
    False
    """
    body = {"format": FORMAT, "dialect": dialect, "sql": sql, "params": _canonical(params)}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def key(expr, params: Mapping | None = None, dialect: str | None = None) -> str:
    """The snapshot key of an Ibis expression and the parameters it was built from."""
    sql, dialect = compile_sql(expr, dialect)
    return snapshot_key(sql, params, dialect)


# --- files -------------------------------------------------------------------------------


def snapshot_folder(data_dir: str | Path | None = None) -> Path:
    """Where a data directory keeps its snapshots: ``DATA_DIR/snapshots`` (bundled ``data/``
    by default), inside what the build fingerprints."""
    from research.schema import default_data_dir

    return Path(data_dir or default_data_dir()) / "snapshots"


def paths(folder: str | Path, key: str) -> tuple[Path, Path]:
    """``(KEY.parquet, KEY.json)`` in ``folder``."""
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise SnapshotError(f"{key!r} is not a snapshot key (64 hexadecimal digits)")
    folder = Path(folder)
    return folder / f"{key}.parquet", folder / f"{key}.json"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(
    frame: pd.DataFrame,
    sql: str,
    params: Mapping | None = None,
    *,
    folder: str | Path,
    dialect: str = "",
    engine: str = "",
) -> str:
    """Write ``frame`` as the snapshot of ``sql`` with ``params``; return its key.

    The Parquet is renamed into place first and its provenance last, so a reader
    never sees a snapshot whose rows are not all there.
    """
    params = _canonical(params)
    k = snapshot_key(sql, params, dialect)
    parquet, provenance = paths(folder, k)
    parquet.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    data = buffer.getvalue()
    record = {
        "format": FORMAT,
        "key": k,
        "dialect": dialect,
        "engine": engine,
        "sql": sql,
        "params": params,
        "rows": table.num_rows,
        "columns": {f.name: str(f.type) for f in table.schema},
        "parquet": parquet.name,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _write_atomic(parquet, data)
    text = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    _write_atomic(provenance, text.encode("utf-8"))
    return k


def provenance(folder: str | Path, key: str) -> dict:
    """What ``KEY.json`` records: the query, its parameters, the engine, rows and digest."""
    _, path = paths(folder, key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no snapshot with this key") from None
    except (OSError, ValueError) as e:
        raise SnapshotError(f"{path}: unreadable provenance: {e}") from None
    if not isinstance(record, dict) or record.get("key") != key or record.get("format") != FORMAT:
        raise SnapshotError(f"{path}: provenance is not of snapshot {key} (format {FORMAT})")
    return record


def read(folder: str | Path, key: str) -> pd.DataFrame:
    """The rows of snapshot ``key`` in ``folder``, checked against its provenance.

    Needs no engine. Raises :class:`SnapshotError` when the snapshot is missing, its
    provenance is unreadable, or its Parquet is partial or changed (digest or row count
    differs), naming the file.
    """
    record = provenance(folder, key)
    parquet, _ = paths(folder, key)
    try:
        data = parquet.read_bytes()
    except OSError as e:
        raise SnapshotError(f"{parquet}: cannot read: {e}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.get("sha256"):
        raise SnapshotError(
            f"{parquet}: SHA-256 {digest[:16]}… does not match its provenance "
            f"({str(record.get('sha256'))[:16]}…): partial or changed, not used"
        )
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as e:
        raise SnapshotError(f"{parquet}: not readable Parquet: {e}") from None
    if table.num_rows != record.get("rows"):
        raise SnapshotError(
            f"{parquet}: {table.num_rows} rows, its provenance says {record.get('rows')}"
        )
    return table.to_pandas()


def is_valid(folder: str | Path, key: str) -> bool:
    """Whether snapshot ``key`` exists, complete and matching its provenance."""
    try:
        read(folder, key)
    except SnapshotError:
        return False
    return True


# --- the one call a notebook makes ---------------------------------------------------------


def fetch(
    expr,
    params: Mapping | None = None,
    *,
    folder: str | Path,
    con=None,
    live: bool = True,
    dialect: str | None = None,
) -> pd.DataFrame:
    """The rows of ``expr``: from its snapshot when there is a good one, else from the engine.

    The key is that of the compiled query and ``params`` (the plain values the query was
    built from: actors, window, frequency…). A valid snapshot is read without touching
    the engine. Otherwise — none yet, or one that is partial or does not match its
    provenance — the query runs on ``con`` (or the engine the expression is bound to),
    its rows are written as the new snapshot, and what is returned is read back from
    that snapshot, so a first run and every later one give the same frame.

    With ``live=False`` a missing or bad snapshot raises :class:`SnapshotError` instead
    of running the query: what a build from snapshots alone wants.

    >>> import ibis, pandas as pd, tempfile
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("events", pd.DataFrame({"actor": ["RUS", "IRN"], "n": [1, 2]}))
    >>> folder = tempfile.mkdtemp()
    >>> fetch(t.filter(t.actor == "RUS"), {"actor": "RUS"}, folder=folder)["n"].tolist()
    [1]
    >>> fetch(t.filter(t.actor == "RUS"), {"actor": "RUS"}, folder=folder, live=False)["n"].tolist()
    [1]
    """
    sql, dialect = compile_sql(expr, dialect)
    k = snapshot_key(sql, params, dialect)
    try:
        return read(folder, k)
    except SnapshotError as e:
        if not live:
            raise SnapshotError(
                f"no usable snapshot {k[:16]}… in {folder} for this query, and live=False: {e}"
            ) from None
    if con is not None:
        frame = con.execute(expr)
        engine = con.name
    else:
        frame = expr.execute()
        engine = _dialect_of(expr)
    write(frame, sql, params, folder=folder, dialect=dialect, engine=engine)
    return read(folder, k)
