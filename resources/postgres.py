"""Where the product's PostgreSQL lives, and how every part of the product reaches it.

With ``ICP_DATABASE_URL`` unset, an embedded server from the ``pgserver`` wheel runs in
``$ICP_HOME/pgdata`` (started on first use, reused afterwards, reached over a Unix socket).
With it set, that database is used instead. Dagster's instance storage lives in a sibling
database named ``<database>_dagster`` on the same server, and dbt reads the ``ICP_PG_*``
variables that :func:`export_connection_env` sets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import psycopg
from dagster import ConfigurableResource
from psycopg import sql

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "icp"


def icp_home() -> Path:
    """The project-local state directory (embedded server, Dagster home, crawl cache)."""
    return Path(os.environ.get("ICP_HOME", ".icp")).resolve()


def embedded_pgdata() -> Path:
    return icp_home() / "pgdata"


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


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def product_database_url() -> str:
    """The product database URL: ICP_DATABASE_URL, or the embedded server's `icp` database."""
    url = os.environ.get("ICP_DATABASE_URL")
    if url:
        return url
    server = start_embedded_server()
    return server.get_uri(DEFAULT_DATABASE)


def dagster_database_url(product_url: str) -> str:
    """Dagster's storage database, in SQLAlchemy form: dagster-postgres drives it with psycopg2
    (SQLAlchemy 2.1 would otherwise pick psycopg 3, whose NOTIFY parameters dagster cannot use)."""
    url = with_database(product_url, database_name(product_url) + "_dagster")
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


def _libpq(url: str) -> str:
    """A SQLAlchemy-style URL (postgresql+psycopg2://) as libpq accepts it."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql+") else url


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if the server lacks it."""
    name = database_name(url)
    with psycopg.connect(with_database(_libpq(url), "postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            log.info("created database %s", name)


def drop_database(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(with_database(_libpq(url), "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@dataclass(frozen=True)
class ConnectionParts:
    host: str
    port: int
    user: str
    password: str
    dbname: str


def connection_parts(url: str) -> ConnectionParts:
    """Split a URL (TCP or ``?host=/socket/dir``) into the fields dbt's profile needs."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    return ConnectionParts(
        host=host,
        port=int(query.get("port", [parts.port or 5432])[0]),
        user=parts.username or "postgres",
        password=parts.password or "",
        dbname=database_name(url),
    )


def connection_env(url: str) -> dict[str, str]:
    """The variables dbt's profiles.yml and Dagster's dagster.yaml read, for ``url``."""
    parts = connection_parts(url)
    return {
        "ICP_PG_HOST": parts.host,
        "ICP_PG_PORT": str(parts.port),
        "ICP_PG_USER": parts.user,
        "ICP_PG_PASSWORD": parts.password,
        "ICP_PG_DBNAME": parts.dbname,
        "ICP_DAGSTER_DATABASE_URL": dagster_database_url(url),
    }


def export_connection_env(url: str) -> dict[str, str]:
    """Set (and return) :func:`connection_env` in this process, for the dbt and Dagster it starts."""
    env = connection_env(url)
    os.environ.update(env)
    return env


class PostgresResource(ConfigurableResource):
    """The product database. ``database_url`` defaults to ICP_DATABASE_URL or the embedded server."""

    database_url: str | None = None

    def url(self) -> str:
        return self.database_url or product_database_url()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection whose transaction commits on success and rolls back on error."""
        with psycopg.connect(self.url()) as conn:
            yield conn
