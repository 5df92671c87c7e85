"""Schema migrations and connections for the product database."""

from __future__ import annotations

import logging
from importlib import resources as package_files

import psycopg

from icp_assets.platform.database import ensure_database

log = logging.getLogger(__name__)

# Any fixed 64-bit key: serialises concurrent `migrate` calls across processes.
_MIGRATION_LOCK = 7_412_190_001


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) for every bundled migration, in version order."""
    folder = package_files.files("icp_assets.platform") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


def migrate(url: str) -> list[str]:
    """Create the database if needed and apply pending migrations, each in its own transaction."""
    ensure_database(url)
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            conn.execute(
                "create table if not exists public.icp_schema_migrations ("
                " version text primary key, applied_at timestamptz not null default now())"
            )
            done = {row[0] for row in conn.execute("select version from public.icp_schema_migrations")}
            for version, statements in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(statements)
                    conn.execute("insert into public.icp_schema_migrations (version) values (%s)", (version,))
                log.info("applied migration %s", version)
                applied_now.append(version)
            if applied_now and _has_isolation(conn):
                # Row-level security on every tenant table, those later migrations add included.
                conn.execute("select icp.isolate_tenant_tables()")
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied_now


def _has_isolation(conn: psycopg.Connection) -> bool:
    """Whether the tenant-isolation functions (migration 0004) are installed."""
    return conn.execute("select to_regprocedure('icp.isolate_tenant_tables()') is not null").fetchone()[0]


def connect(url: str) -> psycopg.Connection:
    """A connection to a migrated product database."""
    migrate(url)
    return psycopg.connect(url)
