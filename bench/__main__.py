"""`make bench` (python -m bench [NAME...]): run the benchmarks, one figure a line."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.report import machine

SUPPORT_MODULES = {"report"}


def available() -> list[str]:
    folder = Path(__file__).parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(folder)])
        if m.name not in SUPPORT_MODULES and not m.name.startswith("_")
    )


def main(names: list[str]) -> int:
    chosen = names or available()
    unknown = sorted(set(chosen) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}", flush=True)
    for name in chosen:
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
