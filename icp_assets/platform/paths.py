"""Local state under ``ICP_HOME``: the embedded server's data, the Dagster home, the match index's
local copy. State every run worker shares (the match index, the crawl cache) lives in PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path


def icp_home() -> Path:
    """The project-local state directory (default ``.icp``)."""
    return Path(os.environ.get("ICP_HOME", ".icp")).resolve()


def embedded_pgdata() -> Path:
    return icp_home() / "pgdata"


def dagster_home() -> Path:
    return icp_home() / "dagster"


def match_index_dir() -> Path:
    """This machine's copy of the match index stored in the database (its read cache)."""
    return icp_home() / "match-index"


def default_acra_dir() -> Path:
    return icp_home() / "registry" / "acra"
