"""Synthetic data for developing and testing the dbt models.

Inserts into a migrated product database what the Python side would have written for two
tenants: the registry (SSIC titles + ACRA entities, the demo companies plus filler entities so
registry prevalence means something), intakes, seeds, registry matches, crawl pages, crawl
outcomes and evidence rows.

* ``stockwise`` (the demo tenant, from ``demo.catalog``): 8 best customers in three
  segments and 3 churned ones. It also has an *older* intake naming a customer that the current
  intake dropped, so models must use the latest response only.
* ``coldbox`` (a second tenant): 4 best customers, three of them shared with stockwise (same
  ``icp.companies`` rows) but with coldbox's own evidence rows, including an integration label
  ("Coldbox Sensors") that only coldbox's evidence holds, to check tenant isolation.
* ``stockwise-lean`` (``insert_excluding_tenant``): the demo intake again, its exclusions
  (which leave stockwise's cards alone) replaced by SSIC group 521, subclass 46304, section J, a
  headcount floor and ceiling, an integration and notes, to compare its cards, audiences and
  negative ICP with stockwise's.

Usage as a script (dev database)::

    .venv/bin/python -m tests.dbt.fixture_data postgresql://postgres@127.0.0.1:5432/icp_dbt_dev
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import psycopg
from psycopg.types.json import Jsonb

from demo import catalog
from demo.catalog import DemoCompany

STOCKWISE = catalog.DEMO_TENANT
COLDBOX = "coldbox"
EXCLUDING = "stockwise-lean"
# Warehousing (the group behind one of stockwise's cards), confectionery wholesale (in its food
# card's group 463, no customer's), section J (none of its customers), small and huge companies,
# QuickBooks (a churned customer's).
EXCLUSIONS = {
    "ssic": ["521", "46304", "J"],
    "headcount_min": 10,
    "headcount_max": 5000,
    "integrations": ["QuickBooks"],
    "notes": "No restaurants; nobody without a warehouse",
}
COLDBOX_ONLY_INTEGRATION = "Coldbox Sensors"

# Titles for the SSIC levels above the demo subclasses (SSIC 2020 wording, shortened where long).
SSIC_PARENTS: dict[str, tuple[str, str]] = {
    # code: (level, title)
    "G": ("section", "Wholesale and retail trade"),
    "H": ("section", "Transportation and storage"),
    "I": ("section", "Accommodation and food service activities"),
    "J": ("section", "Information and communications"),
    "M": ("section", "Professional, scientific and technical activities"),
    "46": ("division", "Wholesale trade"),
    "47": ("division", "Retail trade"),
    "52": ("division", "Warehousing and support activities for transportation"),
    "56": ("division", "Food and beverage service activities"),
    "62": ("division", "Computer programming, consultancy and related activities"),
    "70": ("division", "Activities of head offices; management consultancy activities"),
    "463": ("group", "Wholesale of food, beverages and tobacco"),
    "469": ("group", "Wholesale trade of a variety of goods without a dominant product"),
    "471": ("group", "Retail sale in non-specialised stores"),
    "521": ("group", "Warehousing and storage"),
    "522": ("group", "Supporting activities for transportation"),
    "561": ("group", "Restaurants and mobile food service activities"),
    "620": ("group", "Computer programming, consultancy and related activities"),
    "702": ("group", "Management consultancy activities"),
    "4630": ("class", "Wholesale of food, beverages and tobacco"),
    "4690": ("class", "Wholesale trade of a variety of goods without a dominant product"),
    "4710": ("class", "Retail sale in non-specialised stores"),
    "5210": ("class", "Warehousing and storage"),
    "5229": ("class", "Other supporting transport activities"),
    "5611": ("class", "Restaurants"),
    "6201": ("class", "Computer programming activities"),
    "7020": ("class", "Management consultancy activities"),
}
SECTION_OF_DIVISION = {"46": "G", "47": "G", "52": "H", "56": "I", "62": "J", "70": "M"}
SUBCLASS_PARENT = {  # 5-digit -> class
    "46304": "4630",
    "46302": "4630",
    "46303": "4630",
    "46307": "4630",
    "46900": "4690",
    "47109": "4710",
    "52101": "5210",
    "52102": "5210",
    "52292": "5229",
    "56111": "5611",
    "62011": "6201",
    "70201": "7020",
}

# Subclasses only filler entities hold (no demo company): a part of a card's SSIC group that
# none of its customers is in, for exclusions to take out of its audience.
FILLER_ONLY_TITLES = {"46304": "Wholesale of confectionery and bakery products"}
SSIC_TITLES = {**catalog.DEMO_SSIC_TITLES, **FILLER_ONLY_TITLES}

# Filler ACRA entities per SSIC subclass: (live, struck off). Restaurants and software are common,
# warehousing and freight rare: lift for the vendor's segments should come out > 1.
FILLER_ENTITIES: dict[str, tuple[int, int]] = {
    "46304": (4, 1),
    "46302": (6, 1),
    "46303": (8, 2),
    "46307": (5, 1),
    "46900": (20, 4),
    "47109": (40, 6),
    "52101": (4, 1),
    "52102": (2, 0),
    "52292": (6, 2),
    "56111": (60, 10),
    "62011": (45, 5),
    "70201": (30, 5),
}

# The second tenant: a cold-chain sensor vendor sharing three best customers with stockwise.
COLDBOX_VENDOR = DemoCompany(
    "Coldbox",
    "COLDBOX SYSTEMS PTE. LTD.",
    "coldbox.sg",
    "202111111C",
    "62011",
    20,
    "018989",
    "2021-01-05",
    industries=("cold chain logistics",),
    integrations=(COLDBOX_ONLY_INTEGRATION, "NetSuite"),
)


def _coldbox_view(company: DemoCompany) -> DemoCompany:
    """How coldbox's crawl saw a shared customer: its own sensor integration shows up too."""
    from dataclasses import replace

    return replace(company, integrations=(*company.integrations, COLDBOX_ONLY_INTEGRATION))


def _by_name(name: str) -> DemoCompany:
    return next(c for c in catalog.all_companies() if c.name == name)


COLDBOX_BEST = tuple(
    _coldbox_view(_by_name(n)) for n in ("Kallang Cold Chain", "Harbourline Logistics", "Pioneer Warehousing")
) + (_by_name("Meridian Freight"),)
COLDBOX_LOST = (_by_name("Saffron Table"),)


# --------------------------------------------------------------------------------------------
# registry


def load_registry(conn: psycopg.Connection) -> None:
    rows = []
    for code, (level, title) in SSIC_PARENTS.items():
        if level == "section":
            parent, section = None, code
        elif level == "division":
            parent, section = SECTION_OF_DIVISION[code], SECTION_OF_DIVISION[code]
        else:
            parent, section = code[:-1], SECTION_OF_DIVISION[code[:2]]
        rows.append((code, level, title, parent, section))
    for code, title in SSIC_TITLES.items():
        rows.append((code, "subclass", title, SUBCLASS_PARENT[code], SECTION_OF_DIVISION[code[:2]]))
    with conn.cursor() as cur:
        cur.executemany(
            "insert into registry.ssic_codes (code, level, title, parent_code, section)"
            " values (%s, %s, %s, %s, %s) on conflict (code) do nothing",
            rows,
        )
        entities = []
        # The first demo intake's world (the refined intake's extra customers are not in it).
        for company in (catalog.VENDOR, *catalog.BEST_CUSTOMERS, *catalog.CHURNED_CUSTOMERS, COLDBOX_VENDOR):
            entities.append(
                (
                    company.uen,
                    company.legal_name,
                    "Local Company",
                    "Live Company",
                    company.incorporated,
                    company.postal_code,
                    company.ssic,
                    catalog.DEMO_SSIC_TITLES.get(company.ssic),
                )
            )
        n = 0
        for ssic, (live, struck) in FILLER_ENTITIES.items():
            for i in range(live + struck):
                n += 1
                status = "Live Company" if i < live else "Struck Off"
                entities.append(
                    (
                        f"F{n:08d}X",
                        f"FILLER {ssic} COMPANY {i} PTE. LTD.",
                        "Local Company",
                        status,
                        "2010-01-01",
                        f"{100000 + n:06d}",
                        ssic,
                        SSIC_TITLES[ssic],
                    )
                )
        cur.executemany(
            "insert into registry.acra_entities (uen, entity_name, entity_type_description,"
            " entity_status_description, registration_incorporation_date, postal_code,"
            " primary_ssic_code, primary_ssic_description) values (%s, %s, %s, %s, %s, %s, %s, %s)"
            " on conflict (uen) do nothing",
            entities,
        )


# --------------------------------------------------------------------------------------------
# tenants


def _company_id(cur: psycopg.Cursor, company: DemoCompany) -> int:
    row = cur.execute(
        "insert into icp.companies (domain, name, website) values (%s, %s, %s)"
        " on conflict (domain) do update set name = excluded.name returning company_id",
        (company.domain, company.name, f"https://{company.domain}"),
    ).fetchone()
    return row[0]


def _evidence(cur, tenant_id: str, company_id: int, rows: Iterable[tuple]) -> int:
    n = 0
    for signal_key, value, source, url, page_type, snippet, confidence in rows:
        cur.execute(
            "insert into icp.icp_evidence (tenant_id, company_id, signal_key, value, source, url,"
            " page_type, snippet, confidence) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (tenant_id, company_id, signal_key, Jsonb(value), source, url, page_type, snippet, confidence),
        )
        n += 1
    return n


def _registry_evidence(company: DemoCompany) -> list[tuple]:
    year = int(company.incorporated[:4])
    return [
        (
            "ssic",
            {"label": catalog.DEMO_SSIC_TITLES[company.ssic], "code": company.ssic},
            "registry",
            None,
            None,
            None,
            1.0,
        ),
        ("entity_status", {"label": "Live Company"}, "registry", None, None, None, 1.0),
        ("incorporation_year", {"label": str(year), "year": year}, "registry", None, None, None, 1.0),
        ("entity_type", {"label": "Local Company"}, "registry", None, None, None, 1.0),
        (
            "postal_district",
            {"label": company.postal_code[:2], "postal_code": company.postal_code},
            "registry",
            None,
            None,
            None,
            1.0,
        ),
    ]


def _crawl_pages(cur, company_id: int, company: DemoCompany) -> dict[str, str]:
    pages = {
        "home": f"https://{company.domain}/",
        "integrations": f"https://{company.domain}/integrations",
        "about": f"https://{company.domain}/about",
        "careers": f"https://{company.domain}/careers",
    }
    for page_type, url in pages.items():
        cur.execute(
            "insert into icp.crawl_pages (company_id, url, page_type, http_status, title, content_hash)"
            " values (%s, %s, %s, 200, %s, md5(%s)) on conflict (url) do nothing",
            (company_id, url, page_type, f"{company.name} - {page_type}", url),
        )
    return pages


def _crawl_evidence(company: DemoCompany, pages: dict[str, str]) -> list[tuple]:
    rows: list[tuple] = []
    for name in company.integrations:
        rows.append(
            (
                "integration",
                {"label": name},
                "crawl",
                pages["integrations"],
                "integrations",
                f"Connects with {name}",
                0.9,
            )
        )
    for name in company.technologies:
        rows.append(("technology", {"label": name}, "crawl", pages["home"], "home", None, 0.8))
    for industry in company.industries:
        rows.append(
            (
                "industry_served",
                {"label": industry},
                "crawl",
                pages["about"],
                "about",
                f"We specialise in {industry}",
                0.7,
            )
        )
    for title in company.job_titles:
        rows.append(("buyer_title", {"label": title}, "crawl", pages["careers"], "careers", None, 0.6))
    for customer in company.customers:
        rows.append(("customer", {"label": customer}, "crawl", pages["home"], "home", None, 0.7))
    if company.headcount:
        rows.append(
            (
                "headcount",
                {"label": str(company.headcount), "min": company.headcount, "max": company.headcount},
                "crawl",
                pages["about"],
                "about",
                f"A team of {company.headcount}",
                0.6,
            )
        )
    rows.append(
        (
            "location",
            {"label": f"Singapore {company.postal_code}", "country": "SG", "postal_code": company.postal_code},
            "crawl",
            pages["about"],
            "about",
            None,
            0.8,
        )
    )
    if company.pricing:
        rows.append(("pricing", {"label": company.pricing}, "crawl", pages["home"], "home", None, 0.8))
    return rows


def insert_tenant(
    conn: psycopg.Connection,
    tenant_id: str,
    vendor: DemoCompany,
    best: Iterable[DemoCompany],
    lost: Iterable[DemoCompany],
    answers: dict | None = None,
    *,
    crawl: bool = True,
) -> int:
    """One intake for ``tenant_id`` with everything downstream of it; returns the response_id."""
    best, lost = tuple(best), tuple(lost)
    answers = answers or {
        "website": f"https://www.{vendor.domain}/",
        "best_customers": [{"name": c.name, "website": f"https://{c.domain}"} for c in best],
        "lost_or_churned": [{"name": c.name, "website": f"https://{c.domain}", "reason": c.churn_reason} for c in lost],
    }
    reasons = {c["name"]: c.get("reason") for c in answers.get("lost_or_churned", [])}
    with conn.cursor() as cur:
        cur.execute("insert into icp.tenants (tenant_id) values (%s) on conflict do nothing", (tenant_id,))
        response_id = cur.execute(
            "insert into icp.icp_intake_responses (tenant_id, website, website_domain, answers)"
            " values (%s, %s, %s, %s) returning response_id",
            (tenant_id, answers["website"], vendor.domain, Jsonb(answers)),
        ).fetchone()[0]
        vendor_id = _company_id(cur, vendor)
        if crawl:
            pages = _crawl_pages(cur, vendor_id, vendor)
            _evidence(cur, tenant_id, vendor_id, _crawl_evidence(vendor, pages))
        for kind, companies in (("best", best), ("lost", lost)):
            for company in companies:
                company_id = _company_id(cur, company)
                seed_id = cur.execute(
                    "insert into icp.customer_seeds (response_id, tenant_id, kind, name, website, domain,"
                    " reason, company_id) values (%s, %s, %s, %s, %s, %s, %s, %s) returning seed_id",
                    (
                        response_id,
                        tenant_id,
                        kind,
                        company.name,
                        f"https://{company.domain}",
                        company.domain,
                        reasons.get(company.name, company.churn_reason) if kind == "lost" else None,
                        company_id,
                    ),
                ).fetchone()[0]
                cur.execute(
                    "insert into icp.seed_matches (seed_id, tenant_id, uen, entity_name, score, method, status)"
                    " values (%s, %s, %s, %s, 1.0, 'domain', 'matched')",
                    (seed_id, tenant_id, company.uen, company.legal_name),
                )
                # Evidence is per (tenant, company): re-running a tenant replaces it upstream; the
                # fixture writes it once per company per tenant.
                already = cur.execute(
                    "select 1 from icp.icp_evidence where tenant_id = %s and company_id = %s limit 1",
                    (tenant_id, company_id),
                ).fetchone()
                if already:
                    continue
                _evidence(cur, tenant_id, company_id, _registry_evidence(company))
                if crawl:
                    pages = _crawl_pages(cur, company_id, company)
                    _evidence(cur, tenant_id, company_id, _crawl_evidence(company, pages))
                cur.execute(
                    "insert into icp.crawl_outcomes (tenant_id, company_id, site_url, pages_fetched,"
                    " reduced_evidence) values (%s, %s, %s, %s, %s)"
                    " on conflict (tenant_id, company_id) do nothing",
                    (tenant_id, company_id, f"https://{company.domain}/", 4 if crawl else 0, not crawl),
                )
    return response_id


def insert_fixture(url: str) -> dict[str, int]:
    """Registry + both tenants into the (migrated) database at ``url``; returns response ids."""
    with psycopg.connect(url) as conn:
        load_registry(conn)
        # stockwise: an older intake first (with a customer the current intake dropped) ...
        old = insert_tenant(
            conn,
            STOCKWISE,
            catalog.VENDOR,
            (
                *catalog.BEST_CUSTOMERS[:3],
                DemoCompany(
                    "Old Noodle House",
                    "OLD NOODLE HOUSE PTE. LTD.",
                    "oldnoodle.sg",
                    "199900001A",
                    "56111",
                    6,
                    "238000",
                    "1999-01-01",
                    integrations=("Square",),
                    job_titles=("Owner",),
                ),
            ),
            catalog.CHURNED_CUSTOMERS[:1],
        )
        # ... then the current demo intake.
        current = insert_tenant(
            conn,
            STOCKWISE,
            catalog.VENDOR,
            catalog.BEST_CUSTOMERS,
            catalog.CHURNED_CUSTOMERS,
            catalog.demo_intake(),
        )
        coldbox = insert_tenant(
            conn,
            COLDBOX,
            COLDBOX_VENDOR,
            COLDBOX_BEST,
            COLDBOX_LOST,
            {
                "website": "https://coldbox.sg/",
                "best_customers": [{"name": c.name, "website": f"https://{c.domain}"} for c in COLDBOX_BEST],
                "lost_or_churned": [
                    {
                        "name": "Saffron Table",
                        "website": "https://saffrontable.sg",
                        "reason": "Too expensive for a single restaurant",
                    }
                ],
                "must_have_integrations": ["NetSuite"],
                "champion_titles": ["Warehouse Manager"],
                "advanced": {"H": "Not for restaurants or cafes; no customers without cold storage"},
                "exclusions": {"ssic": ["561"]},
            },
        )
        # One graded account per tenant, as `icp score` leaves it (icp.account_scores).
        for tenant_id, company in ((STOCKWISE, catalog.BEST_CUSTOMERS[0]), (COLDBOX, COLDBOX_BEST[0])):
            source = f"acra:{company.uen}/primary_ssic_code"
            conn.execute(
                "insert into icp.account_scores (tenant_id, account_key, name, website, domain, uen, entity_name,"
                " match_status, crawl_status, grade, best_rule, graded_against, matched, evidence_urls) values"
                " (%s, %s, %s, %s, %s, %s, %s, 'matched', 'crawled', 'C', 'card 1: fixture', 'cards', %s, %s)",
                (
                    tenant_id,
                    company.domain,
                    company.name,
                    f"https://{company.domain}/",
                    company.domain,
                    company.uen,
                    company.legal_name,
                    Jsonb([{"attribute": f"SSIC group {company.ssic[:3]}", "value": company.ssic, "source": source}]),
                    [source],
                ),
            )
    return {"stockwise_old": old, "stockwise": current, "coldbox": coldbox}


def insert_excluding_tenant(url: str) -> int:
    """``EXCLUDING``: stockwise's customers and answers with ``EXCLUSIONS`` declared instead of the
    demo's; its response id."""
    with psycopg.connect(url) as conn:
        return insert_tenant(
            conn,
            EXCLUDING,
            catalog.VENDOR,
            catalog.BEST_CUSTOMERS,
            catalog.CHURNED_CUSTOMERS,
            {**catalog.demo_intake(), "exclusions": EXCLUSIONS},
        )


def main(argv: list[str]) -> None:
    from icp_assets.platform.database import drop_database
    from icp_assets.platform.db import migrate

    url = argv[1] if len(argv) > 1 else "postgresql://postgres@127.0.0.1:5432/icp_dbt_dev"
    drop_database(url)
    migrate(url)
    print(insert_fixture(url), insert_excluding_tenant(url))


if __name__ == "__main__":
    main(sys.argv)
