"""Tenant commands: `icp intake submit`, `icp run`, `icp suggestions [--compare]`, `icp audience`,
`icp audience export`, `icp accept`, `icp rules`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, sample_size, tenant_id

AUDIENCE_USAGE = (
    "icp audience --tenant T --expr EXPR [--sample N]\n"
    "       icp audience export --tenant T --suggestion ID --out FILE.csv"
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    intake = commands.add_parser("intake", help="tenant intakes").add_subparsers(required=True, metavar="ACTION")
    submit = intake.add_parser("submit", help="validate and store an intake JSON file")
    submit.add_argument("file", type=Path)
    submit.add_argument("--tenant", required=True, type=tenant_id)
    submit.add_argument("--submitted-by")
    submit.set_defaults(handler=_intake_submit)

    run = commands.add_parser(
        "run", help="materialize one tenant's partition (the job the sensor requests), or every tenant's"
    )
    who = run.add_mutually_exclusive_group(required=True)
    who.add_argument("--tenant", type=tenant_id, help="a tenant with an intake")
    who.add_argument(
        "--all",
        action="store_true",
        help="every tenant in one run, as the nightly schedule does: sites due for a re-crawl"
        " (ICP_RECRAWL_DAYS) are crawled, and only tenants whose inputs changed are built and published",
    )
    run.set_defaults(handler=_run)

    suggestions = commands.add_parser("suggestions", help="print a tenant's suggestion cards")
    suggestions.add_argument("--tenant", required=True, type=tenant_id)
    suggestions.add_argument("--format", choices=["table", "json"], default="table")
    suggestions.add_argument(
        "--compare",
        type=compare_target,
        metavar="previous|RESPONSE_ID",
        help="show which cards appeared, disappeared or changed since the previous intake with cards"
        " (or since one of the tenant's intakes)",
    )
    suggestions.set_defaults(handler=_suggestions)

    # `icp audience --tenant T --expr ...` sizes an expression; `icp audience export ...` writes a
    # card's audience. A parent's options cannot be required beside a subcommand (argparse would
    # ask for them after `export` too), so _audience checks --tenant and --expr itself.
    audience = commands.add_parser(
        "audience", usage=AUDIENCE_USAGE, help="size a lookalike audience in the ACRA registry; export one"
    )
    audience.add_argument("--tenant", type=tenant_id, help="required; its customers are left out of the audience")
    audience.add_argument(
        "--expr", help='required; e.g. "ssic:62011 AND (ssic2:63 OR section:J) AND NOT status:struck_off"'
    )
    audience.add_argument(
        "--sample", type=sample_size, default=10, help="sample rows to print (0 or more; at most 1000 are printed)"
    )
    audience.set_defaults(handler=_audience)
    export = audience.add_subparsers(metavar="ACTION").add_parser(
        "export", help="write every company of a card's audience to a CSV file a CRM imports"
    )
    export.add_argument("--tenant", required=True, type=tenant_id)
    export.add_argument("--suggestion", required=True, help="suggestion_id of a current card")
    export.add_argument("--out", required=True, type=Path, help="the CSV file to write (its folder must exist)")
    export.set_defaults(handler=_audience_export)

    accept = commands.add_parser("accept", help="accept a card as a targeting rule (audited)")
    accept.add_argument("--tenant", required=True, type=tenant_id)
    accept.add_argument("--suggestion", required=True, help="suggestion_id of a current card")
    accept.add_argument("--by", help="who accepts it")
    accept.set_defaults(handler=_accept)

    rules = commands.add_parser("rules", help="list a tenant's accepted rules")
    rules.add_argument("--tenant", required=True, type=tenant_id)
    rules.add_argument("--format", choices=["table", "json"], default="table")
    rules.set_defaults(handler=_rules)


def compare_target(value: str) -> str | int:
    """argparse type of --compare: `previous`, or an intake's response id (a positive whole number)."""
    if value == "previous":
        return value
    if value.isascii() and value.isdigit() and 0 < int(value) < 2**63:
        return int(value)
    raise argparse.ArgumentTypeError(f"{value!r} must be `previous` or an intake's response id (a whole number)")


def _intake_submit(args: argparse.Namespace) -> int:
    from icp_assets.domain.intake import MAX_INTAKE_BYTES, IntakeError, parse_intake, submit_intake
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with args.file.open("rb") as file:
            raw = file.read(MAX_INTAKE_BYTES + 1)  # one byte over is enough to refuse it
    except OSError as err:
        print(f"intake: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        intake = parse_intake(raw)
        with connect(product_database_url()) as conn:
            response_id = submit_intake(conn, args.tenant, intake, args.submitted_by)
    except IntakeError as err:
        print(f"intake rejected, nothing was written ({len(err.problems)} problem(s)):", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(response_id)
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.instance import prepare_environment
    from icp_assets.runs import run_fleet, run_tenant

    url = prepare_environment()
    if args.all:
        with contextlib.redirect_stdout(sys.stderr):
            result = run_fleet(DagsterInstance.get())
        if result is None:
            print("no tenant yet: submit an intake with `icp intake submit`", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"run {result.run_id} for every tenant: {'succeeded' if result.success else 'failed'}")
        return EXIT_OK if result.success else EXIT_FAILED
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the run's progress (dbt's included) is not output
            result = run_tenant(DagsterInstance.get(), url, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"run {result.run_id} for {args.tenant}: {'succeeded' if result.success else 'failed'}")
    return EXIT_OK if result.success else EXIT_FAILED


def _suggestions(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.compare import NothingToCompare, UnknownIntake, compare_intakes
    from icp_assets.domain.cards.publish import latest_cards
    from icp_assets.domain.cards.render import format_cards, format_comparison
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    against = None if args.compare in (None, "previous") else args.compare
    try:
        with connect(product_database_url()) as conn:
            if args.compare is None:
                cards = latest_cards(conn, args.tenant)
            else:
                comparison = compare_intakes(conn, args.tenant, against)
    except (NoIntakeError, NothingToCompare, UnknownIntake) as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.compare is not None:
        print(json.dumps(comparison.as_json(), indent=2) if args.format == "json" else format_comparison(comparison))
    elif args.format == "json":
        print(json.dumps(cards, indent=2))
    else:
        print(format_cards(args.tenant, cards))
    return EXIT_OK


def _audience(args: argparse.Namespace) -> int:
    from icp_assets.domain.audience import ExpressionError, parse, size_audience
    from icp_assets.domain.intake import NoIntakeError, current_response_id
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    missing = [option for option, value in (("--tenant", args.tenant), ("--expr", args.expr)) if value is None]
    if missing:
        print(
            f"usage: {AUDIENCE_USAGE}\nicp audience: the following arguments are required: {', '.join(missing)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        parse(args.expr)  # a malformed expression is refused before the database is reached
        with connect(product_database_url()) as conn:
            current_response_id(conn, args.tenant)  # like every tenant command: a tenant with an intake
            result = size_audience(conn, args.tenant, args.expr, args.sample)
    except ExpressionError as err:
        print(f"bad expression:\n{err.pointer(args.expr)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{result.total} registry entities match (excluding {args.tenant}'s customers)")
    for row in result.sample:
        print(f"  {row['uen']:<12} {row['ssic'] or '-':<6} {row['postal_code'] or '-':<7} {row['name']}")
    return EXIT_OK


def _accept(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.accept import accept_card
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    with connect(product_database_url()) as conn:
        try:
            rule_id = accept_card(conn, args.tenant, args.suggestion, args.by)
        except LookupError as err:
            print(err, file=sys.stderr)
            return EXIT_BAD_INPUT
    print(rule_id)
    return EXIT_OK


def _audience_export(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.export import ExportRefused, check_output, export_audience
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        check_output(args.out)  # before the database is reached
        with connect(product_database_url()) as conn:
            exported = export_audience(conn, args.tenant, args.suggestion, args.out)
    except (ExportRefused, NoIntakeError) as err:
        print(f"audience export: {err}; nothing written", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        print(f"audience export: cannot write {args.out}: {err.strerror}; nothing written", file=sys.stderr)
        return EXIT_FAILED
    print(f"{exported.rows} companies written to {args.out}")
    if exported.rows != exported.audience_size:
        print(
            f"audience export: the card's published audience is {exported.audience_size} companies; the registry"
            f" changed since its run (`icp run --tenant {args.tenant}` sizes it again)",
            file=sys.stderr,
        )
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.accept import list_rules
    from icp_assets.domain.cards.render import format_rules
    from icp_assets.domain.intake import NoIntakeError, current_response_id
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            current_response_id(conn, args.tenant)  # like every tenant command: a tenant with an intake
            rules = list_rules(conn, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(rules, indent=2, default=str))
    else:
        print(format_rules(args.tenant, rules))
    return EXIT_OK
