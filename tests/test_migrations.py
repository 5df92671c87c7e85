"""Schema migrations on a real PostgreSQL: complete, idempotent, and enforcing the data rules."""

from __future__ import annotations

import psycopg
import pytest

from icp_assets.db import migrate, migration_files

EXPECTED_TABLES = {
    "icp.tenants",
    "icp.icp_intake_responses",
    "icp.customer_seeds",
    "icp.companies",
    "icp.seed_matches",
    "icp.crawl_pages",
    "icp.crawl_outcomes",
    "icp.icp_evidence",
    "icp.icp_suggestions",
    "icp.icp_rules",
    "icp.audit_log",
    "registry.acra_entities",
    "registry.ssic_codes",
    "registry.ssic_index",
}


def test_migrations_create_every_table_once(fresh_database_url: str) -> None:
    assert migrate(fresh_database_url) == []  # the fixture applied them already
    with psycopg.connect(fresh_database_url) as conn:
        tables = {
            f"{s}.{t}"
            for s, t in conn.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in ('icp', 'registry')"
            )
        }
        applied = [v for (v,) in conn.execute("select version from public.icp_schema_migrations order by 1")]
    assert EXPECTED_TABLES <= tables
    assert applied == [version for version, _ in migration_files()]


def test_every_foreign_key_and_lookup_column_is_indexed(fresh_database_url: str) -> None:
    """Each column the pipeline filters or joins on leads some index."""
    lookups = {
        ("icp_intake_responses", "tenant_id"),
        ("customer_seeds", "tenant_id"),
        ("customer_seeds", "company_id"),
        ("seed_matches", "tenant_id"),
        ("seed_matches", "uen"),
        ("crawl_pages", "company_id"),
        ("crawl_pages", "url"),
        ("icp_evidence", "tenant_id"),
        ("icp_evidence", "company_id"),
        ("companies", "domain"),
        ("acra_entities", "uen"),
        ("acra_entities", "primary_ssic_code"),
        ("audit_log", "tenant_id"),
    }
    with psycopg.connect(fresh_database_url) as conn:
        leading = set(
            conn.execute(
                "select t.relname, a.attname from pg_index i join pg_class t on t.oid = i.indrelid"
                " join pg_namespace n on n.oid = t.relnamespace and n.nspname in ('icp', 'registry')"
                " join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]"
            ).fetchall()
        )
    assert lookups <= leading


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
        assert conn.execute("select code from registry.ssic_codes").fetchone()[0] == "01111"
