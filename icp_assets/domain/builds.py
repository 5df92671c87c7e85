"""Which tenants a dbt build needs: a tenant is built when its inputs changed since its last build.

A tenant's inputs are digested in SQL from every row its models read (its current intake, seeds,
matches, evidence and crawl outcomes, or for the scoring models its scored accounts), leaving out
row ids and timestamps that a re-run rewrites with nothing new, plus what every tenant shares: the
registry's content and the dbt project's version. A fleet refresh builds the tenants whose digest
differs from their last build's (icp.tenant_builds) and then publishes the cards of the tenants
built since their cards were last published; run twice, the second run builds and publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from typing import Any

import psycopg

log = logging.getLogger(__name__)

TENANT_MODELS = "tenant"
SCORING_MODELS = "scoring"

# Per model set: (table, columns left out of the digest, how the table's rows reach the tenant).
# Row ids and timestamps a re-run rewrites are left out; a re-crawl that finds the same facts
# changes nothing.
_CURRENT_INTAKE = (
    "response_id = (select max(response_id) from icp.icp_intake_responses r where r.tenant_id = t.tenant_id)"
)
_INPUTS: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    TENANT_MODELS: (
        ("icp.tenants", ("created_at",), "x.tenant_id = t.tenant_id"),
        ("icp.icp_intake_responses", ("submitted_at",), f"x.tenant_id = t.tenant_id and x.{_CURRENT_INTAKE}"),
        ("icp.customer_seeds", (), f"x.tenant_id = t.tenant_id and x.{_CURRENT_INTAKE}"),
        ("icp.seed_matches", ("matched_at",), "x.tenant_id = t.tenant_id"),
        ("icp.icp_evidence", ("evidence_id", "observed_at"), "x.tenant_id = t.tenant_id"),
        ("icp.crawl_outcomes", ("crawled_at", "last_success_at"), "x.tenant_id = t.tenant_id"),
    ),
    SCORING_MODELS: (
        (
            "icp.account_scores",
            ("account_id", "submitted_at", "crawl_attempted_at", "graded_at"),
            "x.tenant_id = t.tenant_id",
        ),
    ),
}


def project_version(manifest: Mapping[str, Any]) -> str:
    """The dbt project's version: a digest of what its manifest says the models, tests, seeds and
    macros are (their checksums, SQL and configs), so a changed model rebuilds every tenant; the
    time the manifest was written, which every parse changes, is left out."""
    parts = {unique_id: [node.get("checksum"), node.get("config")] for unique_id, node in manifest["nodes"].items()} | {
        unique_id: macro.get("macro_sql") for unique_id, macro in manifest["macros"].items()
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _shared_inputs(conn: psycopg.Connection) -> str:
    """What every tenant's build reads in common: the registry's and the SSIC reference's content."""
    row = conn.execute(
        "select (select count(*) || '/' || coalesce(max(loaded_at)::text, '') from registry.acra_entities),"
        " (select count(*) from registry.ssic_codes), (select count(*) from registry.ssic_index)"
    ).fetchone()
    return "|".join(str(value) for value in row)


def input_digests(conn: psycopg.Connection, tenants: Collection[str], models: str, project: str) -> dict[str, str]:
    """tenant id -> digest of everything the tenant's ``models`` read, for the tenants that exist."""
    parts = [
        f"(select md5(coalesce(string_agg((to_jsonb(x) - %s::text[])::text, ',' order by (to_jsonb(x) - %s::text[])::text), ''))"
        f" from {table} x where {scope})"
        for table, _, scope in _INPUTS[models]
    ]
    params: list = []
    for _, left_out, _ in _INPUTS[models]:
        params += [list(left_out), list(left_out)]
    rows = conn.execute(
        f"select t.tenant_id, md5(concat_ws('|', {', '.join(parts)})) from icp.tenants t where t.tenant_id = any(%s)",
        [*params, sorted(tenants)],
    ).fetchall()
    shared = f"{project}|{_shared_inputs(conn)}"
    return {tenant: hashlib.sha256(f"{shared}|{digest}".encode()).hexdigest()[:32] for tenant, digest in rows}


def tenants_to_build(conn: psycopg.Connection, tenants: Collection[str], models: str, project: str) -> dict[str, str]:
    """tenant id -> new digest, for the tenants whose inputs changed since their last build."""
    digests = input_digests(conn, tenants, models, project)
    built = dict(
        conn.execute(
            "select tenant_id, inputs_digest from icp.tenant_builds where models = %s and tenant_id = any(%s)",
            (models, sorted(digests)),
        ).fetchall()
    )
    changed = {tenant: digest for tenant, digest in digests.items() if built.get(tenant) != digest}
    log.info("stage=dbt models=%s tenants=%d changed=%d", models, len(digests), len(changed))
    return changed


def record_builds(conn: psycopg.Connection, digests: dict[str, str], models: str) -> None:
    """Remember what the tenants' ``models`` were just built from."""
    with conn.transaction():
        conn.cursor().executemany(
            "insert into icp.tenant_builds (tenant_id, models, inputs_digest) values (%s, %s, %s)"
            " on conflict (tenant_id, models) do update set inputs_digest = excluded.inputs_digest, built_at = now()",
            [(tenant, models, digest) for tenant, digest in sorted(digests.items())],
        )


def tenants_to_publish(conn: psycopg.Connection, tenants: Collection[str]) -> list[str]:
    """The tenants whose models were built since their cards were last published."""
    return [
        tenant
        for (tenant,) in conn.execute(
            "select tenant_id from icp.tenant_builds where models = %s and tenant_id = any(%s)"
            " and (published_at is null or published_at < built_at) order by tenant_id",
            (TENANT_MODELS, sorted(tenants)),
        ).fetchall()
    ]


def record_published(conn: psycopg.Connection, tenant_id: str) -> None:
    conn.execute(
        "update icp.tenant_builds set published_at = now() where tenant_id = %s and models = %s",
        (tenant_id, TENANT_MODELS),
    )
