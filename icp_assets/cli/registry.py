"""`icp registry load` and `icp resolve`: the ACRA registry and SSIC reference, and matching a CSV to them.

`registry load` leaves the registry ready for tenant runs: rows, SSIC reference, match index and the
registry dbt models, all through one registry_refresh run on the product's Dagster instance.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from icp_assets.domain.registry.acra import MAX_DELISTED_LETTER_SHARE, MAX_DELISTED_SHARE

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult


def add_commands(commands: argparse._SubParsersAction) -> None:
    registry = commands.add_parser("registry", help="the ACRA registry and SSIC reference").add_subparsers(
        required=True, metavar="ACTION"
    )
    load = registry.add_parser(
        "load",
        help="load ACRA CSVs and/or SSIC files, then build the match index and the registry models",
        description="Load the files named (through the registry_refresh job, so the Dagster UI shows the run),"
        " then rebuild the match index and the registry models: afterwards `icp run` can run.",
    )
    load.add_argument("--acra", nargs="+", type=Path, default=[], metavar="CSV", help="data.gov.sg ACRA CSVs")
    load.add_argument(
        "--ssic",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="SingStat SSIC 2020 classification structure and/or alphabetical index (xlsx, or CSV in that layout)",
    )
    load.add_argument(
        "--full-release",
        action="store_true",
        help="the --acra files are the whole release (every file data.gov.sg publishes): entities they do"
        " not list are marked delisted. Without it the rows are only added or updated",
    )
    load.add_argument(
        "--allow-mass-delisting",
        action="store_true",
        # argparse %-formats help texts: the share's "%" is written "%%".
        help=f"with --full-release: delist however many entities the release leaves out (without it, more than"
        f" {MAX_DELISTED_SHARE:.0%}% of the listed entities, or more than {MAX_DELISTED_LETTER_SHARE:.0%}% of those"
        " under one first letter, is refused as a missing file)",
    )
    load.set_defaults(handler=_registry_load)

    resolve = commands.add_parser("resolve", help="match a CSV of seeds (name, domain) to the loaded registry")
    resolve.add_argument("--input", type=Path, required=True, metavar="CSV", help="columns: name, optional domain")
    resolve.add_argument("--output", type=Path, required=True, metavar="CSV")
    resolve.set_defaults(handler=_resolve)


def _registry_load(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from icp_assets.platform.instance import prepare_environment
    from icp_assets.runs import run_failure, run_registry

    problems = _load_problems(args)
    if problems:
        for problem in problems:
            print(f"registry load: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    prepare_environment()
    with (
        contextlib.redirect_stdout(sys.stderr),  # the run's progress (dbt's included) is not output
        progress_bars() if sys.stderr.isatty() else contextlib.nullcontext(),
    ):
        result = run_registry(DagsterInstance.get(), args.acra, args.ssic, args.full_release, args.allow_mass_delisting)
    if not result.success:
        failure = run_failure(result)
        print(f"registry load failed (run {result.run_id}): {failure.message}", file=sys.stderr)
        return EXIT_BAD_INPUT if failure.bad_input else EXIT_FAILED
    for line in _summary(result):
        print(line)
    print(f"registry ready (run {result.run_id})")
    return EXIT_OK


class ProgressBar(logging.Handler):
    """Draws the ACRA load's progress records (those carrying a percent) as a bar, a line each few
    seconds, on the terminal they would have been logged to; hands every other record on as usual."""

    WIDTH = 30

    def __init__(self, stream: TextIO):
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        percent = getattr(record, "percent", None)
        if percent is None:
            logging.getLogger().handle(record)
            return
        filled = round(self.WIDTH * percent / 100)
        self.stream.write(
            f"registry load [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3.0f}%"
            f"  {record.rows:,} rows  {record.file}\n"
        )
        self.stream.flush()


@contextlib.contextmanager
def progress_bars() -> Iterator[None]:
    """The ACRA loader's records go through a ProgressBar on stderr meanwhile."""
    from icp_assets.domain.registry import acra

    logger = logging.getLogger(acra.__name__)
    bar = ProgressBar(sys.stderr)
    logger.addHandler(bar)
    logger.propagate = False
    try:
        yield
    finally:
        logger.propagate = True
        logger.removeHandler(bar)


def _load_problems(args: argparse.Namespace) -> list[str]:
    """Everything wrong with the command's files, one line each, found before anything is written."""
    from icp_assets.domain.registry.acra import RegistryFileError, check_acra_csv
    from icp_assets.domain.registry.ssic import ssic_file_kind

    if not args.acra and not args.ssic:
        return ["give --acra CSV... and/or --ssic FILE..."]
    if args.full_release and not args.acra:
        return ["--full-release needs the release's --acra files"]
    if args.allow_mass_delisting and not args.full_release:
        return ["--allow-mass-delisting only applies with --full-release"]
    problems = []
    for path, check in [*((p, check_acra_csv) for p in args.acra), *((p, ssic_file_kind) for p in args.ssic)]:
        if not path.is_file():
            problems.append(f"no such file: {path}")
            continue
        try:
            check(path)
        except RegistryFileError as err:
            problems.append(str(err))
    return problems


def _summary(result: ExecuteInProcessResult) -> list[str]:
    """One line per registry asset the run materialized, from its metadata."""

    def metadata(node: str) -> dict | None:
        events = result.asset_materializations_for_node(node)
        return {key: value.value for key, value in events[0].metadata.items()} if events else None

    lines = []
    if acra := metadata("acra_entities"):
        lines.append(
            f"acra_entities: {acra['rows_read']:,} rows read: {acra['inserted']:,} inserted,"
            f" {acra['updated']:,} updated, {acra['unchanged']:,} unchanged, {acra['skipped']:,} skipped,"
            f" {acra['delisted']:,} delisted" + (" (full release)" if acra["full_release"] else "")
        )
    if ssic := metadata("ssic_codes"):
        lines.append(f"ssic_codes: {ssic['codes']:,} codes, {ssic['index_phrases']:,} index phrases")
    if index := metadata("match_index"):
        lines.append(f"match_index: {index['entities']:,} entities, {index['names']:,} names")
    models = result.asset_materializations_for_node("dbt_registry_models")
    lines.append(f"registry models: {len(models)} built")
    return lines


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
