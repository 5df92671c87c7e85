"""Seed linking: every seed of the current intake (and the vendor) gets a company row, keyed by domain."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg

from icp_assets.domain.intake import current_response_id, lock_tenant_writes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedCounts:
    response_id: int
    best: int
    lost: int
    companies: int


def link_seeds_to_companies(conn: psycopg.Connection, tenant_id: str, response_id: int | None = None) -> SeedCounts:
    """Give every seed of the intake (default: the current one) and the vendor itself a company row, keyed by domain."""
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    with conn.transaction():
        lock_tenant_writes(conn, tenant_id)
        conn.execute(
            "insert into icp.companies (domain, name, website)"
            " select website_domain, website_domain, website from icp.icp_intake_responses"
            " where response_id = %s on conflict (domain) do nothing",
            (response_id,),
        )
        conn.execute(
            "insert into icp.companies (domain, name, website)"
            " select distinct on (domain) domain, name, website from icp.customer_seeds"
            " where response_id = %s and domain is not null order by domain, seed_id"
            " on conflict (domain) do nothing",
            (response_id,),
        )
        conn.execute(
            "update icp.customer_seeds s set company_id = c.company_id from icp.companies c"
            " where s.response_id = %s and s.domain = c.domain and s.company_id is distinct from c.company_id",
            (response_id,),
        )
        # Seeds without a website still need a company of their own to carry registry evidence.
        for seed_id, name in conn.execute(
            "select seed_id, name from icp.customer_seeds where response_id = %s and company_id is null",
            (response_id,),
        ).fetchall():
            conn.execute(
                "with company as (insert into icp.companies (name) values (%s) returning company_id)"
                " update icp.customer_seeds set company_id = (select company_id from company) where seed_id = %s",
                (name, seed_id),
            )
        best, lost, companies = conn.execute(
            "select count(*) filter (where kind = 'best'), count(*) filter (where kind = 'lost'),"
            " count(distinct company_id) from icp.customer_seeds where response_id = %s",
            (response_id,),
        ).fetchone()
    log.info("tenant=%s stage=intake_seeds response_id=%s best=%d lost=%d", tenant_id, response_id, best, lost)
    return SeedCounts(response_id, best, lost, companies)
