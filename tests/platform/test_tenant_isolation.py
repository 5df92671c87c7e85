"""Tenant isolation on a real PostgreSQL: two tenants' data through a full dbt build, then an analyst
login of one tenant (made with `icp analyst add`) reading every relation with a tenant_id.

The pipeline runs once as the test server's superuser and once as a plain login that owns the
database and is a member of `icp_owner`: FORCE ROW LEVEL SECURITY applies to that owner, so the
build only works through the explicit `icp_owner_all` policies.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.platform.analysts import analyst_url, revoke_analyst
from icp_assets.platform.database import database_name, drop_database, with_database
from icp_assets.platform.db import migrate
from icp_assets.platform.dbt_runner import run_dbt
from tests.dbt import fixture_data as fixture

pytestmark = pytest.mark.slow

A, B = fixture.STOCKWISE, fixture.COLDBOX
TENANT_SCHEMAS = ("icp", "staging", "intermediate", "marts")
ALL_SCHEMAS = (*TENANT_SCHEMAS, "registry", "public")


def _add_published_rows(url: str, responses: dict[str, int]) -> None:
    """Rows the Python stages and commands write after dbt (cards, rules, audit, seed confirmations), for both tenants, so every
    `icp` table with a tenant_id has rows of each."""
    with psycopg.connect(url) as conn:
        for tenant in (A, B):
            response = responses[tenant]
            conn.execute(
                "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card,"
                " evidence_count) values (%s, %s, %s, 1, %s, %s, 3)",
                (tenant, response, f"{tenant}-card", f"{tenant} card", Jsonb({"tenant": tenant})),
            )
            conn.execute(
                "insert into icp.icp_rules (tenant_id, response_id, suggestion_id, rule, accepted_by)"
                " values (%s, %s, %s, %s, 'test')",
                (tenant, response, f"{tenant}-card", Jsonb({"tenant": tenant})),
            )
            conn.execute(
                "insert into icp.audit_log (tenant_id, actor, action) values (%s, 'test', 'accept')", (tenant,)
            )
            conn.execute(
                "insert into icp.seed_confirmations (tenant_id, seed_key, seed_name, confirmed_by)"
                " values (%s, 'ACME', 'Acme', 'test')",
                (tenant,),
            )
        conn.execute("insert into icp.audit_log (tenant_id, actor, action) values (null, 'test', 'registry_load')")


def _build(url: str) -> None:
    responses = fixture.insert_fixture(url)
    _add_published_rows(url, responses)
    work_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt"
    try:
        run_dbt(url, ["build"], work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["superuser", "owner_login"])
def pipeline(request: pytest.FixtureRequest, server_url: str, make_database: Callable[[], str]) -> Iterator[dict]:
    """{'url': the pipeline's URL, 'admin': a superuser URL to the same database}, built."""
    if request.param == "superuser":
        url = make_database()
        _build(url)
        yield {"url": url, "admin": url}
        return
    make_database()  # a migrated database on this server: the group roles exist
    role, password = f"icp_pipe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    name = f"icp_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create role {} login createrole password {}").format(sql.Identifier(role), sql.Literal(password))
        )
        # What an administrator does once for a non-superuser pipeline login (PostgreSQL 16 lets a
        # CREATEROLE login grant only roles it administers).
        conn.execute(sql.SQL("grant icp_owner, icp_analyst to {} with admin option").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(role)))
    admin = with_database(server_url, name)
    url = with_database(analyst_url(server_url, role, password), name)
    try:
        with psycopg.connect(url) as conn:
            assert not conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
        migrate(url)
        _build(url)
        yield {"url": url, "admin": admin}
    finally:
        drop_database(admin)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def _icp(pipeline_url: str, *arguments: str) -> tuple[int, str, str]:
    """`icp ARGUMENTS` against the pipeline's database: (exit code, stdout, stderr)."""
    saved = os.environ.get("ICP_DATABASE_URL")
    os.environ["ICP_DATABASE_URL"] = pipeline_url
    out, err = io.StringIO(), io.StringIO()  # capsys is function-scoped; fixtures here are module-scoped
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(arguments))
    finally:
        _restore("ICP_DATABASE_URL", saved)
    return code, out.getvalue(), err.getvalue()


def _add_login(pipeline: dict, tenant: str = A) -> str:
    """The URL `icp analyst add --tenant T` prints, run against the pipeline's database."""
    code, out, err = _icp(pipeline["url"], "analyst", "add", "--tenant", tenant)
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert len(lines) == 1, out  # the URL is the only line on stdout
    url = lines[0]
    assert database_name(url) == database_name(pipeline["url"])
    assert re.fullmatch(r"analyst_[0-9a-f]{16}", _role(url))  # no tenant id in a name every login can read
    return url


def _role(login: str) -> str:
    return login.split("://", 1)[1].split(":", 1)[0]


@pytest.fixture(scope="module")
def analyst(pipeline: dict) -> Iterator[str]:
    """The URL `icp analyst add --tenant stockwise` prints, run against the pipeline's database."""
    url = _add_login(pipeline)
    yield url
    with psycopg.connect(pipeline["url"], autocommit=True) as conn:
        revoke_analyst(conn, _role(url))


def _restore(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def _tenant_relations(url: str) -> list[str]:
    """Every table and view with a tenant_id column in the tenant schemas, as the admin sees them."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select format('%%I.%%I', table_schema, table_name) from information_schema.columns"
            " where column_name = 'tenant_id' and table_schema = any(%s) order by 1",
            (list(TENANT_SCHEMAS),),
        ).fetchall()
    return [r[0] for r in rows]


def _counts(conn: psycopg.Connection, relation: str) -> dict[str | None, int]:
    return dict(conn.execute(f"select tenant_id::text, count(*) from {relation} group by 1").fetchall())


def test_analyst_reads_only_its_tenant(pipeline: dict, analyst: str) -> None:
    relations = _tenant_relations(pipeline["admin"])
    for expected in ("icp.icp_evidence", "staging.stg_icp__evidence", "intermediate.int_seed_attributes"):
        assert expected in relations
    assert sum(r.startswith("marts.") for r in relations) >= 8
    with psycopg.connect(pipeline["admin"]) as admin, psycopg.connect(analyst) as mine:
        assert mine.execute("select current_user").fetchone()[0] == analyst.split("://")[1].split(":")[0]
        with_rows_of_a = with_rows_of_b = 0
        for relation in relations:
            truth = _counts(admin, relation)
            seen = _counts(mine, relation)
            assert set(seen) <= {A}, (relation, seen)  # not one row of coldbox, nor of no tenant
            if relation == "icp.analyst_logins":
                assert seen == {A: 1}  # its own login only
            else:
                assert seen.get(A, 0) == truth.get(A, 0), (relation, seen, truth)
            with_rows_of_a += seen.get(A, 0) > 0
            with_rows_of_b += truth.get(B, 0) > 0
        # The check means something: nearly every relation holds rows of both tenants.
        assert with_rows_of_a >= len(relations) - 2 and with_rows_of_b >= len(relations) - 4

        # The pipeline's login sees every tenant (superuser, or icp_owner under forced RLS).
        with psycopg.connect(pipeline["url"]) as owner:
            for relation in relations:
                assert _counts(owner, relation) == _counts(admin, relation), relation

        # Its cards, with no tenant filter in the query.
        cards = mine.execute("select tenant_id, rank, title from marts.icp_suggestions order by rank").fetchall()
        assert 3 <= len(cards) <= 5 and {c[0] for c in cards} == {A}
        joined = mine.execute(
            "select count(*) from marts.icp_suggestions s join marts.icp_audience a using (suggestion_id)"
        ).fetchone()[0]
        assert joined == len(cards)

        # Companies are shared by tenants: only those its own tenant's data names.
        own = {
            r[0]
            for r in admin.execute(
                "select company_id from icp.customer_seeds where tenant_id = %(t)s"
                " union select company_id from icp.icp_evidence where tenant_id = %(t)s"
                " union select company_id from icp.crawl_outcomes where tenant_id = %(t)s",
                {"t": A},
            )
            if r[0] is not None
        }
        visible = {r[0] for r in mine.execute("select company_id from icp.companies")}
        assert visible == own
        assert {r[0] for r in mine.execute("select company_id from staging.stg_icp__companies")} == own
        assert admin.execute("select count(*) from icp.companies").fetchone()[0] > len(own)

        # The public registry, raw and modelled.
        for relation in (
            "registry.acra_entities",
            "registry.ssic_codes",
            "staging.stg_registry__acra_entities",
            "intermediate.int_registry_live_entities",
            "intermediate.int_registry_segments",
        ):
            assert mine.execute(f"select count(*) from {relation}").fetchone()[0] > 0, relation


def test_analyst_cannot_read_untenanted_data(pipeline: dict, analyst: str) -> None:
    for relation in (
        "icp.crawl_pages",
        "icp.llm_cache",
        "icp.crawl_cache",
        "registry.match_index",
        "public.icp_schema_migrations",
    ):
        with psycopg.connect(analyst, autocommit=True) as mine, pytest.raises(errors.InsufficientPrivilege):
            mine.execute(f"select count(*) from {relation}")


WRITES = [
    "insert into {rel} (tenant_id) values ('{a}')",
    "update {rel} set tenant_id = tenant_id",
    "delete from {rel}",
    "truncate {rel}",
    "alter table {rel} disable row level security",
    "alter table {rel} no force row level security",
    "drop table {rel}",
]


@pytest.mark.parametrize("relation", ["marts.icp_suggestions", "intermediate.int_seed_attributes", "icp.icp_evidence"])
def test_analyst_writes_are_refused(pipeline: dict, analyst: str, relation: str) -> None:
    with psycopg.connect(analyst, autocommit=True) as mine:
        for statement in WRITES:
            with pytest.raises(errors.InsufficientPrivilege):
                mine.execute(statement.format(rel=relation, a=A))
    with psycopg.connect(pipeline["admin"]) as admin:
        assert admin.execute(f"select count(*) from {relation} where tenant_id = %s", (B,)).fetchone()[0] > 0


def test_analyst_cannot_create_remap_or_escalate(pipeline: dict, analyst: str) -> None:
    role = analyst.split("://")[1].split(":")[0]
    with psycopg.connect(analyst, autocommit=True) as mine:
        for schema in ALL_SCHEMAS:
            with pytest.raises(errors.InsufficientPrivilege):
                mine.execute(f"create table {schema}.analyst_scratch (tenant_id text)")
            with pytest.raises(errors.InsufficientPrivilege):
                mine.execute(f"create view {schema}.analyst_scratch as select 1 as x")
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("insert into icp.analyst_logins (role_name, tenant_id) values (%s, %s)", (role, B))
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("update icp.analyst_logins set tenant_id = %s", (B,))
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("insert into registry.ssic_codes (code, level, title) values ('Z', 'section', 'x')")
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("set role icp_owner")
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("select icp.apply_tenant_isolation('marts.icp_suggestions')")
        # Its group role has no tenant: acting as it shows nothing.
        mine.execute("set role icp_analyst")
        assert mine.execute("select count(*) from marts.icp_suggestions").fetchone()[0] == 0


def test_every_tenant_relation_is_isolated(pipeline: dict) -> None:
    """The catalogue view of it: RLS enabled and forced with both policies on every table with a
    tenant_id, and every such view a security_invoker view."""
    with psycopg.connect(pipeline["admin"]) as conn:
        rows = conn.execute(
            "select n.nspname || '.' || c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,"
            " coalesce('security_invoker=true' = any(c.reloptions), false),"
            " array(select polname::text from pg_policy where polrelid = c.oid order by 1)"
            " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'"
            " where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v')",
            (list(TENANT_SCHEMAS),),
        ).fetchall()
    assert len(rows) > 20
    for name, kind, enabled, forced, invoker, policies in rows:
        if kind == "v":
            assert invoker, name
        elif name == "icp.analyst_logins":
            assert enabled and forced and policies == ["icp_analyst_self", "icp_owner_all"]
        else:
            assert enabled and forced and policies == ["icp_analyst_tenant", "icp_owner_all"], name


# --- nothing an analyst makes outlives its session or its revocation --------------------------------


def _is_superuser(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]


def test_analyst_gets_limits_and_no_lasting_objects(pipeline: dict, analyst: str, server_url: str) -> None:
    superuser = _is_superuser(pipeline["url"])
    with psycopg.connect(analyst, autocommit=True) as mine:
        with pytest.raises(errors.InsufficientPrivilege):
            mine.execute("create temporary table scratch (x int)")
        if superuser:  # EXECUTE on pg_catalog's large-object functions is the bootstrap superuser's to revoke
            for call in ("select lo_from_bytea(0, 'x')", "select lo_creat(-1)", "select lo_create(0)"):
                with pytest.raises(errors.InsufficientPrivilege):
                    mine.execute(call)
        shown = dict(
            mine.execute(
                "select name, setting from pg_settings where name in ('statement_timeout', 'temp_file_limit')"
            ).fetchall()
        )
        assert shown["statement_timeout"] == "60000"
        assert (int(shown["temp_file_limit"]) > 0) == superuser  # a superuser may set it for a role
    with psycopg.connect(pipeline["admin"]) as admin:
        limit = admin.execute("select rolconnlimit from pg_roles where rolname = %s", (_role(analyst),)).fetchone()
        assert limit == (5,)

    # The pipeline keeps TEMPORARY (dbt's incremental models): a plain member of icp_owner too.
    member, password = f"icp_member_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(member), sql.Literal(password)))
        conn.execute(sql.SQL("grant icp_owner to {}").format(sql.Identifier(member)))
    try:
        with psycopg.connect(with_database(analyst_url(server_url, member, password), database_name(analyst))) as conn:
            conn.execute("create temporary table pipeline_scratch (x int)")
            # Dropped here: a closed session's temp tables go asynchronously, and would block the drop role below.
            conn.execute("drop table pipeline_scratch")
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(member)))


def test_revoke_ends_access_even_when_the_login_owns_objects_elsewhere(pipeline: dict, server_url: str) -> None:
    """A login with an open session, a large object in this database (where the pipeline could not
    revoke the functions) and one in another database it can connect to: revoke ends every session,
    drops what it owns here, disables and unmaps it, and says in one line why the role stays."""
    login = _add_login(pipeline, B)
    role = _role(login)
    other = f"icp_other_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(other)))
    try:
        here = psycopg.connect(login, autocommit=True)
        if not _is_superuser(pipeline["url"]):
            here.execute("select lo_from_bytea(0, 'x')")
        elsewhere = psycopg.connect(with_database(login, other), autocommit=True)
        elsewhere.execute("select lo_from_bytea(0, 'keeps the role alive')")
        elsewhere.execute("create temporary table scratch (x int)")

        code, out, err = _icp(pipeline["url"], "analyst", "revoke", role)
        assert code == EXIT_BAD_INPUT and out == "" and "Traceback" not in err
        assert len(err.splitlines()) == 1 and other in err
        assert err.startswith(f"analyst revoke: {role}: login disabled and unmapped; role not dropped: ")

        for session in (here, elsewhere):
            with pytest.raises(psycopg.OperationalError):
                session.execute("select 1")
            session.close()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(login, connect_timeout=5).close()
        with psycopg.connect(pipeline["admin"]) as admin:
            mapped = admin.execute("select count(*) from icp.analyst_logins where role_name = %s", (role,)).fetchone()
            assert mapped == (0,)
            owned = admin.execute(
                "select count(*) from pg_largeobject_metadata m join pg_roles r on r.oid = m.lomowner"
                " where r.rolname = %s",
                (role,),
            ).fetchone()
            assert owned == (0,)  # what it owned here is gone
            assert admin.execute("select rolcanlogin from pg_roles where rolname = %s", (role,)).fetchone() == (False,)
        if not _is_superuser(pipeline["url"]):  # it gave back the role it borrowed to end sessions
            with psycopg.connect(pipeline["url"]) as owner:
                assert owner.execute("select pg_has_role(current_user, %s, 'USAGE')", (role,)).fetchone() == (False,)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(other)))
        with psycopg.connect(pipeline["admin"], autocommit=True) as conn:
            if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
