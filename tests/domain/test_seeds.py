"""Seed linking: every seed of the current intake (and the vendor) gets a company row, keyed by domain."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from demo.catalog import BEST_CUSTOMERS, CHURNED_CUSTOMERS, VENDOR, demo_intake
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.seeds import SeedCounts, link_seeds_to_companies


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        yield conn


def _submit(conn: psycopg.Connection, tenant: str, payload: dict) -> int:
    return submit_intake(conn, tenant, Intake.model_validate(payload), None)


def _seed_companies(conn: psycopg.Connection, response_id: int) -> dict[str, str | None]:
    """Seed name -> the domain of the company it is linked to."""
    return dict(
        conn.execute(
            "select s.name, c.domain from icp.customer_seeds s left join icp.companies c using (company_id)"
            " where s.response_id = %s",
            (response_id,),
        ).fetchall()
    )


def test_seeds_and_the_vendor_get_the_company_of_their_domain(conn: psycopg.Connection) -> None:
    response = _submit(conn, "linker", demo_intake())
    counts = link_seeds_to_companies(conn, "linker")
    seeds = (*BEST_CUSTOMERS, *CHURNED_CUSTOMERS)
    assert counts == SeedCounts(response, len(BEST_CUSTOMERS), len(CHURNED_CUSTOMERS), len(seeds))
    assert _seed_companies(conn, response) == {c.name: c.domain for c in seeds}
    domains = {r[0] for r in conn.execute("select domain from icp.companies")}
    assert domains == {VENDOR.domain, *(c.domain for c in seeds)}

    # Linking again, or another tenant naming the same customers, adds no company: they are shared.
    link_seeds_to_companies(conn, "linker")
    other = _submit(conn, "another-vendor", demo_intake())
    link_seeds_to_companies(conn, "another-vendor")
    assert conn.execute("select count(*) from icp.companies").fetchone()[0] == len(domains)
    assert _seed_companies(conn, other) == _seed_companies(conn, response)


def test_only_the_current_intake_is_linked(conn: psycopg.Connection) -> None:
    first = _submit(conn, "linker", demo_intake())
    refined = demo_intake()
    refined["best_customers"] = refined["best_customers"][:1]
    second = _submit(conn, "linker", refined)
    counts = link_seeds_to_companies(conn, "linker")
    assert (counts.response_id, counts.best) == (second, 1)
    assert set(_seed_companies(conn, first).values()) == {None}


def test_a_seed_without_a_website_gets_a_company_of_its_own(conn: psycopg.Connection) -> None:
    payload = demo_intake()
    payload["lost_or_churned"] = [{"name": "Quiet Trading", "reason": "went with a cheaper tool"}]
    response = _submit(conn, "linker", payload)
    counts = link_seeds_to_companies(conn, "linker")
    assert counts.lost == 1
    company = conn.execute(
        "select c.name, c.domain from icp.customer_seeds s join icp.companies c using (company_id)"
        " where s.response_id = %s and s.name = 'Quiet Trading'",
        (response,),
    ).fetchone()
    assert company == ("Quiet Trading", None)
