"""Seed commands: `icp seeds` lists a tenant's seeds and their registry matches, `icp seeds confirm`
settles a seed's match (audited), `icp seeds unconfirm` hands it back to the matcher."""

from __future__ import annotations

import argparse
import json
import sys

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_OK, tenant_id


def add_commands(commands: argparse._SubParsersAction) -> None:
    seeds = commands.add_parser(
        "seeds",
        help="a tenant's seeds with their ACRA matches; confirm a match",
        usage="icp seeds --tenant T [--format {table,json}]\n       icp seeds {confirm,unconfirm} --tenant T --seed NAME ...",
    )
    seeds.add_argument("--tenant", type=tenant_id, help="list this tenant's seeds (required without an action)")
    seeds.add_argument("--format", choices=["table", "json"], default="table")
    seeds.set_defaults(handler=_list)
    actions = seeds.add_subparsers(metavar="ACTION")

    confirm = actions.add_parser(
        "confirm", help="record which ACRA entity a seed is (wins over the matcher in later runs and intakes)"
    )
    confirm.add_argument("--tenant", required=True, type=tenant_id)
    confirm.add_argument("--seed", required=True, help="a seed's name in the current intake (case, legal form ignored)")
    answer = confirm.add_mutually_exclusive_group(required=True)
    answer.add_argument("--uen", help="the seed's ACRA UEN, which must be in the loaded registry")
    answer.add_argument(
        "--not-in-registry", action="store_true", help="the seed is in no ACRA entity: no miss of the match rate"
    )
    confirm.add_argument("--by", help="who confirms it")
    confirm.set_defaults(handler=_confirm)

    unconfirm = actions.add_parser("unconfirm", help="remove a seed's confirmation: the matcher decides it again")
    unconfirm.add_argument("--tenant", required=True, type=tenant_id)
    unconfirm.add_argument("--seed", required=True, help="a seed's name in the current intake")
    unconfirm.add_argument("--by", help="who removes it")
    unconfirm.set_defaults(handler=_unconfirm)


def _list(args: argparse.Namespace) -> int:
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.domain.matching.confirmations import format_seed_statuses, seed_statuses
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    if args.tenant is None:
        print("seeds: the following argument is required: --tenant", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with connect(product_database_url()) as conn:
            response_id, statuses = seed_statuses(conn, args.tenant)
    except NoIntakeError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps({"tenant": args.tenant, "response_id": response_id, "seeds": [s.as_json() for s in statuses]}))
    else:
        print(format_seed_statuses(args.tenant, response_id, statuses))
    return EXIT_OK


def _confirm(args: argparse.Namespace) -> int:
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.domain.matching.confirmations import ConfirmationError, confirm_seed
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            confirmation = confirm_seed(conn, args.tenant, args.seed, args.uen, args.by)
    except (ConfirmationError, NoIntakeError) as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    answer = "not in the registry" if confirmation.not_in_registry else f"{confirmation.uen} {confirmation.entity_name}"
    print(
        f"{args.tenant}: {confirmation.seed_name!r} confirmed as {answer}; `icp run --tenant {args.tenant}` applies it"
    )
    return EXIT_OK


def _unconfirm(args: argparse.Namespace) -> int:
    from icp_assets.domain.intake import NoIntakeError
    from icp_assets.domain.matching.confirmations import ConfirmationError, unconfirm_seed
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import connect

    try:
        with connect(product_database_url()) as conn:
            removed = unconfirm_seed(conn, args.tenant, args.seed, args.by)
    except (ConfirmationError, NoIntakeError) as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.tenant}: {len(removed)} confirmation(s) removed; `icp run --tenant {args.tenant}` applies it")
    return EXIT_OK
