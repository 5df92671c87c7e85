"""dbt outside Dagster (tests and benchmarks): the project's dbt against a given database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from icp_assets.platform.database import connection_env

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


class DbtFailed(RuntimeError):
    """A dbt command exited non-zero; the message ends with its output."""


def run_dbt(url: str, args: Sequence[str], work_dir: Path, timeout_s: float = 1800) -> float:
    """Run ``dbt ARGS`` against ``url``, with target and logs in ``work_dir``; returns seconds taken.

    A work directory of its own per database keeps concurrent runs off each other's artifacts.
    """
    command = [
        str(DBT_EXECUTABLE),
        *args,
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env = {**os.environ, **connection_env(url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.monotonic()
    proc = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started
