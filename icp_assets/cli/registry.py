"""`icp registry load` and `icp resolve`: the ACRA registry and SSIC reference, and matching a CSV to them."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_OK

log = logging.getLogger("icp")


def add_commands(commands: argparse._SubParsersAction) -> None:
    registry = commands.add_parser("registry", help="the ACRA registry and SSIC reference").add_subparsers(
        required=True, metavar="ACTION"
    )
    load = registry.add_parser("load", help="load ACRA CSVs and/or SSIC files")
    load.add_argument("--acra", nargs="+", type=Path, default=[], metavar="CSV")
    load.add_argument(
        "--ssic",
        nargs="+",
        type=Path,
        default=[],
        metavar="XLSX",
        help="SingStat classification-structure and/or alphabetical-index xlsx",
    )
    load.set_defaults(handler=_registry_load)

    resolve = commands.add_parser("resolve", help="match a CSV of seeds (name, domain) to the loaded registry")
    resolve.add_argument("--input", type=Path, required=True, metavar="CSV", help="columns: name, optional domain")
    resolve.add_argument("--output", type=Path, required=True, metavar="CSV")
    resolve.set_defaults(handler=_resolve)


def _registry_load(args: argparse.Namespace) -> int:
    from icp_assets.domain.registry.acra import load_acra_csvs
    from icp_assets.domain.registry.ssic import load_ssic_index, load_ssic_structure
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import migrate

    if not args.acra and not args.ssic:
        print("registry load: give --acra CSV... and/or --ssic XLSX...", file=sys.stderr)
        return EXIT_BAD_INPUT
    missing = [p for p in [*args.acra, *args.ssic] if not p.is_file()]
    if missing:
        print(f"registry load: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    url = product_database_url()
    migrate(url)
    if args.acra:
        stats = load_acra_csvs(url, args.acra, progress=lambda n: log.info("acra: %s rows read", f"{n:,}"))
        print(f"acra_entities: {stats}")
    for path in args.ssic:
        if "index" in path.name.lower():
            print(f"ssic_index: {load_ssic_index(url, path)} phrases")
        else:
            print(f"ssic_codes: {load_ssic_structure(url, path)} codes")
    return EXIT_OK


def _resolve(args: argparse.Namespace) -> int:
    from icp_assets.domain.matching.index_store import load_match_index
    from icp_assets.domain.matching.matcher import Matcher
    from icp_assets.domain.matching.resolve import ResolveInputError, resolve_csv
    from icp_assets.platform.database import product_database_url
    from icp_assets.platform.db import migrate
    from icp_assets.platform.paths import match_index_dir

    if not args.input.is_file():
        print(f"resolve: no such file: {args.input}", file=sys.stderr)
        return EXIT_BAD_INPUT
    url = product_database_url()
    migrate(url)
    index, _ = load_match_index(url, match_index_dir())
    try:
        counts = resolve_csv(Matcher(index), args.input, args.output)
    except ResolveInputError as err:
        print(f"resolve: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.output}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    return EXIT_OK
