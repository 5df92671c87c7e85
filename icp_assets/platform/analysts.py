"""Analyst logins: PostgreSQL roles that read one tenant's rows (and the public registry), nothing else.

Each login is a member of the group role ``icp_analyst`` and is mapped to one tenant in
``icp.analyst_logins``; the row-level security policies of migration 0004 (and of the dbt models'
post-hooks) let it select that tenant's rows only, and it holds no write privilege anywhere.
Roles are cluster-wide, so a login's name must be free on the whole server.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

ANALYST_GROUP = "icp_analyst"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class AnalystError(ValueError):
    """Bad input: an unknown tenant, a name that is taken or malformed, an unknown login."""


@dataclass(frozen=True)
class AnalystLogin:
    role_name: str
    tenant_id: str
    created_by: str
    created_at: datetime
    role_exists: bool


def default_role_name(tenant: str) -> str:
    """``analyst_<tenant>_<random>``: unique on a server shared by several product databases."""
    return f"analyst_{re.sub(r'[^a-z0-9_]', '_', tenant)[:40]}_{secrets.token_hex(3)}"


def _check_name(name: str) -> None:
    if not _NAME.match(name) or name.startswith("pg_"):
        raise AnalystError(
            f"analyst name {name!r}: use 1-63 lower-case letters, digits and _, starting with a letter (not pg_)"
        )


def add_analyst(conn: psycopg.Connection, tenant: str, name: str | None = None) -> tuple[str, str]:
    """Create a login for ``tenant``; returns (role name, generated password). Commits."""
    role = name or default_role_name(tenant)
    _check_name(role)
    password = secrets.token_urlsafe(24)
    with conn.transaction():
        if conn.execute("select 1 from icp.tenants where tenant_id = %s", (tenant,)).fetchone() is None:
            raise AnalystError(f"unknown tenant {tenant!r}")
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None:
            raise AnalystError(f"a role named {role!r} already exists on this server")
        conn.execute(
            sql.SQL("create role {} login password {} in role {}").format(
                sql.Identifier(role), sql.Literal(password), sql.Identifier(ANALYST_GROUP)
            )
        )
        conn.execute("insert into icp.analyst_logins (role_name, tenant_id) values (%s, %s)", (role, tenant))
    return role, password


def list_analysts(conn: psycopg.Connection) -> list[AnalystLogin]:
    """Every analyst login of this database, by tenant then name."""
    rows = conn.execute(
        "select l.role_name, l.tenant_id, l.created_by, l.created_at, r.rolname is not null"
        " from icp.analyst_logins l left join pg_roles r on r.rolname = l.role_name"
        " order by l.tenant_id, l.role_name"
    ).fetchall()
    return [AnalystLogin(*row) for row in rows]


def revoke_analyst(conn: psycopg.Connection, role: str) -> str:
    """Remove a login: its tenant mapping (so open sessions see no rows from then on) and its role.
    Returns the tenant it was mapped to. Commits."""
    with conn.transaction():
        row = conn.execute(
            "delete from icp.analyst_logins where role_name = %s returning tenant_id", (role,)
        ).fetchone()
        if row is None:
            raise AnalystError(f"no analyst login named {role!r} in this database")
        member = conn.execute(
            "select 1 from pg_auth_members m join pg_roles g on g.oid = m.roleid and g.rolname = %s"
            " join pg_roles r on r.oid = m.member and r.rolname = %s",
            (ANALYST_GROUP, role),
        ).fetchone()
        if member is not None:  # never drop a role this product did not create as an analyst
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
    return row[0]


def analyst_url(product_url: str, role: str, password: str) -> str:
    """The product database URL with the analyst's user and password (TCP or ``?host=/socket``)."""
    parts = urlsplit(product_url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
