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
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

import psycopg
from psycopg import sql

from icp_assets.platform.embedded import start_embedded_server

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "icp"


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    scheme, rest = url.split("://", 1)
    authority, _, tail = rest.partition("/")
    query = tail.partition("?")[2]
    # Rebuilt by hand: urlunsplit drops an empty authority ("postgresql:///icp", libpq's local socket).
    return f"{scheme}://{authority}/{quote(database)}" + (f"?{query}" if query else "")


def database_name(url: str) -> str:
    """The database a URL names, percent-decoded ("postgres" when it names none)."""
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


MASK = "***"
_QUERY_PASSWORD = re.compile(r"(?<=[?&])(password=)[^&#]*", re.IGNORECASE)


def redact_url(url: str) -> str:
    """The URL with its password (in the user part or a ``password=`` parameter) replaced by ***,
    for anything printed or logged: ``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``.
    A URL without a password comes back unchanged."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hosts = authority.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if colon and password:
            authority = f"{user}:{MASK}@{hosts}"
    return f"{scheme}://{authority}" + _QUERY_PASSWORD.sub(lambda m: m.group(1) + MASK, tail)


def embedded_database_url() -> str:
    """The embedded server's `icp` database, starting the server if it is not running."""
    return start_embedded_server().get_uri(DEFAULT_DATABASE)


def product_database_url() -> str:
    """The product database URL: ICP_DATABASE_URL, or the embedded server's `icp` database."""
    return os.environ.get("ICP_DATABASE_URL") or embedded_database_url()


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
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return
        try:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return  # another process created it since the check
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
    """Split a URL (TCP or ``?host=/socket/dir``) into the fields dbt's profile needs, decoded:
    ``postgresql://u%40x:p%2Fw@h/db`` has user ``u@x`` and password ``p/w``, as libpq reads it."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)  # parse_qs decodes; urlsplit's user, password and host do not
    host = query.get("host", [unquote(parts.hostname or "") or "localhost"])[0]
    return ConnectionParts(
        host=host,
        port=int(query.get("port", [parts.port or 5432])[0]),
        user=query.get("user", [unquote(parts.username or "") or "postgres"])[0],
        password=query.get("password", [unquote(parts.password or "")])[0],
        dbname=query.get("dbname", [database_name(url)])[0],
    )


# libpq's environment variable for each connection parameter (those psql may need).
_PG_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "requiressl": "PGREQUIRESSL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
}


def libpq_environment(url: str) -> dict[str, str]:
    """The PG* variables that make libpq clients (psql) reach ``url`` with no URL on their command
    line, where ``ps`` would show its password. Raises ValueError for a parameter with no variable."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(_libpq(url))  # libpq's own parsing: percent-decoded
    unknown = sorted(set(params) - set(_PG_ENV))
    if unknown:
        raise ValueError(f"no PG* environment variable for connection parameter(s) {', '.join(unknown)}")
    return {_PG_ENV[key]: str(value) for key, value in params.items()}


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
