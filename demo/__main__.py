"""`python -m demo`: the end-to-end demo (what `make demo` runs), or a synthetic ACRA registry.

python -m demo                      run the demo on the embedded database
python -m demo registry --entities N --out DIR [--seed S]
                                    write a synthetic registry in the data.gov.sg ACRA CSV layout
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description="ICP Finder's demo world.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    registry = commands.add_parser("registry", help="write a synthetic registry in the ACRA CSV layout")
    registry.add_argument("--entities", type=int, required=True)
    registry.add_argument("--seed", type=int, default=1)
    registry.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")  # pgserver's, harmless
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    for noisy in ("pgserver", "urllib3", "alembic", "dagster", "dagster.builtin"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "registry":
        from demo.synthetic_registry import generate_acra_csvs

        files = generate_acra_csvs(args.out, entities=args.entities, seed=args.seed)
        print(f"wrote {args.entities:,} entities in {len(files)} files under {args.out}")
        return 0
    from demo.run import run_demo

    return run_demo()


if __name__ == "__main__":
    sys.exit(main())
