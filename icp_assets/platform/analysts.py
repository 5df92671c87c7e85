"""Analyst logins: PostgreSQL roles that read one tenant's rows (and the public registry), nothing else.

Each login is a member of the group role ``icp_analyst`` and is mapped to one tenant in
``icp.analyst_logins``; the row-level security policies of migration 0004 (and of the dbt models'
post-hooks) let it select that tenant's rows only, and it holds no write privilege anywhere.
Roles are cluster-wide, so a login's name must be free on the whole server.

Nothing a login does may outlive its revocation (migration 0006): it cannot create temporary
tables or large objects in the product database, nor connect to the Dagster database, and it gets a
connection limit and statement and temp-file limits. Other databases of a shared server are the
administrator's (PUBLIC keeps CONNECT on ``postgres`` unless revoked there), so a revocation never
relies on prevention: the login is disabled and unmapped first, its sessions ended, then what it
owns in this database dropped, and only then is the role itself dropped.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

ANALYST_GROUP = "icp_analyst"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class AnalystError(ValueError):
    """Bad input: an unknown tenant, a name that is taken or malformed, an unknown login."""


class RoleNotDropped(RuntimeError):  # noqa: N818 (an outcome, not a failure of the revocation)
    """The login is disabled and unmapped, its sessions ended, but its role still owns objects
    (in another database of the server) and could not be dropped."""

    def __init__(self, role: str, tenant: str, reason: str):
        super().__init__(f"{role}: login disabled and unmapped; role not dropped: {reason}")
        self.role, self.tenant, self.reason = role, tenant, reason


@dataclass(frozen=True)
class AnalystLogin:
    role_name: str
    tenant_id: str
    created_by: str
    created_at: datetime
    role_exists: bool


def default_role_name() -> str:
    """``analyst_<random>``: unique on a server shared by several product databases, and telling
    nothing of the tenant (every login can read the names of all roles in pg_roles)."""
    return f"analyst_{secrets.token_hex(8)}"


def _check_name(name: str) -> None:
    if not _NAME.match(name) or name.startswith("pg_"):
        raise AnalystError(
            f"analyst name {name!r}: use 1-63 lower-case letters, digits and _, starting with a letter (not pg_)"
        )


def add_analyst(conn: psycopg.Connection, tenant: str, name: str | None = None) -> tuple[str, str]:
    """Create a login for ``tenant``; returns (role name, generated password). Commits."""
    role = name or default_role_name()
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
        if _has_hardening(conn):
            conn.execute("select icp.apply_analyst_limits(%s)", (role,))
            conn.execute("select icp.harden_product_databases()")  # the Dagster database may be new
    return role, password


def _has_hardening(conn: psycopg.Connection) -> bool:
    """Whether migration 0006's functions are installed."""
    return conn.execute("select to_regprocedure('icp.apply_analyst_limits(text)') is not null").fetchone()[0]


def list_analysts(conn: psycopg.Connection) -> list[AnalystLogin]:
    """Every analyst login of this database, by tenant then name."""
    rows = conn.execute(
        "select l.role_name, l.tenant_id, l.created_by, l.created_at, r.rolname is not null"
        " from icp.analyst_logins l left join pg_roles r on r.rolname = l.role_name"
        " order by l.tenant_id, l.role_name"
    ).fetchall()
    return [AnalystLogin(*row) for row in rows]


def revoke_analyst(conn: psycopg.Connection, role: str) -> str:
    """Remove a login; returns the tenant it was mapped to. Commits, step by step, so that no
    object the login made can keep it alive:

    1. in one committed transaction, the login is disabled (NOLOGIN, no password) and its tenant
       mapping deleted: from then on no session of it sees a tenant row, and none can start;
    2. its open sessions, in every database, are ended;
    3. whatever it owns in this database (large objects, say) is dropped and its privileges here
       revoked (DROP OWNED);
    4. the role is dropped. If it still owns objects elsewhere on the server (another database it
       could connect to), RoleNotDropped says so: the login stays disabled and unmapped.

    A role that is not a member of icp_analyst (not one this product made) is only unmapped."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError("revoke_analyst commits step by step: call it outside a transaction")
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
        if member is not None:  # never touch a role this product did not create as an analyst
            conn.execute(sql.SQL("alter role {} nologin password null").format(sql.Identifier(role)))
    tenant = row[0]
    if member is None:
        return tenant
    borrowed = False
    try:
        borrowed = _borrow_role(conn, role)
        with conn.transaction():
            conn.execute(
                "select pg_terminate_backend(pid, 5000) from pg_stat_activity"
                " where usename = %s and pid <> pg_backend_pid()",
                (role,),
            )
        with conn.transaction():  # committed on its own: kept when the role cannot be dropped
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        with conn.transaction():
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
        borrowed = False  # the membership went with the role
    except psycopg.Error as err:
        raise RoleNotDropped(role, tenant, _one_line(err)) from err
    finally:
        if borrowed:
            with conn.transaction():
                conn.execute(sql.SQL("revoke {} from current_user").format(sql.Identifier(role)))
    return tenant


def _borrow_role(conn: psycopg.Connection, role: str) -> bool:
    """Make the current user a member of ``role`` (committed) when it is not a superuser: ending a
    role's sessions and DROP OWNED need its privileges. True if a membership was granted."""
    with conn.transaction():  # every step in a block of its own, so each commits on any connection
        if conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]:
            return False
        conn.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
    return True


def _one_line(err: psycopg.Error) -> str:
    """The server's message and detail on one line ("...: 1 object in database postgres")."""
    diag = getattr(err, "diag", None)
    primary = (diag and diag.message_primary) or str(err).splitlines()[0]
    detail = "; ".join(line.strip() for line in ((diag and diag.message_detail) or "").splitlines() if line.strip())
    return f"{primary} ({detail})" if detail else primary


def analyst_url(product_url: str, role: str, password: str) -> str:
    """The product database URL with the analyst's user and password (TCP or ``?host=/socket``)."""
    parts = urlsplit(product_url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
