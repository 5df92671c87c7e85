"""Tenant commands: `icp intake submit`, `icp run`, `icp suggestions`, `icp audience`, `icp accept`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, sample_size, tenant_id


def add_commands(commands: argparse._SubParsersAction) -> None:
    intake = commands.add_parser("intake", help="tenant intakes").add_subparsers(required=True, metavar="ACTION")
    submit = intake.add_parser("submit", help="validate and store an intake JSON file")
    submit.add_argument("file", type=Path)
    submit.add_argument("--tenant", required=True, type=tenant_id)
    submit.add_argument("--submitted-by")
    submit.set_defaults(handler=_intake_submit)

    run = commands.add_parser("run", help="materialize one tenant's partition (the job the sensor requests)")
    run.add_argument("--tenant", required=True, type=tenant_id, help="a tenant with an intake")
    run.set_defaults(handler=_run)

    suggestions = commands.add_parser("suggestions", help="print a tenant's suggestion cards")
    suggestions.add_argument("--tenant", required=True, type=tenant_id)
    suggestions.add_argument("--format", choices=["table", "json"], default="table")
    suggestions.set_defaults(handler=_suggestions)

    audience = commands.add_parser("audience", help="size a lookalike audience in the ACRA registry")
    audience.add_argument("--tenant", required=True, type=tenant_id, help="its customers are left out of the audience")
    audience.add_argument(
        "--expr", required=True, help='e.g. "ssic:62011 AND (ssic2:63 OR section:J) AND NOT status:struck_off"'
    )
    audience.add_argument(
        "--sample", type=sample_size, default=10, help="sample rows to print (0 or more; at most 1000 are printed)"
    )
    audience.set_defaults(handler=_audience)

    accept = commands.add_parser("accept", help="accept a card as a targeting rule (audited)")
    accept.add_argument("--tenant", required=True, type=tenant_id)
    accept.add_argument("--suggestion", required=True, help="suggestion_id of a current card")
    accept.add_argument("--by", help="who accepts it")
    accept.set_defaults(handler=_accept)


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
    from icp_assets.runs import run_tenant

    url = prepare_environment()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the run's progress (dbt's included) is not output
            result = run_tenant(DagsterInstance.get(), url, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"run {result.run_id} for {args.tenant}: {'succeeded' if result.success else 'failed'}")
    return EXIT_OK if result.success else EXIT_FAILED


def _suggestions(args: argparse.Namespace) -> int:
    from icp_assets.domain.cards.publish import latest_cards
    from icp_assets.domain.cards.render import format_cards
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            cards = latest_cards(conn, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(cards, indent=2))
    else:
        print(format_cards(args.tenant, cards))
    return EXIT_OK


def _audience(args: argparse.Namespace) -> int:
    from icp_assets.domain.audience import ExpressionError, parse, size_audience
    from icp_assets.domain.intake import NoIntakeError, current_response_id
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

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
