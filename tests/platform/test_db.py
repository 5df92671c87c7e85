"""Schema migrations on a real PostgreSQL: complete, applied once (even concurrently), and enforcing the data rules."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from icp_assets.platform.database import drop_database, with_database
from icp_assets.platform.db import migrate, migration_files
from icp_assets.platform.dbt_runner import DBT_PROJECT_DIR

VERSIONS = [version for version, _ in migration_files()]


@pytest.fixture
def blank_url(server_url: str) -> Iterator[str]:
    """A database name nobody has created yet; dropped afterwards."""
    url = with_database(server_url, f"icp_blank_{uuid.uuid4().hex[:10]}")
    yield url
    drop_database(url)


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {
            f"{s}.{t}"
            for s, t in conn.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in ('icp', 'registry')"
            )
        }


def _applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [v for (v,) in conn.execute("select version from public.icp_schema_migrations order by 1")]


def test_migrate_creates_the_database_and_applies_each_migration_once(blank_url: str) -> None:
    assert VERSIONS == sorted(VERSIONS) and len(VERSIONS) >= 2
    assert migrate(blank_url) == VERSIONS
    tables = _tables(blank_url)
    assert migrate(blank_url) == []
    assert _applied(blank_url) == VERSIONS and _tables(blank_url) == tables


def test_concurrent_migrations_apply_each_version_exactly_once(blank_url: str) -> None:
    """Two assets may migrate a database that does not exist yet at the same moment."""
    applied: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            applied.append(migrate(blank_url))
        except BaseException as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(v for versions in applied for v in versions) == VERSIONS  # one thread applied them all
    assert _applied(blank_url) == VERSIONS


def test_commands_hardening_the_databases_at_once_all_succeed(blank_url: str) -> None:
    """`icp run`, `icp ui` and `icp analyst add` each harden the product's databases; at once, none fails."""
    migrate(blank_url)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def harden() -> None:
        try:
            with psycopg.connect(blank_url, autocommit=True) as conn:
                start.wait()
                for _ in range(25):
                    conn.execute("select icp.harden_product_databases()")
        except BaseException as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=harden) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_every_table_dbt_reads_exists(fresh_database_url: str) -> None:
    """The dbt sources are the tables the Python side must provide."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    sources = {f"{s['schema']}.{s['identifier']}" for s in manifest["sources"].values()}
    assert sources
    assert sources <= _tables(fresh_database_url)


def test_every_foreign_key_and_lookup_column_is_indexed(fresh_database_url: str) -> None:
    """Each column the pipeline looks rows up by leads some index; each foreign key column is in
    one (after tenant_id where lookups are per tenant), so joins and cascades need no scan."""
    lookups = {
        ("icp", "icp_intake_responses", "tenant_id"),
        ("icp", "customer_seeds", "company_id"),
        ("icp", "seed_matches", "tenant_id"),
        ("icp", "seed_matches", "uen"),
        ("icp", "crawl_pages", "company_id"),
        ("icp", "crawl_pages", "url"),
        ("icp", "icp_evidence", "tenant_id"),
        ("icp", "icp_evidence", "company_id"),
        ("icp", "companies", "domain"),
        ("registry", "acra_entities", "uen"),
        ("registry", "acra_entities", "primary_ssic_code"),
        ("icp", "audit_log", "tenant_id"),
    }
    with psycopg.connect(fresh_database_url) as conn:
        foreign_keys = set(
            conn.execute(
                "select n.nspname, t.relname, a.attname from pg_constraint c"
                " join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace"
                " join pg_attribute a on a.attrelid = t.oid and a.attnum = c.conkey[1]"
                " where c.contype = 'f' and n.nspname in ('icp', 'registry')"
            ).fetchall()
        )
        indexed = set(
            conn.execute(
                "select n.nspname, t.relname, a.attname, k.position from pg_index i"
                " join pg_class t on t.oid = i.indrelid"
                " join pg_namespace n on n.oid = t.relnamespace and n.nspname in ('icp', 'registry')"
                " cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, position)"
                " join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum"
            ).fetchall()
        )
    leading = {(s, t, c) for s, t, c, position in indexed if position == 1}
    in_some_index = {(s, t, c) for s, t, c, _ in indexed}
    assert len(foreign_keys) > 5
    assert sorted(lookups - leading) == []
    assert sorted(foreign_keys - in_some_index) == []


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "insert into registry.acra_entities (uen, entity_name, primary_ssic_code) values ('1', 'X', '6201')",
            "acra_entities_primary_ssic_code_check",
        ),
        (
            "insert into registry.acra_entities (uen, entity_name, postal_code) values ('1', 'X', '18956')",
            "acra_entities_postal_code_check",
        ),
        ("insert into icp.tenants (tenant_id) values ('Has Spaces')", "tenants_tenant_id_check"),
        (
            "insert into icp.tenants (tenant_id) values ('t'); insert into icp.icp_intake_responses"
            " (tenant_id, website, website_domain, answers) values ('t', 'x', 'x', '{}');"
            " insert into icp.customer_seeds (response_id, tenant_id, kind, name)"
            " values (currval('icp.icp_intake_responses_response_id_seq'), 't', 'maybe', 'n')",
            "customer_seeds_kind_check",
        ),
    ],
)
def test_constraints_reject_bad_rows(fresh_database_url: str, statement: str, message: str) -> None:
    with psycopg.connect(fresh_database_url) as conn, pytest.raises(psycopg.errors.CheckViolation, match=message):
        conn.execute(statement)


def test_ssic_codes_keep_leading_zeros(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute(
            "insert into registry.ssic_codes (code, level, title) values ('01111', 'subclass', 'Growing of leafy vegetables')"
        )
        conn.execute(
            "insert into registry.acra_entities (uen, entity_name, primary_ssic_code) values ('1', 'X', '01111')"
        )
        assert conn.execute(
            "select c.code from registry.ssic_codes c join registry.acra_entities e on e.primary_ssic_code = c.code"
        ).fetchone() == ("01111",)
