"""The ``research`` command: ``validate``/``migrate`` data, ``new-case``, ``plan``, ``build``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_TIMEOUT = 1800  # research.build.DEFAULT_TIMEOUT; not imported: help stays fast
ENGINES = ("duckdb", "spark", "bigquery")  # research.engines.ENGINES (imports Ibis)


def _validate(args: argparse.Namespace) -> int:
    from research.load import load, validate
    from research.schema import default_data_dir

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    problems = validate(data_dir)
    if problems:
        n = len(problems)
        print(f"{data_dir}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    from research.schema import schema

    tables = load(data_dir)
    print(f"{data_dir}: valid")
    width = max(len(name) for name, _ in tables)
    for name, df in tables:
        print(f"  {name:<{width}}  {len(df):>6} rows  {len(schema()[name].columns):>3} columns")
    if "case_id" in tables.positions:
        for case in tables.cases["case_id"]:
            n_p = int((tables.positions["case_id"] == case).sum())
            n_e = int((tables.events["case_id"] == case).sum())
            print(f"  case {case}: {n_p} positions, {n_e} events")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from research.load import DataError
    from research.migrate import migrate

    try:
        notes = migrate(args.src, args.dest, case=args.case)
    except (FileExistsError, FileNotFoundError, DataError) as e:
        print(f"research migrate: {e}", file=sys.stderr)
        return 1
    print(f"{args.dest}: written in the current model; {len(notes)} choices to review:")
    for n in notes:
        print(f"  {n}")
    return 0


def _new_case(args: argparse.Namespace) -> int:
    from research.cases import CaseError, new_case

    try:
        written = new_case(
            args.name,
            title=args.title,
            description=args.description,
            actors=[a for a in args.actors.split(",") if a],
            data_dir=Path(args.data_dir) if args.data_dir else None,
            reports=Path(args.reports) if args.reports else None,
        )
    except CaseError as e:
        print(f"research new-case: {e}", file=sys.stderr)
        return 1
    for line in written:
        print(line)
    return 0


def _build(args: argparse.Namespace) -> int:
    from research.build import EXIT_INVALID, BuildError, build

    try:
        return build(
            [*args.names, *args.report] or None,
            force=args.force,
            jobs=args.jobs,
            out=Path(args.out) if args.out else None,
            data_dir=Path(args.data_dir) if args.data_dir else None,
            timeout=args.timeout,
            engine=args.engine,
            **({"reports_file": Path(args.reports)} if args.reports else {}),
        )
    except BuildError as e:
        print(f"research build: {e}", file=sys.stderr)
        return EXIT_INVALID


def _plan(args: argparse.Namespace) -> int:
    import json

    from research.build import EXIT_INVALID, BuildError, plan

    try:
        units = plan(
            [*args.names, *args.report] or None,
            out=Path(args.out) if args.out else None,
            data_dir=Path(args.data_dir) if args.data_dir else None,
            engine=args.engine,
            **({"reports_file": Path(args.reports)} if args.reports else {}),
        )
    except BuildError as e:
        print(f"research plan: {e}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(units, indent=1, sort_keys=True, ensure_ascii=False))
        return 0
    rows = [
        (
            u["name"],
            "invalid" if u["problem"] else "up to date" if u["up_to_date"] else "to build",
            (u["fingerprint"] or "-")[:12],
            u["notebook"],
            json.dumps(u["parameters"], sort_keys=True, ensure_ascii=False),
        )
        for u in units["units"]
    ]
    head = ("REPORT", "STATE", "FINGERPRINT", "NOTEBOOK", "PARAMETERS")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4])
    for u in units["units"]:
        if u["problem"]:
            print(f"{u['name']}: {u['problem']}")
    engine = units["engine"]["name"]
    todo = sum(not u["up_to_date"] and not u["problem"] for u in units["units"])
    print(f"{len(rows)} reports, {todo} to build, engine {engine}, outputs in {units['out']}/")
    return 0


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a day written YYYY-MM-DD, not {text!r}"
        ) from None


def _import_gdelt(args: argparse.Namespace) -> int:
    from research.gdelt import read_export, write_parquet
    from research.problems import DataError

    actors = [a.strip() for a in (args.actors or "").split(",") if a.strip()]
    if args.parquet:
        try:
            written = write_parquet(
                args.paths, args.parquet, actors=actors, since=args.since, until=args.until
            )
        except DataError as e:
            print(f"research import gdelt: {e}", file=sys.stderr)
            return 1
        print(written.summary())
        if not args.case:
            return 0
    try:
        export = read_export(args.paths, actors=actors, since=args.since, until=args.until)
    except DataError as e:
        print(f"research import gdelt: {e}", file=sys.stderr)
        return 1
    if not args.parquet:
        print(export.summary())
    if args.case:
        from research.review import ReviewError, import_candidates, paths

        data_dir = Path(args.data_dir) if args.data_dir else None
        try:
            done = import_candidates(export.events, args.case, data_dir)
        except (ReviewError, DataError) as e:
            print(f"research import gdelt: {e}", file=sys.stderr)
            return 1
        print(
            f"case {args.case}: {done.events} GDELT rows ({done.new_events} new), "
            f"{done.candidates} candidates ({done.new_candidates} new, {done.decided} decided) "
            f"in {paths(args.case, data_dir)['candidates']}"
        )
    return 0


def _bytes(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of bytes of at least 1, not {text!r}"
        )
    return value


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of days of at least 0, not {text!r}"
        )
    return value


def _dyad(args: argparse.Namespace) -> int:
    """The dyad series for a window, on DuckDB (local files) or BigQuery (GDELT's table)."""
    from research import bigquery
    from research.dyad import _regular, dyad_expr

    def fail(message: str, code: int = 1) -> int:
        print(f"research dyad: {message}", file=sys.stderr)
        return code

    a, b = args.a.upper(), args.b.upper()
    if a == b:
        return fail(f"a dyad is two different states, not {a} twice", 2)
    try:
        window = bigquery.Window(args.since, args.until, args.slack_before, args.slack_after)
    except ValueError as e:
        return fail(str(e), 2)

    def build(events):
        return dyad_expr(events, a, b, args.freq)

    if args.engine == "duckdb":
        if args.dry_run or args.max_bytes or args.sql:
            return fail("--sql, --dry-run and --max-bytes apply to --engine bigquery", 2)
        if not args.events:
            return fail("--engine duckdb reads local events: give --events PATH", 2)
        from research.engines import events_table, run

        events = events_table(args.events)
        found = run(build(events.filter(events.SQLDATE.between(*window.sqldates))))
        return _write_series(_regular(found, a, b, args.freq), args.out)
    if args.events:
        return fail("--events is for --engine duckdb; BigQuery reads GDELT's own table", 2)
    plan = bigquery.plan(
        build, window, columns=bigquery.DYAD_COLUMNS, dataset=args.dataset, table=args.table
    )
    if args.sql:
        sys.stdout.write(plan.sql)
        print(plan.summary(), file=sys.stderr)
        return 0
    if not args.dry_run and args.max_bytes is None:
        return fail(
            "a live BigQuery run needs a budget: give --max-bytes N "
            "(run with --dry-run first to see the bytes it would scan)",
            2,
        )
    from research import engines

    try:
        con = engines.bigquery(
            args.project, dataset=args.dataset, table=args.table, max_bytes=args.max_bytes
        )
        if args.dry_run:
            plan = bigquery.dry_run_plan(con, plan)
            print(plan.summary())
            if args.max_bytes is not None and plan.bytes > args.max_bytes:
                return fail(str(bigquery.OverBudget(plan.bytes, args.max_bytes)))
            return 0
        found = bigquery.execute(con, plan, max_bytes=args.max_bytes)
    except bigquery.OverBudget as e:
        return fail(str(e))
    except (ImportError, RuntimeError, ValueError) as e:
        return fail(str(e))
    except Exception as e:  # Google's API errors (permission, quota, bad request): one line
        if type(e).__module__.startswith("google."):
            return fail(f"BigQuery: {e}")
        raise
    print(plan.summary(), file=sys.stderr)
    return _write_series(_regular(found, a, b, args.freq), args.out)


def _write_series(series, out: str | None) -> int:
    text = series.to_csv(index=False, date_format="%Y-%m-%d")
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _issue(text: str) -> tuple[str, int]:
    issue, _, stance = text.rpartition(":")
    if not issue or stance not in ("-2", "-1", "0", "1", "2"):
        raise argparse.ArgumentTypeError(
            f"must be ISSUE:STANCE with a stance -2 to 2, not {text!r}"
        )
    return issue, int(stance)


def _review(args: argparse.Namespace) -> int:
    from research.problems import DataError
    from research.review import ReviewError, decide, pending

    data_dir = Path(args.data_dir) if args.data_dir else None
    if args.candidate is None:
        todo = pending(args.case, data_dir)
        print(f"case {args.case}: {len(todo)} candidates to review")
        for _, c in todo.astype(object).where(todo.notna(), "-").iterrows():
            print(
                f"  {c['candidate_id']}  {c['actor1_country']}->{c['actor2_country']}  "
                f"{c['first_day']:%Y-%m-%d}  codes {c['event_codes']}  {c['action']}  "
                f"mentions {c['mentions']}  sources {c['num_sources']}  "
                f"issues {c['issues'] or '-'}  {c['source_url']}"
            )
        return 0
    decision = "deed" if args.deed else "citation" if args.cite else "reject" if args.reject else ""
    if not decision:
        print("research review: give --deed, --cite EVENT_ID or --reject", file=sys.stderr)
        return 2
    reviewer = args.reviewer or os.environ.get("USER") or "unknown"
    try:
        row = decide(
            args.case, args.candidate, decision, reason=args.reason or "", reviewer=reviewer,
            summary=args.summary, event_id=args.cite or args.event_id, issues=args.issue,
            action=args.action, status=args.status, title=args.title, data_dir=data_dir,
        )  # fmt: skip
    except (ReviewError, DataError) as e:
        print(f"research review: {e}", file=sys.stderr)
        return 1
    print(f"{row['candidate_id']}: {row['decision']} {row['event_id']}".rstrip())
    return 0


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return value


PLAN_DESCRIPTION = """\
List the report units `research build` would make, building nothing: for each report of
reports.toml its notebook, the parameters the notebook receives, its title, its output
paths, the build's input fingerprint (notebook, parameters, data and evidence snapshots,
research/ source, uv.lock) and whether its outputs are up to date. Each unit is built on
its own by `research build --report NAME` (the unit's `command`), so an orchestrator can
run one task per unit.

--json prints, with sorted keys:
  {"schema": 1, "reports_file": PATH, "out": DIR, "data_dir": DIR,
   "engine": {"name": "duckdb", "options": {}},
   "code_fingerprint": SHA256, "data_fingerprint": SHA256,
   "units": [{"name": NAME, "title": TEXT, "notebook": PATH, "parameters": {...},
              "outputs": {"html": PATH, "ipynb": PATH},
              "fingerprint": SHA256 or null, "up_to_date": BOOL, "problem": TEXT or null,
              "command": ["research", "build", ..., "--report", NAME]}, ...]}
Units are in reports.toml order; paths are relative to the repository when inside it.

exit codes: 0 the units are listed (an invalid unit says why in `problem`); 2 the request
or the report list is invalid (an unknown report name, a TOML syntax error, a bad [engine]).
"""

BUILD_EPILOG = """\
engine: --engine, else `name` in the [engine] table of the report list (with an optional
[engine.options] table for research.engines.connect), else duckdb. It reaches a notebook
only as its `engine` (and `engine_options`) parameter, if the notebook declares one.

exit codes: 0 every report built or unchanged; 1 a report failed (the others were still
built); 2 the request or the report list is invalid (nothing built); 130 stopped by
SIGINT (Ctrl-C), 143 by SIGTERM: workers and kernels stopped, temporary files removed,
index.html lists what was built.
"""


BEGIN = "<!-- data dictionary: generated by `research dictionary --update README.md` -->"
END = "<!-- end of data dictionary -->"


def _dictionary(args: argparse.Namespace) -> int:
    from research.schema import data_dictionary

    text = data_dictionary()
    if not args.update:
        print(text)
        return 0
    path = Path(args.update)
    doc = path.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        print(f"{path}: markers for the data dictionary not found", file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}", encoding="utf-8")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="research", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a data directory; exit 1 listing every problem")
    v.add_argument("data_dir", nargs="?", help="directory of CSV files (default: bundled data/)")
    v.set_defaults(run=_validate)
    b = sub.add_parser(
        "build",
        help="build the reports in reports.toml (unchanged ones skipped)",
        epilog=BUILD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("names", nargs="*", metavar="NAME", help="reports to build (default: all)")
    b.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="NAME",
        help="build exactly this unit of `research plan` (repeatable); others are not touched",
    )
    b.add_argument(
        "--engine", choices=ENGINES, help="engine for notebooks that declare one (see below)"
    )
    b.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    b.add_argument(
        "--jobs",
        type=_at_least_one,
        default=os.cpu_count(),
        help="reports built at once (default: cores)",
    )
    b.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"stop a report still running after this long (default: {DEFAULT_TIMEOUT:g}; "
        "a report's own `timeout` in reports.toml wins)",
    )
    b.add_argument("--out", help="output directory (default: reports/)")
    b.add_argument("--data-dir", help="build from this data directory instead of data/")
    b.add_argument("--reports", metavar="FILE", help="report list (default: reports.toml)")
    b.set_defaults(run=_build)
    pl = sub.add_parser(
        "plan",
        help="list the report units a build would make, with fingerprints (--json)",
        description=PLAN_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pl.add_argument("names", nargs="*", metavar="NAME", help="reports to list (default: all)")
    pl.add_argument("--report", action="append", default=[], metavar="NAME", help="as NAME")
    pl.add_argument("--json", action="store_true", help="JSON (schema above) instead of a table")
    pl.add_argument("--engine", choices=ENGINES, help="as for build")
    pl.add_argument("--out", help="output directory (default: reports/)")
    pl.add_argument("--data-dir", help="data directory (default: data/)")
    pl.add_argument("--reports", metavar="FILE", help="report list (default: reports.toml)")
    pl.set_defaults(run=_plan)
    m = sub.add_parser("migrate", help="bring a version-1, 2.0 or 2.1 data directory up to date")
    m.add_argument(
        "src", help="the old directory (version 1: five CSV files; or version 2.0 or 2.1)"
    )
    m.add_argument("dest", help="a new directory for the tables in the current model")
    m.add_argument("--case", default="main", help="case id for every row (default: main)")
    m.set_defaults(run=_migrate)
    n = sub.add_parser("new-case", help="add a case to the data and its reports to reports.toml")
    n.add_argument("name", help="case id, lower case with hyphens (north-korea-russia)")
    n.add_argument("--title", required=True, help="title in plain words")
    n.add_argument("--description", required=True, help="what the case covers")
    n.add_argument(
        "--actors", required=True, help="actor ids the reports are about, comma-separated"
    )
    n.add_argument("--data-dir", help="data directory (default: bundled data/)")
    n.add_argument("--reports", help="report list to extend (default: reports.toml)")
    n.set_defaults(run=_new_case)
    i = sub.add_parser("import", help="import machine-coded events as candidates for review")
    isub = i.add_subparsers(dest="source", required=True)
    g = isub.add_parser(
        "gdelt",
        help="GDELT 2.0 event exports (.CSV or .CSV.zip) from a downloaded directory",
        description="Read GDELT 2.0 event exports as GDELT publishes them; report missing "
        "15-minute files and every malformed row (file and line). Never reaches the network.",
    )
    g.add_argument("paths", nargs="+", metavar="PATH", help="export files or directories")
    g.add_argument(
        "--actors",
        metavar="A,B",
        help="CAMEO country codes (ISO-3): keep events between them (one code: involving it)",
    )
    g.add_argument("--case", help="write the rows as candidates for review in this case")
    g.add_argument(
        "--parquet",
        metavar="DIR",
        help="write the rows to a Parquet dataset partitioned by event day (DIR/day=YYYY-MM-DD/), "
        "merged with the one already there; replaced whole, never half-written",
    )
    g.add_argument("--data-dir", help="data directory (default: bundled data/)")
    g.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first event day kept")
    g.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last event day kept")
    g.set_defaults(run=_import_gdelt)
    r = sub.add_parser(
        "review",
        help="list a case's candidates, or accept one as a deed or citation, or reject it",
        description="Without CANDIDATE: list the candidates not yet decided. With it: decide "
        "it; every decision is kept with who, when and why in "
        "data/candidates/CASE.decisions.csv.",
    )
    r.add_argument("case", help="case id")
    r.add_argument("candidate", nargs="?", help="candidate id (gdelt_...)")
    act = r.add_mutually_exclusive_group()
    act.add_argument("--deed", action="store_true", help="accept as a new deed")
    act.add_argument("--cite", metavar="EVENT_ID", help="accept as a citation of this deed")
    act.add_argument("--reject", action="store_true", help="reject it")
    r.add_argument("--reason", help="why (required for every decision)")
    r.add_argument("--summary", help="the deed in your own words (required for --deed)")
    r.add_argument("--event-id", help="id of the new deed (default: the candidate id)")
    r.add_argument(
        "--issue", type=_issue, action="append", metavar="ISSUE:STANCE",
        help="issue the deed bears on (repeatable; default: those code_issues proposes)",
    )  # fmt: skip
    r.add_argument("--action", help="PLOVER action of the deed (default: the proposed one)")
    r.add_argument("--status", help="citation status (default: the proposed one)")
    r.add_argument("--title", help="the article's title, when read")
    r.add_argument("--reviewer", help="who decides (default: $USER)")
    r.add_argument("--data-dir", help="data directory (default: bundled data/)")
    r.set_defaults(run=_review)
    y = sub.add_parser(
        "dyad",
        help="words against deeds between two states, per period, on DuckDB or BigQuery",
        description="The dyad series (verbal against material events, each direction) for "
        "event days SINCE to UNTIL, as CSV. On BigQuery every query is bounded to the "
        "window's partitions (with slack), dry-run first and capped by --max-bytes.",
    )
    y.add_argument("a", help="CAMEO country code (ISO-3), e.g. RUS")
    y.add_argument("b", help="the other state, e.g. IRN")
    y.add_argument(
        "--since", type=_day, required=True, metavar="YYYY-MM-DD", help="first event day (SQLDATE)"
    )
    y.add_argument(
        "--until", type=_day, required=True, metavar="YYYY-MM-DD", help="last event day (SQLDATE)"
    )
    y.add_argument(
        "--freq", choices=["D", "W", "M", "Q", "Y"], default="M", help="period length (default: M)"
    )
    y.add_argument(
        "--engine",
        choices=["duckdb", "bigquery"],
        default="duckdb",
        help="where the query runs (default: duckdb)",
    )
    y.add_argument(
        "--events",
        metavar="PATH",
        help="duckdb: Parquet file, directory or glob of imported GDELT events",
    )
    y.add_argument(
        "--project",
        help="bigquery: the Google Cloud project billed "
        "(default: that of the application-default credentials)",
    )
    y.add_argument(
        "--dataset",
        default="gdelt-bq.gdeltv2",
        help="bigquery: dataset of the events (default: gdelt-bq.gdeltv2)",
    )
    y.add_argument(
        "--table",
        default="events_partitioned",
        help="bigquery: day-partitioned events table (default: events_partitioned)",
    )
    y.add_argument(
        "--slack-before",
        type=_days,
        default=1,
        metavar="DAYS",
        help="bigquery: partitions read before SINCE (default: 1)",
    )
    y.add_argument(
        "--slack-after",
        type=_days,
        default=31,
        metavar="DAYS",
        help="bigquery: partitions read after UNTIL, for events GDELT adds late "
        "(default: 31; 366 keeps events dated a year back)",
    )
    y.add_argument(
        "--sql",
        action="store_true",
        help="bigquery: print the SQL and stop (no credentials needed)",
    )
    y.add_argument(
        "--dry-run",
        action="store_true",
        help="bigquery: print the bytes the query would scan; run nothing",
    )
    y.add_argument(
        "--max-bytes",
        type=_bytes,
        metavar="N",
        help="bigquery: refuse a query whose dry run scans more than N bytes, and "
        "cap what BigQuery may bill (required to run)",
    )
    y.add_argument("--out", metavar="FILE", help="write the CSV here instead of stdout")
    y.set_defaults(run=_dyad)  # fmt: skip
    d = sub.add_parser("dictionary", help="print the data dictionary (Markdown) from the schema")
    d.add_argument("--update", metavar="FILE", help="rewrite the dictionary section of FILE")
    d.set_defaults(run=_dictionary)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C outside a build's own handling: one line, no traceback
        print(f"research {args.command}: interrupted", file=sys.stderr)
        return 130
