"""The demo world: a vendor, its best and churned customers, as they appear on the web and in ACRA.

One description drives the demo websites, the demo registry rows and the demo intake, so the
three agree the way real sources would (the intake uses casual names, ACRA the legal ones).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DemoCompany:
    name: str  # how a person writes it in an intake
    legal_name: str  # the ACRA entity name
    domain: str
    uen: str
    ssic: str
    headcount: int
    postal_code: str
    incorporated: str  # ISO date
    industries: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    job_titles: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    pricing: str | None = None
    churn_reason: str | None = None
    former_names: tuple[str, ...] = field(default=())


VENDOR = DemoCompany(
    name="Stockwise",
    legal_name="STOCKWISE TECHNOLOGIES PTE. LTD.",
    domain="stockwise.sg",
    uen="201912345K",
    ssic="62011",
    headcount=35,
    postal_code="018956",
    incorporated="2019-04-02",
    industries=("food distribution", "warehousing", "freight forwarding"),
    integrations=("Xero", "Shopify", "NetSuite", "Salesforce", "SAP"),
    technologies=("HubSpot", "Google Analytics", "Intercom"),
    job_titles=("Account Executive", "Customer Success Manager", "Solutions Engineer"),
    customers=("Lim Bros Food Distribution", "Harbourline Logistics", "Meridian Freight"),
    pricing="From SGD 890 per month, billed annually",
)

BEST_CUSTOMERS: tuple[DemoCompany, ...] = (
    DemoCompany(
        "Lim Bros Food Distribution",
        "LIM BROS FOOD DISTRIBUTION PTE. LTD.",
        "limbrosfood.com.sg",
        "200305123M",
        "46303",
        45,
        "415934",
        "2003-03-11",
        industries=("food distribution", "groceries wholesale"),
        integrations=("Xero", "Shopify"),
        technologies=("Google Analytics",),
        job_titles=("Head of Operations", "Finance Manager", "Delivery Driver"),
    ),
    DemoCompany(
        "Ang Seafood Trading",
        "ANG SEAFOOD TRADING PTE. LTD.",
        "angseafood.com.sg",
        "199807456D",
        "46302",
        35,
        "627803",
        "1998-07-20",
        industries=("seafood wholesale", "food distribution"),
        integrations=("Xero", "Shopify"),
        technologies=("WooCommerce",),
        job_titles=("Head of Operations", "Procurement Manager"),
        former_names=("ANG FISHERY SUPPLIES PTE. LTD.",),
    ),
    DemoCompany(
        "Tan & Sons Beverages",
        "TAN AND SONS BEVERAGES PTE. LTD.",
        "tansonsbev.com.sg",
        "201101789W",
        "46307",
        60,
        "569880",
        "2011-01-14",
        industries=("beverage distribution", "food distribution"),
        integrations=("Xero", "Shopify", "Stripe"),
        technologies=("Google Analytics",),
        job_titles=("Finance Manager", "Head of Operations"),
    ),
    DemoCompany(
        "Harbourline Logistics",
        "HARBOURLINE LOGISTICS PTE LTD",
        "harbourline.sg",
        "201430111R",
        "52101",
        120,
        "629587",
        "2014-09-02",
        industries=("warehousing", "logistics"),
        integrations=("NetSuite", "Salesforce"),
        technologies=("HubSpot",),
        job_titles=("Supply Chain Manager", "Head of Operations", "Forklift Operator"),
    ),
    DemoCompany(
        "Kallang Cold Chain",
        "KALLANG COLD CHAIN PTE. LTD.",
        "kallangcoldchain.com",
        "201622334E",
        "52102",
        80,
        "339407",
        "2016-05-23",
        industries=("cold chain logistics", "warehousing"),
        integrations=("NetSuite", "Salesforce"),
        technologies=("HubSpot",),
        job_titles=("Supply Chain Manager", "Warehouse Manager"),
    ),
    DemoCompany(
        "Pioneer Warehousing",
        "PIONEER WAREHOUSING (S) PTE. LTD.",
        "pioneerwarehousing.com.sg",
        "200911223G",
        "52101",
        200,
        "628050",
        "2009-02-17",
        industries=("warehousing", "logistics"),
        integrations=("NetSuite", "Salesforce"),
        technologies=("Salesforce Pardot",),
        job_titles=("Warehouse Manager", "Supply Chain Manager"),
    ),
    DemoCompany(
        "Meridian Freight",
        "MERIDIAN FREIGHT SERVICES PTE LTD",
        "meridianfreight.sg",
        "201506778C",
        "52292",
        150,
        "819663",
        "2015-03-30",
        industries=("freight forwarding", "logistics"),
        integrations=("SAP", "Salesforce"),
        technologies=("HubSpot",),
        job_titles=("Head of Logistics", "Supply Chain Manager"),
    ),
    DemoCompany(
        "Straits Forwarding",
        "STRAITS FORWARDING & CUSTOMS AGENCY PTE. LTD.",
        "straitsforwarding.com",
        "200702345H",
        "52292",
        90,
        "819830",
        "2007-06-08",
        industries=("freight forwarding", "customs brokerage"),
        integrations=("SAP", "Salesforce"),
        technologies=("Google Analytics",),
        job_titles=("Head of Logistics", "Operations Director"),
    ),
)

# Four more customers a refined intake adds (journey 4: refine and compare); in the registry and
# served like the others, but not in the first intake.
MORE_BEST_CUSTOMERS: tuple[DemoCompany, ...] = (
    DemoCompany(
        "Tuas Distribution Centre",
        "TUAS DISTRIBUTION CENTRE PTE. LTD.",
        "tuasdc.com.sg",
        "201811456K",
        "52102",
        140,
        "638366",
        "2018-04-11",
        industries=("warehousing", "third-party logistics"),
        integrations=("NetSuite", "Salesforce"),
        technologies=("HubSpot",),
        job_titles=("Warehouse Manager", "Head of Operations"),
    ),
    DemoCompany(
        "Loyang Storage",
        "LOYANG STORAGE SOLUTIONS PTE LTD",
        "loyangstorage.sg",
        "201209871M",
        "52101",
        60,
        "508988",
        "2012-10-05",
        industries=("warehousing", "logistics"),
        integrations=("NetSuite", "Salesforce"),
        technologies=("Google Analytics",),
        job_titles=("Supply Chain Manager", "Warehouse Manager"),
    ),
    DemoCompany(
        "Changi Cargo Links",
        "CHANGI CARGO LINKS PTE. LTD.",
        "changicargolinks.com",
        "201705432W",
        "52292",
        110,
        "819458",
        "2017-08-21",
        industries=("freight forwarding", "air cargo"),
        integrations=("SAP", "Salesforce"),
        technologies=("HubSpot",),
        job_titles=("Head of Logistics", "Operations Director"),
    ),
    DemoCompany(
        "Jurong Port Forwarders",
        "JURONG PORT FORWARDERS PTE LTD",
        "jurongportforwarders.sg",
        "200815678D",
        "52292",
        75,
        "619098",
        "2008-11-14",
        industries=("freight forwarding", "sea freight"),
        integrations=("SAP", "Salesforce"),
        technologies=("Google Analytics",),
        job_titles=("Head of Logistics", "Supply Chain Manager"),
    ),
)

CHURNED_CUSTOMERS: tuple[DemoCompany, ...] = (
    DemoCompany(
        "Saffron Table",
        "SAFFRON TABLE RESTAURANTS PTE. LTD.",
        "saffrontable.sg",
        "201833221Z",
        "56111",
        12,
        "238859",
        "2018-10-01",
        industries=("restaurants",),
        integrations=("Square",),
        job_titles=("Restaurant Manager",),
        churn_reason="Single outlet with no warehouse; the price was too high for their order volume",
    ),
    DemoCompany(
        "Brightpath Consulting",
        "BRIGHTPATH CONSULTING LLP",
        "brightpath.com.sg",
        "T17LL0456A",
        "70201",
        8,
        "048623",
        "2017-02-14",
        industries=("management consulting",),
        integrations=("QuickBooks",),
        job_titles=("Consultant",),
        churn_reason="No inventory of their own; bought for one client project and never rolled out",
    ),
    DemoCompany(
        "Urban Threads",
        "URBAN THREADS RETAIL PTE. LTD.",
        "urbanthreads.sg",
        "202004567N",
        "47109",
        15,
        "238801",
        "2020-06-19",
        industries=("fashion retail",),
        integrations=("Shopify",),
        job_titles=("Store Manager",),
        churn_reason="Needed point-of-sale for shops, not B2B order management; too small to need warehouse features",
    ),
)

DEMO_TENANT = "stockwise"

# SSIC 2020 codes the demo uses, with their official titles (the built-in demo reference table).
# The demo's SSIC codes, in SingStat's classification-structure layout, loaded by the real loader.
DEMO_SSIC_DIR = Path(__file__).resolve().parent / "data"


def _demo_subclass_titles() -> dict[str, str]:
    with open(DEMO_SSIC_DIR / "ssic2020-classification-structure.csv", newline="", encoding="utf-8") as handle:
        return {row[0]: row[1] for row in csv.reader(handle) if len(row) == 2 and re.fullmatch(r"\d{5}", row[0])}


DEMO_SSIC_TITLES: dict[str, str] = _demo_subclass_titles()


def all_companies() -> tuple[DemoCompany, ...]:
    return (VENDOR, *BEST_CUSTOMERS, *MORE_BEST_CUSTOMERS, *CHURNED_CUSTOMERS)


def demo_intake() -> dict:
    """The fast-start intake the demo vendor submits."""
    return {
        "website": f"https://www.{VENDOR.domain}/",
        "best_customers": [{"name": c.name, "website": f"https://{c.domain}"} for c in BEST_CUSTOMERS],
        "lost_or_churned": [
            {"name": c.name, "website": f"http://www.{c.domain}", "reason": c.churn_reason} for c in CHURNED_CUSTOMERS
        ],
        "employee_band": "50-249",
        "geo_language_tz": {"geos": ["Singapore"], "languages": ["en"], "timezone": "Asia/Singapore"},
        "must_have_integrations": ["Xero", "NetSuite"],
        "deal": {"acv_usd": 12000, "cycle_days": 45, "price_floor_usd": 6000},
        "champion_titles": ["Head of Operations", "Supply Chain Manager"],
        "triggers": ["opening a new warehouse", "moving off spreadsheets"],
        # Who Stockwise does not sell to (its churned restaurant, shop and consultancy); none of
        # its best customers falls under these, so its three cards stay.
        "exclusions": {
            "ssic": ["47", "56"],
            "headcount_min": 10,
            "integrations": ["Square"],
            "notes": "Not for restaurants or shops selling over the counter",
        },
    }


def refined_demo_intake() -> dict:
    """The demo vendor's refined intake (journey 4): four more best customers, and food
    wholesale (SSIC group 463) declared as a segment it no longer sells to."""
    intake = demo_intake()
    intake["best_customers"] += [{"name": c.name, "website": f"https://{c.domain}"} for c in MORE_BEST_CUSTOMERS]
    intake["exclusions"]["ssic"] = [*intake["exclusions"]["ssic"], "463"]
    return intake
