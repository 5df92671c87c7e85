"""`icp analyst add | list | revoke`: read-only logins mapped to one tenant."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors, sql

from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.platform.analysts import analyst_url, revoke_analyst
from icp_assets.platform.database import database_name, drop_database, with_database

TENANTS = ("acme", "globex")


@pytest.fixture
def url(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database with two tenants and one intake each; `icp` pointed at it."""
    with psycopg.connect(fresh_database_url) as conn:
        for tenant in TENANTS:
            conn.execute("insert into icp.tenants (tenant_id) values (%s)", (tenant,))
            conn.execute(
                "insert into icp.icp_intake_responses (tenant_id, website, website_domain, answers)"
                " values (%s, %s, %s, '{}')",
                (tenant, f"https://{tenant}.example", f"{tenant}.example"),
            )
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    return fresh_database_url


def _leftover_roles(url: str) -> None:
    """Roles are cluster-wide and outlive the test database: drop what a failed test left."""
    with psycopg.connect(url, autocommit=True) as conn:
        for (role,) in conn.execute("select role_name from icp.analyst_logins").fetchall():
            revoke_analyst(conn, role)


def test_add_prints_only_a_working_url(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        assert main(["analyst", "add", "--tenant", "acme"]) == EXIT_OK
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1  # the URL only: logs go to stderr
        login = lines[0]
        assert database_name(login) == database_name(url)
        role = login.split("://", 1)[1].split(":", 1)[0]
        assert re.fullmatch(r"analyst_[0-9a-f]{16}", role)  # the default name tells no tenant
        with psycopg.connect(login) as conn:
            assert conn.execute("select current_user").fetchone()[0] == role
            assert conn.execute("select tenant_id from icp.icp_intake_responses").fetchall() == [("acme",)]
            assert conn.execute("select tenant_id, role_name from icp.analyst_logins").fetchall() == [("acme", role)]
        # A second login for the same tenant gets its own name and password.
        assert main(["analyst", "add", "--tenant", "acme"]) == EXIT_OK
        other = capsys.readouterr().out.strip()
        assert other != login and other.split("@")[0] != login.split("@")[0]
    finally:
        _leftover_roles(url)


def test_list_and_revoke(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    name = f"analyst_t{uuid.uuid4().hex[:8]}"
    try:
        assert main(["analyst", "add", "--tenant", "globex", "--name", name]) == EXIT_OK
        login = capsys.readouterr().out.strip()
        assert login.split("://", 1)[1].startswith(f"{name}:")

        assert main(["analyst", "list"]) == EXIT_OK
        listed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
        assert [(row[0], row[1]) for row in listed] == [(name, "globex")]

        with psycopg.connect(login) as conn:
            assert conn.execute("select tenant_id from icp.tenants").fetchall() == [("globex",)]

        assert main(["analyst", "revoke", name]) == EXIT_OK
        assert capsys.readouterr().out.strip() == f"revoked {name} (tenant globex)"
        assert main(["analyst", "list"]) == EXIT_OK
        assert capsys.readouterr().out == ""
        with psycopg.connect(url) as conn:
            assert conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is None
        with pytest.raises(psycopg.OperationalError):  # the role is gone: no login any more
            psycopg.connect(login, connect_timeout=5).close()
    finally:
        _leftover_roles(url)


def test_bad_input_exits_2_and_creates_nothing(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    name = f"analyst_t{uuid.uuid4().hex[:8]}"
    try:
        assert main(["analyst", "add", "--tenant", "nosuchtenant", "--name", name]) == EXIT_BAD_INPUT
        captured = capsys.readouterr()
        assert captured.out == "" and "unknown tenant 'nosuchtenant'" in captured.err

        for bad in ("Robert'); drop table icp.tenants; --", "pg_reader", "1abc", "x" * 64):
            assert main(["analyst", "add", "--tenant", "acme", "--name", bad]) == EXIT_BAD_INPUT
            assert "analyst name" in capsys.readouterr().err

        assert main(["analyst", "add", "--tenant", "acme", "--name", name]) == EXIT_OK
        capsys.readouterr()
        assert main(["analyst", "add", "--tenant", "globex", "--name", name]) == EXIT_BAD_INPUT
        assert "already exists" in capsys.readouterr().err
        # A role that exists on the server but is no analyst of this database is never touched.
        assert main(["analyst", "add", "--tenant", "acme", "--name", "icp_owner"]) == EXIT_BAD_INPUT
        capsys.readouterr()
        assert main(["analyst", "revoke", "icp_owner"]) == EXIT_BAD_INPUT
        assert main(["analyst", "revoke", "nobody_here"]) == EXIT_BAD_INPUT
        assert "no analyst login named 'nobody_here'" in capsys.readouterr().err

        with psycopg.connect(url) as conn:
            assert conn.execute("select role_name, tenant_id from icp.analyst_logins").fetchall() == [(name, "acme")]
            assert conn.execute("select count(*) from pg_roles where rolname = 'icp_owner'").fetchone()[0] == 1
            assert conn.execute("select count(*) from icp.tenants").fetchone()[0] == 2
    finally:
        _leftover_roles(url)


def test_analyst_login_is_read_only(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        assert main(["analyst", "add", "--tenant", "acme"]) == EXIT_OK
        login = capsys.readouterr().out.strip()
        with psycopg.connect(login, autocommit=True) as conn:
            for statement in (
                "insert into icp.tenants (tenant_id) values ('evil')",
                "update icp.icp_intake_responses set website = 'x'",
                "delete from icp.icp_intake_responses",
                "truncate icp.tenants",
                "create table icp.scratch (x int)",
                "create role sneaky",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement)
    finally:
        _leftover_roles(url)


def test_analyst_url_keeps_the_server_and_encodes_the_password() -> None:
    socket = analyst_url("postgresql://postgres:@/icp?host=/tmp/pg dir", "analyst_a", "p@ss/w:rd")
    assert socket == "postgresql://analyst_a:p%40ss%2Fw%3Ard@/icp?host=/tmp/pg dir"
    tcp = analyst_url("postgresql://owner:secret@db.example:6543/icp?sslmode=require", "analyst_a", "pw")
    assert tcp == "postgresql://analyst_a:pw@db.example:6543/icp?sslmode=require"


# --- nothing a login makes outlives its session or its revocation -----------------------------------


def _role_of(login: str) -> str:
    return login.split("://", 1)[1].split(":", 1)[0]


def _add(tenant: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["analyst", "add", "--tenant", tenant]) == EXIT_OK
    return capsys.readouterr().out.strip()


def test_a_login_can_create_nothing_that_outlives_its_session(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        login = _add("acme", capsys)
        with psycopg.connect(login, autocommit=True) as conn:
            for statement in (
                "create temporary table scratch (x int)",
                "select lo_from_bytea(0, 'x')",
                "select lo_creat(-1)",
                "select lo_create(0)",
                "select lo_import('/etc/hostname')",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement)
            shown = dict(
                conn.execute(
                    "select name, setting from pg_settings where name in ('statement_timeout', 'temp_file_limit')"
                ).fetchall()
            )
            assert shown["statement_timeout"] == "60000"
            assert int(shown["temp_file_limit"]) > 0  # a superuser pipeline can set it
        with psycopg.connect(url) as conn:
            limit = conn.execute("select rolconnlimit from pg_roles where rolname = %s", (_role_of(login),)).fetchone()
            assert limit == (5,)
            conn.execute("create temporary table pipeline_scratch (x int)")  # dbt's incremental models need it
    finally:
        _leftover_roles(url)


def test_revoke_ends_the_logins_open_sessions(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        login = _add("acme", capsys)
        session = psycopg.connect(login, autocommit=True)
        assert session.execute("select count(*) from icp.icp_intake_responses").fetchone() == (1,)
        assert main(["analyst", "revoke", _role_of(login)]) == EXIT_OK
        with pytest.raises(psycopg.OperationalError):
            session.execute("select 1")
        session.close()
    finally:
        _leftover_roles(url)


@pytest.fixture
def other_database(url: str) -> Iterator[str]:
    """Another database on the server where PUBLIC keeps CONNECT and TEMP (as `postgres` has on most servers)."""
    other = with_database(url, f"icp_other_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(database_name(other))))
    yield other
    drop_database(other)


def test_a_login_owning_objects_elsewhere_is_disabled_unmapped_and_exits_2(
    url: str, other_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    login = _add("globex", capsys)
    role = _role_of(login)
    try:
        elsewhere = psycopg.connect(with_database(login, database_name(other_database)), autocommit=True)
        elsewhere.execute("select lo_from_bytea(0, 'keeps the role alive')")  # permanent, and not ours to drop
        here = psycopg.connect(login, autocommit=True)

        assert main(["analyst", "revoke", role]) == EXIT_BAD_INPUT
        captured = capsys.readouterr()
        assert captured.out == "" and "Traceback" not in captured.err
        assert len(captured.err.splitlines()) == 1
        assert captured.err.startswith(f"analyst revoke: {role}: login disabled and unmapped; role not dropped: ")
        assert database_name(other_database) in captured.err  # where the objects are

        for session in (here, elsewhere):
            with pytest.raises(psycopg.OperationalError):
                session.execute("select 1")
            session.close()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(login, connect_timeout=5).close()
        with psycopg.connect(url) as conn:
            assert conn.execute("select count(*) from icp.analyst_logins").fetchone() == (0,)
            assert conn.execute("select rolcanlogin from pg_roles where rolname = %s", (role,)).fetchone() == (False,)
        assert main(["analyst", "list"]) == EXIT_OK
        assert capsys.readouterr().out == ""
    finally:
        drop_database(other_database)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        _leftover_roles(url)


def test_the_dagster_database_is_closed_to_analysts(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    dagster = with_database(url, database_name(url) + "_dagster")
    with psycopg.connect(url, autocommit=True) as conn:  # what `icp run` creates after migrating
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(database_name(dagster))))
    try:
        login = _add("acme", capsys)
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(with_database(login, database_name(dagster)), connect_timeout=5).close()
        psycopg.connect(dagster).close()  # the pipeline's login still reaches it
    finally:
        _leftover_roles(url)
        drop_database(dagster)
