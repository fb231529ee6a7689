"""The table schema, read once from ``data/datapackage.json``.

The Data Package is the single declaration of every table: its fields, their
types, constraints, primary and foreign keys. Validation, pandas dtypes and the
README's data dictionary are all derived from it here; nothing else in the
package repeats a column list by hand.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

#: Environment variable that points :func:`default_data_dir` elsewhere.
DATA_DIR_ENV = "RESEARCH_DATA_DIR"

#: The order in which tables are loaded: referenced tables come first.
TABLE_ORDER = (
    "cases",
    "sources",
    "actors",
    "roles",
    "issues",
    "positions",
    "events",
    "event_issues",
    "citations",
    "code_issues",
)
#: The version of the data model this package reads (``version`` in the descriptor).
MODEL_VERSION = "2.2.0"


def default_data_dir() -> Path:
    """Return the bundled ``data/`` directory.

    ``$RESEARCH_DATA_DIR`` wins when set. Otherwise the directory beside the
    package is used, which is where it lives both in a checkout and in an
    editable install.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data"


def bundled_datapackage() -> Path:
    """Path of the Data Package that declares the schema."""
    return Path(__file__).resolve().parent.parent / "data" / "datapackage.json"


def bundled_rules() -> Path:
    """Path of the declaration of cross-field rules, beside the Data Package."""
    return bundled_datapackage().with_name("rules.json")


@dataclass(frozen=True)
class Field:
    """One column as the Data Package declares it."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    format: str | None = None
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)

    @property
    def dtype(self) -> object:
        """The pandas dtype this field loads as."""
        if self.enum is not None:
            return pd.CategoricalDtype(list(self.enum))
        return {
            "string": pd.StringDtype("pyarrow"),  # Arrow-backed: no Python object per cell
            "integer": pd.Int8Dtype() if _fits_int8(self) else pd.Int64Dtype(),
            "date": "datetime64[s]",
            "boolean": pd.BooleanDtype(),
        }[self.type]

    def rule(self) -> str:
        """The constraints as one readable phrase, for the data dictionary."""
        parts = []
        if self.required:
            parts.append("required")
        if self.unique:
            parts.append("unique")
        if self.enum is not None:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.enum))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum} to {self.maximum}")
        if self.pattern:
            parts.append(f"matches `{self.pattern}`")
        if self.max_length:
            parts.append(f"at most {self.max_length} characters")
        if self.format and self.format != "default":
            parts.append(f"a {self.format}")
        return "; ".join(parts)


def _fits_int8(f: Field) -> bool:
    return f.minimum is not None and f.maximum is not None and -128 <= f.minimum <= f.maximum <= 127


@dataclass(frozen=True)
class ForeignKey:
    """A column whose values must be ids in another (or the same) table."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Table:
    """One resource of the Data Package."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def dtypes(self) -> dict[str, object]:
        return {f.name: f.dtype for f in self.fields}


@dataclass(frozen=True)
class Schema:
    """All tables of the Data Package, in load order."""

    tables: tuple[Table, ...]
    source: Path

    def __getitem__(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def enum(self, table: str, column: str) -> tuple[str, ...]:
        values = self[table].field(column).enum
        if values is None:
            raise KeyError(f"{table}.{column} has no enum")
        return values


def _field(raw: dict) -> Field:
    c = raw.get("constraints", {})
    return Field(
        name=raw["name"],
        type=raw.get("type", "string"),
        description=raw.get("description", ""),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        pattern=c.get("pattern"),
        enum=tuple(c["enum"]) if "enum" in c else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        max_length=c.get("maxLength"),
        format=raw.get("format"),
        true_values=tuple(raw.get("trueValues", ("true",))),
        false_values=tuple(raw.get("falseValues", ("false",))),
    )


def _table(raw: dict) -> Table:
    schema = raw["schema"]
    keys = []
    for fk in schema.get("foreignKeys", []):
        (column,) = fk["fields"]
        (target,) = fk["reference"]["fields"]
        keys.append(ForeignKey(column, fk["reference"]["resource"] or raw["name"], target))
    pk = schema["primaryKey"]
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    return Table(
        name=raw["name"],
        path=raw["path"],
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        fields=tuple(_field(f) for f in schema["fields"]),
        primary_key=pk,
        foreign_keys=tuple(keys),
    )


def parse_package(package: dict, path: Path) -> Schema:
    """Build a :class:`Schema` from a parsed descriptor; ValueError when it lacks a table."""
    by_name = {r["name"]: _table(r) for r in package["resources"]}
    missing = [n for n in TABLE_ORDER if n not in by_name]
    if missing:
        raise ValueError(f"{path}: resources missing: {', '.join(missing)}")
    return Schema(tables=tuple(by_name[n] for n in TABLE_ORDER), source=path)


@cache
def _read(path: Path) -> Schema:
    return parse_package(json.loads(path.read_text(encoding="utf-8")), path)


@dataclass(frozen=True)
class Rule:
    """A rule over more than one cell, as ``rules.json`` declares it."""

    id: str
    kind: str
    table: str
    text: str
    params: dict

    def columns(self) -> tuple[str, ...]:
        """The columns the rule reads in its own table."""
        p = self.params
        cols = [*p.get("columns", ()), p.get("when_set"), p.get("column"), p.get("actor")]
        return tuple(dict.fromkeys(c for c in cols if c))


@cache
def _read_rules(path: Path) -> tuple[Rule, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for r in raw["rules"]:
        params = {k: v for k, v in r.items() if k not in ("id", "kind", "table", "text")}
        out.append(Rule(r["id"], r["kind"], r["table"], r["text"], params))
    return tuple(out)


def rules() -> tuple[Rule, ...]:
    """The cross-field rules declared in ``data/rules.json``.

    Examples
    --------
    >>> from research.schema import rules
    >>> next(r for r in rules() if r.id == "roles-acyclic").columns()
    ('actor_id', 'for_id')
    """
    return _read_rules(bundled_rules())


def schema() -> Schema:
    """Return the project's schema (parsed once per process).

    Examples
    --------
    >>> from research.schema import schema
    >>> schema()["positions"].field("stance").maximum
    2
    """
    return _read(bundled_datapackage())


def data_dictionary() -> str:
    """Render the schema as Markdown, one table per resource.

    This is what the README's data dictionary is generated from.
    """
    lines: list[str] = []
    for t in schema().tables:
        lines += [f"### `{t.path}` — {t.title}", "", t.description, ""]
        keys = ", ".join(f"`{k.column}` → `{k.table}.{k.target}`" for k in t.foreign_keys)
        pk = " + ".join(f"`{c}`" for c in t.primary_key)
        lines += [f"Primary key {pk}." + (f" References: {keys}." if keys else ""), ""]
        lines += ["| column | type | rule | meaning |", "|---|---|---|---|"]
        for f in t.fields:
            desc, rule = (text.replace("|", "\\|") for text in (f.description, f.rule()))
            lines.append(f"| `{f.name}` | {f.type} | {rule} | {desc} |")
        lines.append("")
        own = [r for r in rules() if r.table == t.name]
        if own:
            lines += [
                "Rules across cells (in `rules.json`; only `research validate` checks them):",
                "",
            ]
            for r in own:
                cols = ", ".join(f"`{c}`" for c in r.columns())
                lines.append(f"* `{r.id}` ({cols}): {r.text}.")
            lines.append("")
    every = [r for r in rules() if r.table == "*"]
    if every:
        lines += ["### Every table", ""]
        lines += [f"* `{r.id}`: {r.text}." for r in every] + [""]
    return "\n".join(lines)
