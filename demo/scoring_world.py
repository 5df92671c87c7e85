"""A labelled world for account scoring: a vendor's two accepted cards, and accounts planted in and
out of them, with ACRA rows and websites: some sites block crawlers (robots.txt or 403), and some
accounts leave nothing to learn (not in ACRA, and a site that says nothing or cannot be crawled).

An account is in the ICP (``in_icp``, the label) when it holds every defining attribute of one of
the cards: its SSIC group and its integrations. The benchmark and the tests grade the accounts and
compare the grades with these labels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.catalog import DemoCompany
from demo.fixture_sites import INTEGRATIONS, TITLES
from demo.vhost import Page, Reply, Site
from demo.websites import build_site

# The vendor's two accepted cards, as icp.icp_suggestions holds them (the keys a rule copies).
FOOD_CARD = {
    "title": "Food wholesale companies (10-49 staff) on Xero + Shopify",
    "cluster": ["integration:shopify", "integration:xero", "ssic3:463"],
    "ssic_group": "463",
    "ssic_codes": ["46302", "46303"],
    "headcount_band": "10-49",
    "integrations": ["Xero", "Shopify"],
    "champion_titles": ["Head of Operations"],
}
COLD_CHAIN_CARD = {
    "title": "Warehousing companies (50-249 staff) on NetSuite",
    "cluster": ["integration:netsuite", "ssic3:521"],
    "ssic_group": "521",
    "ssic_codes": ["52101", "52102"],
    "headcount_band": "50-249",
    "integrations": ["NetSuite", "Salesforce"],
    "champion_titles": ["Supply Chain Manager"],
}
CARDS = (FOOD_CARD, COLD_CHAIN_CARD)
# Card -> (its SSIC subclasses, its defining integrations, its headcount range).
_SEGMENTS = (
    (("46302", "46303"), ("Xero", "Shopify"), (10, 49)),
    (("52101", "52102"), ("NetSuite",), (50, 249)),
)
_OTHER_SSIC = ("62011", "70201", "56111", "47109", "41001")
_DEFINING = {i for _, integrations, _ in _SEGMENTS for i in integrations}

# Coined words, one per account: names no synthetic registry entity shares, so each account ACRA
# knows matches its own row, and those it does not know match none (_NOBODY).
_WORDS = (
    "Zephyrine", "Quillmore", "Marlowe", "Fennick", "Tamarin", "Orrindale", "Velozza", "Kestrelle", "Brisalo",
    "Calderon", "Juniperra", "Lumenco", "Aldwick", "Brackenna", "Corvanta", "Dunmoral", "Elmsworth", "Farrowgate",
    "Glenvoss", "Hollowmere", "Ivorybay", "Jessamin", "Kirrawee", "Larchmont", "Morrowind", "Nettlefold", "Oakhurst",
    "Penhallow", "Quenby", "Rosslare", "Saltmarsh", "Thornbury", "Umberlee", "Vantrell", "Wexcombe", "Yarrowby",
    "Zanderley", "Ashcombe", "Birchanger", "Coldharbour", "Drummore", "Eastwell", "Foxcote", "Greystoke",
    "Hartwell", "Inchmarlo", "Kilbride", "Lowther", "Mistley", "Norwood", "Ottery", "Pelham", "Ravensby",
    "Abernethy", "Blackwater", "Carrickfergus", "Dalwhinnie", "Edgbaston", "Fairlight", "Gorsedene", "Hathersage",
    "Ilfracombe", "Jedburgh", "Knaresborough", "Lyndhurst", "Marchmont", "Nantwich", "Oswaldkirk", "Pitlochry",
    "Quantock", "Rothbury", "Sedbergh", "Tewkesbury", "Uffington", "Ventnor", "Whitstable", "Yeovilton",
    "Zennor", "Alnmouth", "Bamburgh", "Castlerigg", "Dunstaffnage", "Exmoor", "Fowey", "Glastonbury",
    "Helmsley", "Ingleborough", "Kielder", "Lindisfarne", "Malvern", "Northallerton", "Orkneyvale", "Portmeirion",
    "Ribblesdale", "Swaledale", "Tintagel", "Ullapool", "Wensleydale", "Wolvercote", "Brancaster", "Cairngorm",
)  # fmt: skip
_NOBODY = (
    "Xylophant", "Quorvex", "Bramblequill", "Oxtrundle", "Fizzlewick", "Grumbleton", "Snorkelby", "Wobbleford",
    "Zigglethorpe", "Plinkerton", "Muddlecombe", "Jibberwock", "Trundlebury", "Whiffleton", "Crumpetshire",
)  # fmt: skip
_TRADES = {"46302": "Seafood Traders", "46303": "Food Supplies", "52101": "Warehousing", "52102": "Cold Storage"}


@dataclass(frozen=True)
class LabelledAccount:
    company: DemoCompany  # its ACRA row (when in_registry) and what its site says
    kind: str  # in_icp, near_miss, other_industry, blocked_in, blocked_out, nothing_to_learn
    in_icp: bool
    in_registry: bool
    site: Site | None  # what its website serves; None: no website given

    @property
    def name(self) -> str:
        return self.company.name

    @property
    def website(self) -> str:
        return f"https://{self.company.domain}/" if self.site is not None else ""


def _robots_block(site: Site) -> Site:
    return {**site, "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /\n")}


def _forbidden(path: str, hits: int) -> Page | None:
    return Reply(403, b"Forbidden\n", "text/plain")


def _says_nothing(name: str) -> Site:
    """A one-page site with no integration, headcount, title or industry on it."""
    body = (
        f"<!doctype html><html><head><title>{name}</title></head><body><h1>{name}</h1><p>Coming soon.</p></body></html>"
    )
    return {"/": ("text/html; charset=utf-8", body.encode())}


class _Maker:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.n = 0
        self.words = {True: iter(_WORDS), False: iter(_NOBODY)}

    def company(
        self, ssic: str, integrations: tuple[str, ...], headcount: int, in_registry: bool = True
    ) -> DemoCompany:
        word = next(self.words[in_registry], None)
        if word is None:
            raise ValueError("the scoring world has names for 2 scales of accounts")
        name = f"{word} {_TRADES.get(ssic, 'Ventures')}"
        self.n += 1
        year = self.rng.randint(1995, 2020)
        return DemoCompany(
            name=name,
            legal_name=f"{name.upper()} PTE. LTD.",
            domain=f"{name.lower().replace(' ', '')}.com.sg",
            uen=f"{year}{90_000 + self.n:05d}K",
            ssic=ssic,
            headcount=headcount,
            postal_code=f"{self.rng.randint(1, 82):02d}{self.rng.randint(0, 9999):04d}",
            incorporated=f"{year}-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}",
            industries=("food distribution",) if ssic.startswith("463") else ("business services",),
            integrations=integrations,
            job_titles=tuple(self.rng.sample(TITLES, 2)),
        )

    def others(self, k: int) -> tuple[str, ...]:
        return tuple(self.rng.sample([i for i in INTEGRATIONS if i not in _DEFINING], k))


def labelled_accounts(seed: int = 11, scale: int = 1) -> list[LabelledAccount]:
    """The labelled accounts, reproducible by seed; ``scale`` (1 or 2) multiplies every kind's count."""
    make = _Maker(seed)
    rng = make.rng
    accounts: list[LabelledAccount] = []

    def add(company: DemoCompany, kind: str, in_icp: bool, in_registry: bool = True, site: Site | None = None) -> None:
        accounts.append(
            LabelledAccount(company, kind, in_icp, in_registry, build_site(company) if site is None else site)
        )

    for _ in range(scale):
        for codes, defining, (low, high) in _SEGMENTS:
            # In the ICP: its SSIC group and every defining integration, mostly its size band too.
            for n in range(7):
                size = rng.randint(low, high) if n < 5 else rng.randint(high + 1, high * 4)
                add(make.company(rng.choice(codes), (*defining, *make.others(rng.randint(0, 2))), size), "in_icp", True)
            # Near misses: the right SSIC group, other integrations (the SSIC-only view's false positives).
            for _ in range(5):
                add(
                    make.company(rng.choice(codes), make.others(rng.randint(2, 3)), rng.randint(low, high)),
                    "near_miss",
                    False,
                )
            # Other industries using the same tools.
            for _ in range(4):
                add(make.company(rng.choice(_OTHER_SSIC), defining, rng.randint(low, high)), "other_industry", False)
            # Sites that block crawlers: robots.txt or 403, in the ICP and out of it.
            for n in range(2):
                company = make.company(rng.choice(codes), defining, rng.randint(low, high))
                pages = build_site(company)
                add(company, "blocked_in", True, site=_robots_block(pages) if n % 2 == 0 else _forbidden)
            for n in range(2):
                company = make.company(rng.choice(_OTHER_SSIC), make.others(2), rng.randint(low, high))
                pages = build_site(company)
                add(company, "blocked_out", False, site=_robots_block(pages) if n % 2 else _forbidden)
        # Nothing to learn: not in ACRA, and a site that says nothing, blocks crawlers or is not given.
        for n in range(6):
            company = make.company(rng.choice(("46303", "62011")), ("Xero", "Shopify"), 20, in_registry=False)
            site = (_says_nothing(company.name), _forbidden, None)[n % 3]
            accounts.append(LabelledAccount(company, "nothing_to_learn", n % 2 == 0, False, site))
    return accounts


def registry_companies(accounts: list[LabelledAccount]) -> list[DemoCompany]:
    """The ACRA rows to load beside a synthetic registry: every account ACRA knows."""
    return [a.company for a in accounts if a.in_registry]


def account_sites(accounts: list[LabelledAccount]) -> dict[str, Site]:
    """Domain -> site, for the virtual-host server."""
    return {a.company.domain: a.site for a in accounts if a.site is not None}


def accounts_csv(accounts: list[LabelledAccount]) -> str:
    """The accounts file `icp score` takes."""
    return "name,website\n" + "".join(f"{a.name},{a.website}\n" for a in accounts)
