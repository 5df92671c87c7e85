"""A fleet of tenants for the nightly-refresh benchmark: N vendors, each with an intake of 12 best
customers and 3 lost ones drawn from one shared pool of companies, every company with an ACRA row
and a small website, deterministic per seed.

The pool holds about three companies per tenant, so tenants share customers (a site is in about
five intakes), as vendors selling into the same market do. Customers belong to segments (an SSIC
group, the integrations they use, a size band, the industries they serve, the titles they hire);
a tenant takes 6 best customers from its main segment, 4 from a second and 2 from any other, so
its cards have real patterns to find. Lost customers come from segments no tenant targets, each
with a churn reason.

Websites are built on demand from a company (demo.websites.build_site, ~10 pages with signals)
and served by `FleetSites`: a child process with one threaded server on 127.0.0.1 answering for
every host name (so serving does not compete with the runs for the GIL of the process measuring
them), counting the requests it served. Host names are short: the crawler's host map travels in
one environment variable, which Linux caps at 128 KiB (about 4,000 sites).
"""

from __future__ import annotations

import functools
import itertools
import json
import multiprocessing
import random
from dataclasses import dataclass
from multiprocessing.connection import Connection

from demo.catalog import DemoCompany
from demo.vhost import Page, Site, VirtualHostServer
from demo.websites import build_site

# Linux's MAX_ARG_STRLEN: the longest one environment string ("NAME=value") may be.
ENVIRONMENT_STRING_LIMIT = 128 * 1024
COMPANIES_PER_TENANT = 3
MIN_POOL = 60  # a small fleet still draws from enough companies per segment
BEST_FROM_MAIN, BEST_FROM_SECOND, BEST_FROM_OTHERS, LOST = 6, 4, 2, 3


@dataclass(frozen=True)
class Segment:
    name: str
    ssic: tuple[str, ...]  # codes of the demo's SSIC reference (demo/data)
    trades: tuple[str, ...]  # the word after the brand in a company's name
    integrations: tuple[str, ...]  # every company of the segment uses these
    sizes: tuple[int, int]  # headcount range, inside one size band
    industries: tuple[str, ...]
    titles: tuple[str, ...]


CUSTOMER_SEGMENTS = (
    Segment(
        "food wholesale",
        ("46302", "46303"),
        ("Seafood Trading", "Food Supplies", "Provisions"),
        ("Xero", "Shopify"),
        (10, 49),
        ("food distribution", "seafood wholesale"),
        ("Head of Operations", "Procurement Manager"),
    ),
    Segment(
        "beverages",
        ("46307",),
        ("Beverages", "Wines & Spirits"),
        ("Xero", "Stripe"),
        (10, 49),
        ("beverage distribution", "hospitality"),
        ("Finance Manager", "Sales Director"),
    ),
    Segment(
        "warehousing",
        ("52101", "52102"),
        ("Warehousing", "Cold Storage", "Logistics"),
        ("NetSuite", "Salesforce"),
        (50, 249),
        ("warehousing", "cold chain logistics"),
        ("Supply Chain Manager", "Warehouse Supervisor"),
    ),
    Segment(
        "freight",
        ("52292",),
        ("Freight", "Forwarding"),
        ("SAP", "Zendesk"),
        (50, 249),
        ("freight forwarding", "e-commerce fulfilment"),
        ("Logistics Coordinator", "Operations Manager"),
    ),
    Segment(
        "software",
        ("62011",),
        ("Technologies", "Software"),
        ("HubSpot", "Slack"),
        (10, 49),
        ("retail", "education services"),
        ("Software Engineer", "VP of Sales"),
    ),
    Segment(
        "general trading",
        ("46900",),
        ("Trading", "Import & Export"),
        ("QuickBooks", "PayPal"),
        (1, 9),
        ("construction supplies", "electronics manufacturing"),
        ("Purchasing Executive", "Account Executive"),
    ),
)
LOST_SEGMENTS = (
    Segment("restaurants", ("56111",), ("Kitchen", "Dining"), ("Square",), (1, 9), ("restaurants",), ("Chef",)),
    Segment("shops", ("47109",), ("Mart", "Stores"), ("Shopee",), (1, 9), ("retail",), ("Store Manager",)),
    Segment(
        "consultancies", ("70201",), ("Consulting", "Advisory"), ("Zoho",), (1, 9), ("consulting",), ("Consultant",)
    ),
)
VENDOR_SEGMENT = Segment(
    "vendors", ("62011",), ("Software",), ("Xero", "NetSuite"), (10, 49), ("wholesale",), ("Account Executive",)
)
CHURN_REASONS = (
    "Single outlet with no warehouse; the price was too high for their order volume",
    "No inventory of their own; bought for one project and never rolled out",
    "Needed point-of-sale for shops, not B2B order management",
    "Too small to need warehouse features; went back to spreadsheets",
    "Seasonal business that paused every quarter and churned at renewal",
)
_OTHER_INTEGRATIONS = ("Mailchimp", "Zapier", "Intercom", "Google Sheets", "Pipedrive", "Freshdesk", "Magento")
_TECHNOLOGIES = ("Google Analytics", "HubSpot", "Intercom", "WooCommerce", "Stripe", "Segment", "Zendesk")
# Syllables of brand words the synthetic registry never coins (demo.synthetic_registry), so each
# fleet company's name is rare: its seed matches its own ACRA row and no filler entity.
_SYLLABLES = (
    "brav", "dul", "fen", "grov", "hask", "jum", "kel", "lom", "murd", "nev", "palk", "quon",
    "rud", "skel", "trev", "varn", "wilk", "yas", "zeph", "drom", "plin", "cask", "thol", "gurn",
)  # fmt: skip


@dataclass(frozen=True)
class FleetTenant:
    tenant_id: str
    vendor: DemoCompany
    best: tuple[DemoCompany, ...]
    lost: tuple[tuple[DemoCompany, str], ...]  # (company, churn reason)
    champion_title: str

    def intake(self) -> dict:
        """The tenant's fast-start intake, as `icp intake submit` takes it."""
        return {
            "website": f"https://{self.vendor.domain}/",
            "best_customers": [{"name": c.name, "website": f"https://{c.domain}/"} for c in self.best],
            "lost_or_churned": [
                {"name": c.name, "website": f"https://{c.domain}/", "reason": reason} for c, reason in self.lost
            ],
            "geo_language_tz": {"geos": ["Singapore"], "languages": ["en"], "timezone": "Asia/Singapore"},
            "champion_titles": [self.champion_title],
        }


@dataclass(frozen=True)
class FleetWorld:
    tenants: tuple[FleetTenant, ...]
    customers: tuple[DemoCompany, ...]  # the shared pool, lost customers included

    def companies(self) -> list[DemoCompany]:
        """Every company with an ACRA row and a website: the pool and the vendors."""
        return [*self.customers, *(t.vendor for t in self.tenants)]

    def sites(self) -> dict[str, Site]:
        """Domain -> site, each built when it is first asked for."""
        return {c.domain: functools.partial(_page, c) for c in self.companies()}


@functools.lru_cache(maxsize=512)
def _pages(company: DemoCompany) -> dict[str, Page]:
    return build_site(company)


def _page(company: DemoCompany, path: str, hits: int) -> Page | None:
    return _pages(company).get(path.split("?", 1)[0])


def _words(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct brand words of three different syllables."""
    words = list(itertools.permutations(_SYLLABLES, 3))
    if count > len(words):
        raise ValueError(f"the fleet world names at most {len(words)} companies, {count} asked for")
    return ["".join(syllables).capitalize() for syllables in rng.sample(words, count)]


class _Maker:
    def __init__(self, rng: random.Random, count: int):
        self.rng = rng
        self.words = iter(_words(rng, count))
        self.made = 0

    def company(self, segment: Segment, customers: tuple[str, ...] = ()) -> DemoCompany:
        rng = self.rng
        word = next(self.words)
        name = f"{word} {rng.choice(segment.trades)}"
        year = rng.randint(1990, 2022)
        extra = rng.sample(_OTHER_INTEGRATIONS, k=rng.randint(0, 2))
        company = DemoCompany(
            name=name,
            legal_name=f"{name.upper()} PTE. LTD.",
            # Short host names: the crawler's host map must fit one environment string.
            domain=f"{word[:3].lower()}{self.made:x}.sg",
            uen=f"{year}{self.made:05d}W",
            ssic=rng.choice(segment.ssic),
            headcount=rng.randint(*segment.sizes),
            postal_code=f"{rng.randint(1, 82):02d}{rng.randint(0, 9999):04d}",
            incorporated=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            industries=segment.industries,
            integrations=(*segment.integrations, *extra),
            technologies=tuple(rng.sample(_TECHNOLOGIES, k=rng.randint(1, 2))),
            job_titles=(*segment.titles, rng.choice(("Finance Manager", "HR Manager", "Delivery Driver"))),
            customers=customers,
        )
        self.made += 1
        return company


def fleet_world(tenants: int, seed: int = 2025) -> FleetWorld:
    """``tenants`` tenants over a pool of max(3 x tenants, 60) companies, reproducible by seed."""
    rng = random.Random(seed)
    pool_size = max(COMPANIES_PER_TENANT * tenants, MIN_POOL)
    make = _Maker(rng, pool_size + tenants)
    lost_count = pool_size // 5
    by_segment: dict[Segment, list[DemoCompany]] = {}
    for n in range(pool_size):
        segments = LOST_SEGMENTS if n < lost_count else CUSTOMER_SEGMENTS
        segment = segments[n % len(segments)]
        by_segment.setdefault(segment, []).append(make.company(segment))
    lost_pool = [c for s in LOST_SEGMENTS for c in by_segment[s]]
    fleet = []
    for i in range(tenants):
        main, second = rng.sample(CUSTOMER_SEGMENTS, k=2)
        best = rng.sample(by_segment[main], BEST_FROM_MAIN) + rng.sample(by_segment[second], BEST_FROM_SECOND)
        others = [c for s in CUSTOMER_SEGMENTS if s not in (main, second) for c in by_segment[s]]
        best += rng.sample(others, BEST_FROM_OTHERS)
        lost = tuple((c, rng.choice(CHURN_REASONS)) for c in rng.sample(lost_pool, LOST))
        vendor = make.company(VENDOR_SEGMENT, customers=tuple(c.name for c in best[:3]))
        fleet.append(FleetTenant(f"fleet-{i:04d}", vendor, tuple(best), lost, main.titles[0]))
    return FleetWorld(tuple(fleet), tuple(c for companies in by_segment.values() for c in companies))


def _serve(tenants: int, seed: int, conn: Connection) -> None:
    """The child process: serve the world's sites; answer "count" with the requests served so
    far, stop on anything else."""
    with VirtualHostServer(fleet_world(tenants, seed).sites()) as server:
        conn.send(server.port)
        while conn.recv() == "count":
            conn.send(len(server.hits()))


class FleetSites:
    """``with FleetSites(tenants, seed) as sites``: the world's websites served from a child
    process on one 127.0.0.1 port; ``host_map()`` routes the crawler there, ``requests_served()``
    counts what it was asked for (robots.txt and sitemaps included)."""

    def __init__(self, tenants: int, seed: int = 2025):
        self.tenants, self.seed = tenants, seed
        self._domains = [c.domain for c in fleet_world(tenants, seed).companies()]
        self.port = 0

    def host_map(self) -> dict[str, str]:
        return {domain: f"127.0.0.1:{self.port}" for domain in self._domains}

    def host_map_json(self) -> str:
        """The host map as ICP_CRAWL_HOST_MAP takes it; ValueError when it would not fit one
        environment string."""
        text = json.dumps(self.host_map(), separators=(",", ":"))
        if len(text) + len("ICP_CRAWL_HOST_MAP=") >= ENVIRONMENT_STRING_LIMIT:
            raise ValueError(
                f"the host map of {len(self._domains)} sites takes {len(text):,} bytes, over the"
                f" {ENVIRONMENT_STRING_LIMIT:,} bytes one environment variable may hold: fewer tenants"
            )
        return text

    def requests_served(self) -> int:
        self._conn.send("count")
        return self._conn.recv()

    def __enter__(self) -> FleetSites:
        context = multiprocessing.get_context("spawn")  # a clean child: no copy of this process's state
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(self.tenants, self.seed, child), daemon=True)
        self._process.start()
        child.close()
        self.port = self._conn.recv()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._conn.send("stop")
        except OSError:  # the child is gone already
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()
