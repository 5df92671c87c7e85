"""The embedded PostgreSQL server from the ``pgserver`` wheel, in ``$ICP_HOME/pgdata``.

Started on first use and left running (reached over a Unix socket), so every ``icp`` command,
the Dagster daemon and dbt share one server without a system install.
"""

from __future__ import annotations

import os
from pathlib import Path

from icp_assets.platform.paths import embedded_pgdata


def start_embedded_server(pgdata: Path | None = None):
    """Start (or attach to) an embedded server; it keeps running after this process exits."""
    import pgserver

    pgdata = pgdata or embedded_pgdata()
    pgdata.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(pgdata, cleanup_mode=None)


def _postmaster(pgdata: Path):
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    return info if info is not None and info.is_running() else None


def stop_embedded_server(pgdata: Path | None = None) -> bool:
    """Stop an embedded server if it runs; returns whether one was stopped."""
    from pgserver._commands import pg_ctl

    pgdata = pgdata or embedded_pgdata()
    if _postmaster(pgdata) is None:
        return False
    pg_ctl(["-w", "stop"], pgdata=pgdata, user="pgserver" if os.geteuid() == 0 else None)
    return True


def embedded_server_running(pgdata: Path | None = None) -> bool:
    return _postmaster(pgdata or embedded_pgdata()) is not None
