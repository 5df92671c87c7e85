"""How every benchmark reports: the machine once, then one figure a line.

A line reads `<bench> <subject> <metric> = <value> <unit>`, where subject is `ours` or
`baseline:<name>`, so a figure and its baseline from the same run sit side by side.
"""

from __future__ import annotations

import os
import platform
import sys


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}; {os.cpu_count()} cores; {memory_gib:.0f} GiB; "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    )


def figure(bench: str, metric: str, value: float | int | str, unit: str = "", subject: str = "ours") -> None:
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"{bench} {subject} {metric} = {shown}{' ' + unit if unit else ''}", flush=True)


def baseline(bench: str, name: str, metric: str, value: float | int | str, unit: str = "") -> None:
    figure(bench, metric, value, unit, subject=f"baseline:{name}")


def note(bench: str, text: str) -> None:
    print(f"{bench} # {text}", file=sys.stdout, flush=True)
