"""The ``research`` command: ``validate``/``migrate`` data, ``new-case``, ``build`` reports."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_TIMEOUT = 1800  # research.build.DEFAULT_TIMEOUT; not imported: help stays fast


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
            args.names or None,
            force=args.force,
            jobs=args.jobs,
            out=Path(args.out) if args.out else None,
            data_dir=Path(args.data_dir) if args.data_dir else None,
            timeout=args.timeout,
            **({"reports_file": Path(args.reports)} if args.reports else {}),
        )
    except BuildError as e:
        print(f"research build: {e}", file=sys.stderr)
        return EXIT_INVALID


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


BUILD_EPILOG = """\
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
