"""`icp`: the operator's command line. Exit codes: 0 ok, 1 failure, 2 bad input.

Each module of this package adds one family of commands (``add_commands``); this one parses,
sets up logging and turns failures into exit codes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings

from icp_assets.cli import crawl, database, registry, scoring, seeds, tenant
from icp_assets.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "main"]

log = logging.getLogger("icp")

COMMAND_FAMILIES = (database, tenant, crawl, registry, seeds, scoring)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code.

    Usage errors (argparse) return 2 instead of raising SystemExit. A database error the input
    caused (a value PostgreSQL refuses: class 22 data exceptions, class 23 constraint violations)
    is exit 2 with one line, never a traceback (``-v`` logs it). A reader that stops reading
    (``icp ... | head``) ends the command quietly with exit 0: the reader got what it asked for."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2), as a return code
        _flush_stdout()
        return stop.code if isinstance(stop.code, int) else EXIT_OK if stop.code is None else EXIT_BAD_INPUT
    except BrokenPipeError:  # --help into a closed pipe
        _silence_stdout()
        return EXIT_OK
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")  # pgserver's, harmless
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    # Dagster prints a run's events through its own console logger; don't echo them twice.
    for noisy in ("pgserver", "urllib3", "alembic", "dagster"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("dagster.builtin").setLevel(logging.CRITICAL)  # the run's console logger shows them
    import psycopg

    try:
        code = args.handler(args)
        return code if _flush_stdout() else EXIT_OK
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as err:
        log.debug("the database refused the input", exc_info=True)
        reason = (getattr(err, "diag", None) and err.diag.message_primary) or str(err).splitlines()[0]
        print(f"icp: the database refused the input: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _flush_stdout() -> bool:
    """Flush stdout now, so a closed pipe shows here rather than at interpreter exit; False if closed."""
    try:
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        _silence_stdout()
        return False


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush cannot fail loudly
    (the recipe in Python's documentation on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (tests capture it)
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="icp", description="ICP Finder: evidence-backed Ideal Customer Profiles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for family in COMMAND_FAMILIES:
        family.add_commands(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
