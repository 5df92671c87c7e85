"""dbt builds: which tenants a build covers, the parsed project every build reuses, and dbt
outside Dagster (tests and benchmarks) against a given database."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from icp_assets.platform.database import connection_env

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# The tenants a dbt build covers (macros/tenant_filter.sql); unset, every tenant.
TENANT_SCOPE_ENV = "ICP_DBT_TENANTS"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dbt's parsed state per database (dbt parses again when the connection differs): one file each.
PARSED_STATE_DIR = DBT_PROJECT_DIR / "target" / "parsed"


class DbtFailed(RuntimeError):
    """A dbt command exited non-zero; the message ends with its output."""


def tenant_scope_env(tenants: Collection[str] | None) -> dict[str, str]:
    """The environment that scopes a build to ``tenants`` (None: every tenant).

    An environment variable read only while dbt executes, not a `--vars` value: dbt parses the
    project again whenever its vars change, which cost most of a one-tenant build.
    """
    if tenants is not None and not tenants:
        raise ValueError("a tenant-scoped dbt build needs at least one tenant")
    return {} if tenants is None else {TENANT_SCOPE_ENV: json.dumps(sorted(tenants))}


@contextmanager
def reusing_parsed_project(url: str, target_path: Path) -> Iterator[None]:
    """Around a dbt command writing to ``target_path``: give it the parsed state of the last
    command against the same database, and keep the state it leaves for the next one.

    dbt checks the state against the project files and settings and parses again (only what
    changed) when they differ, so a stale copy costs time, never correctness. Each command has a
    target folder of its own (concurrent builds must not share artifacts); the state outlives it.
    """
    saved = PARSED_STATE_DIR / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}.msgpack"
    state = Path(target_path) / PARTIAL_PARSE_FILE
    Path(target_path).mkdir(parents=True, exist_ok=True)
    if saved.exists() and not state.exists():
        shutil.copyfile(saved, state)
    given = state.stat().st_mtime_ns if state.exists() else None
    yield
    if state.exists() and state.stat().st_mtime_ns != given:  # dbt parsed: keep what it learnt
        saved.parent.mkdir(parents=True, exist_ok=True)
        partial = saved.with_name(f".{saved.name}.{os.getpid()}")
        shutil.copyfile(state, partial)
        partial.replace(saved)


def run_dbt(
    url: str,
    args: Sequence[str],
    work_dir: Path,
    tenants: Collection[str] | None = None,
    timeout_s: float = 1800,
) -> float:
    """Run ``dbt ARGS`` against ``url`` for ``tenants`` (None: every tenant), with target and logs in
    ``work_dir``; returns seconds taken. A work directory of its own per database keeps
    concurrent runs off each other's artifacts."""
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
    env = {name: value for name, value in os.environ.items() if name != TENANT_SCOPE_ENV}
    env |= {**connection_env(url), **tenant_scope_env(tenants), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.monotonic()
    with reusing_parsed_project(url, work_dir / "target"):
        proc = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started
