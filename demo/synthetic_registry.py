"""A synthetic ACRA registry in the data.gov.sg CSV layout, for demos, tests and benchmarks.

The real release is large and changes daily; this one is deterministic per seed and shaped
like the real thing where the product cares: Singapore-style names with every legal-suffix
spelling, a mostly non-live status mix, SSIC codes concentrated on the demo's industries so
audience sizing has real numbers to count, "na" placeholders, postal codes with leading
zeros, former names, and near-duplicate siblings that a matcher must not confuse.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

from demo.catalog import DemoCompany, all_companies
from icp_assets.domain.matching.names import normalise_name
from icp_assets.domain.registry.acra import ACRA_COLUMNS

# The real files also carry audit-firm columns that the product does not store.
CSV_COLUMNS: tuple[str, ...] = (
    *ACRA_COLUMNS,
    *(f"uen_of_audit_firm{i}" for i in range(1, 6)),
    *(f"name_of_audit_firm{i}" for i in range(1, 6)),
)

# code: (weight, official SSIC 2020 title, words a company in that industry puts in its name)
SSIC_PROFILE: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "46302": (
        4,
        "Wholesale of livestock, meat, poultry, eggs and seafood (including fresh and frozen)",
        ("SEAFOOD", "SEAFOOD TRADING", "FROZEN FOOD", "MEAT SUPPLIES", "POULTRY", "FISHERY"),
    ),
    "46303": (
        4,
        "Wholesale of a general line (wide range) of groceries (e.g. cereals, sugar, edible oils, sauces and dairy products)",
        ("FOOD DISTRIBUTION", "FOOD SUPPLIES", "FOODSTUFF TRADING", "PROVISION", "GROCERS", "FOOD INDUSTRIES"),
    ),
    "46307": (
        3,
        "Wholesale of liquor, soft drinks and beverages",
        ("BEVERAGES", "WINES & SPIRITS", "DRINKS", "WINE CELLAR", "BEVERAGE TRADING"),
    ),
    "46900": (
        6,
        "Wholesale trade of a variety of goods without a dominant product",
        ("TRADING", "GENERAL TRADING", "IMPORT & EXPORT", "ENTERPRISE", "MERCHANTS", "SUPPLIES"),
    ),
    "47109": (
        3,
        "Retail sale in other non-specialised stores n.e.c.",
        ("RETAIL", "MART", "MINIMART", "STORES", "LIFESTYLE"),
    ),
    "52101": (4, "General warehousing", ("WAREHOUSING", "LOGISTICS", "STORAGE", "DISTRIBUTION CENTRE", "SUPPLY CHAIN")),
    "52102": (
        3,
        "Refrigerated warehousing and storage",
        ("COLD CHAIN", "COLD STORAGE", "COOL LOGISTICS", "FROZEN LOGISTICS"),
    ),
    "52292": (
        4,
        "Freight transport arrangement",
        ("FREIGHT", "FORWARDING", "SHIPPING", "CARGO", "FREIGHT SERVICES", "EXPRESS", "LOGISTICS"),
    ),
    "56111": (4, "Restaurants", ("RESTAURANT", "KITCHEN", "DINING", "EATERY", "BISTRO", "F&B")),
    "62011": (
        6,
        "Development of software and applications (except games and cybersecurity)",
        ("TECHNOLOGIES", "SOFTWARE", "DIGITAL", "LABS", "SYSTEMS", "APPS", "TECH"),
    ),
    "70201": (
        7,
        "Management consultancy services",
        ("CONSULTING", "CONSULTANCY", "ADVISORY", "PARTNERS", "MANAGEMENT", "STRATEGY"),
    ),
    "46100": (
        3,
        "Wholesale on a fee or commission basis (excluding online marketplaces)",
        ("TRADING", "AGENCIES", "COMMODITIES", "MARKETING"),
    ),
    "62021": (
        3,
        "Information technology consultancy (except cybersecurity)",
        ("IT SOLUTIONS", "INFOTECH", "IT CONSULTING", "COMPUTER SERVICES", "NETWORKS"),
    ),
    "64202": (5, "Other holding companies", ("HOLDINGS", "INVESTMENTS", "CAPITAL", "VENTURES", "GROUP")),
    "70101": (
        2,
        "Activities of head and regional head offices; Centralised administrative offices and subsidiary management offices",
        ("ASIA PACIFIC", "REGIONAL", "GROUP SERVICES"),
    ),
    "68101": (2, "Real estate developers", ("DEVELOPMENT", "PROPERTIES", "REALTY", "LAND")),
    "41001": (
        3,
        "General contractors (building construction including major upgrading works)",
        ("CONSTRUCTION", "BUILDERS", "CONTRACTORS", "BUILDING"),
    ),
    "43301": (3, "Renovation contractors", ("RENOVATION", "INTERIOR DESIGN", "INTERIORS", "HOME DECOR")),
    "43210": (2, "Electrical works", ("ELECTRICAL ENGINEERING", "ELECTRICAL SERVICES", "M&E ENGINEERING")),
    "71121": (
        2,
        "General building engineering design and consultancy services",
        ("ENGINEERING", "ENGINEERING CONSULTANTS", "DESIGN CONSULTANTS"),
    ),
    "56112": (2, "Cafes", ("CAFE", "COFFEE", "BAKERY", "KOPITIAM", "ROASTERS")),
    "56123": (1, "Food kiosks mainly for takeaway and delivery", ("FOOD KIOSK", "TAKEAWAY", "SNACKS")),
    "47711": (2, "Retail sale of clothing for adults", ("FASHION", "APPAREL", "BOUTIQUE", "CLOTHING")),
    "49231": (2, "Freight transport by road", ("TRANSPORT", "HAULAGE", "MOVERS", "TRUCKING")),
    "81211": (
        2,
        "General cleaning services (including cleaning of public areas, offices and factories) except household cleaning and online marketplaces",
        ("CLEANING SERVICES", "FACILITY SERVICES", "HYGIENE"),
    ),
    "73100": (2, "Advertising activities", ("MEDIA", "CREATIVE", "ADVERTISING", "COMMUNICATIONS")),
    "69201": (
        2,
        "Accounting and auditing services (excluding online marketplaces)",
        ("ACCOUNTING", "CORPORATE SERVICES", "ASSURANCE", "TAX SERVICES"),
    ),
    "66199": (
        1,
        "Other activities auxiliary to financial service activities n.e.c. (e.g. mortgage advisory firms)",
        ("FINANCIAL", "WEALTH", "FINANCE"),
    ),
    "96021": (1, "Hairdressing salons/shops (including barber shops)", ("HAIR SALON", "BARBERS", "HAIR STUDIO")),
    "10711": (
        1,
        "Manufacture of biscuits (including wafers and cones)",
        ("BISCUIT", "CONFECTIONERY", "FOOD MANUFACTURING"),
    ),
    "25999": (
        1,
        "Manufacture of other fabricated metal products n.e.c. (including voice coil magnets)",
        ("METAL WORKS", "PRECISION ENGINEERING", "FABRICATION"),
    ),
    "46521": (
        1,
        "Wholesale of telecommunications equipment (excluding handphones)",
        ("TELECOM", "COMMUNICATIONS EQUIPMENT"),
    ),
    "46599": (
        1,
        "Wholesale of other machinery and equipment n.e.c.",
        ("MACHINERY", "EQUIPMENT", "INDUSTRIAL SUPPLIES"),
    ),
}
_SSIC_CODES = list(SSIC_PROFILE)
_SSIC_WEIGHTS = [SSIC_PROFILE[c][0] for c in _SSIC_CODES]

SURNAMES = (
    "TAN",
    "LIM",
    "LEE",
    "NG",
    "ONG",
    "WONG",
    "GOH",
    "CHUA",
    "CHAN",
    "KOH",
    "TEO",
    "ANG",
    "YEO",
    "SIM",
    "CHONG",
    "LAU",
    "HO",
    "LOW",
    "TOH",
    "CHEW",
    "QUEK",
    "SEAH",
    "PHUA",
    "FOO",
    "HENG",
    "KWEK",
    "LOKE",
    "AHMAD",
    "ISMAIL",
    "RAHMAN",
    "HASSAN",
    "OSMAN",
    "YUSOF",
    "SALLEH",
    "HAMID",
    "JAMAL",
    "KASSIM",
    "KUMAR",
    "PILLAI",
    "NAIR",
    "RAJ",
    "SINGH",
    "MENON",
    "KRISHNAN",
    "RAMASAMY",
    "SUPPIAH",
    "DAS",
)
PLACES = (
    "KALLANG",
    "JURONG",
    "TAMPINES",
    "WOODLANDS",
    "BEDOK",
    "ANG MO KIO",
    "TOA PAYOH",
    "BUKIT TIMAH",
    "PASIR PANJANG",
    "CHANGI",
    "SERANGOON",
    "GEYLANG",
    "ORCHARD",
    "RAFFLES",
    "MARINA",
    "SENTOSA",
    "TUAS",
    "PAYA LEBAR",
    "CLEMENTI",
    "YISHUN",
    "SEMBAWANG",
    "PUNGGOL",
    "TELOK AYER",
    "TANJONG PAGAR",
    "UBI",
    "KRANJI",
    "LOYANG",
    "ALEXANDRA",
    "NOVENA",
    "BOON LAY",
    "KAKI BUKIT",
    "SELETAR",
    "STRAITS",
)
BRANDS = (
    "GOLDEN",
    "EVERGREEN",
    "PRIME",
    "UNITED",
    "GLOBAL",
    "PACIFIC",
    "ORIENT",
    "STAR",
    "PHOENIX",
    "LOTUS",
    "DRAGON",
    "LION",
    "MERLION",
    "HARMONY",
    "SUNRISE",
    "SILVERLINE",
    "BLUE OCEAN",
    "APEX",
    "VERTEX",
    "NOVA",
    "ZENITH",
    "CRESCENT",
    "EASTERN",
    "SOUTHERN CROSS",
    "JADE",
    "PEARL",
    "RED DOT",
    "ALPHA",
    "SUMMIT",
    "HORIZON",
    "TRIDENT",
    "EVEREST",
    "BRIGHT",
    "FORTUNE",
    "PROSPER",
    "KEYSTONE",
    "BEACON",
    "CITADEL",
    "MERIDIAN",
    "PINNACLE",
    "SAPPHIRE",
    "ORCHID",
    "BANYAN",
    "TEMBUSU",
    "MAJU",
    "JAYA",
    "SETIA",
    "SRI",
    "LAKSHMI",
    "GANESH",
    "HUAT",
    "XIN",
    "HUP SENG",
    "SOON HENG",
    "WAH",
    "KIM",
)
QUALIFIERS = ("INTERNATIONAL", "ASIA", "GLOBAL", "SINGAPORE", "(ASIA)", "HOLDINGS", "GROUP", "SERVICES")
STREETS = (
    "JURONG PORT ROAD",
    "TAMPINES STREET 92",
    "UBI AVENUE 1",
    "KAKI BUKIT ROAD 4",
    "PANDAN LOOP",
    "ROBINSON ROAD",
    "CECIL STREET",
    "SHENTON WAY",
    "TOH GUAN ROAD EAST",
    "WOODLANDS LOOP",
    "CHANGI SOUTH LANE",
    "LOYANG WAY",
    "ALEXANDRA ROAD",
    "BUKIT BATOK STREET 23",
    "GEYLANG BAHRU",
    "PENJURU ROAD",
    "SENOKO ROAD",
    "ORCHARD ROAD",
    "NORTH BRIDGE ROAD",
    "TAI SENG STREET",
)
BUILDINGS = (
    "na",
    "na",
    "na",
    "INTERNATIONAL PLAZA",
    "UBI TECHPARK",
    "JTC LOGISPARK",
    "SUNTEC TOWER ONE",
    "CENTRAL PLAZA",
    "TRADEHUB 21",
    "NORTHLINK BUILDING",
    "THE CAPITAL",
)
COMPANY_SUFFIXES = ("PTE. LTD.", "PTE. LTD.", "PTE. LTD.", "PTE LTD", "PTE LTD", "PRIVATE LIMITED", "(S) PTE. LTD.")
# (weight, status) per entity kind: about 30% of all rows end up live.
COMPANY_STATUSES = (
    (31, "Live Company"),
    (38, "Struck Off"),
    (6, "Gazetted to be Struck Off"),
    (8, "Dissolved - Members' Voluntary Winding Up"),
    (3, "Dissolved - Compulsory Winding Up"),
    (2, "Dissolved - Creditors' Voluntary Winding Up"),
    (2, "In Liquidation - Members' Voluntary Winding Up"),
    (3, "Amalgamated"),
    (7, "Cancelled"),
)
BUSINESS_STATUSES = ((30, "Live"), (40, "Ceased Registration"), (20, "Cancelled"), (10, "Expired"))
LLP_STATUSES = ((35, "Live"), (45, "Struck Off"), (20, "Cancelled"))

_FIRST_DATE = date(1970, 1, 1)
_FIRST_LLP_DATE = date(2005, 4, 11)  # the LLP Act came into force
_LAST_DATE = date(2025, 6, 30)
_UEN_LETTERS = "ABCDEGHJKLMNRSWXZ"


def _weighted(rng: random.Random, pairs: tuple[tuple[float, str], ...]) -> str:
    return rng.choices([p[1] for p in pairs], weights=[p[0] for p in pairs])[0]


# Coined brand words ("STOCKWISE", "HARBOURLINE", "KOVARIN"): most real names carry one, and
# they are what makes a name rare enough to find among two million.
_HEADS = (
    "HARBOUR",
    "STOCK",
    "BRIGHT",
    "BLUE",
    "SUN",
    "SKY",
    "IRON",
    "OCEAN",
    "RIVER",
    "STONE",
    "GREEN",
    "SILVER",
    "GOLD",
    "CLEAR",
    "SWIFT",
    "TRUE",
    "WISE",
    "NORTH",
    "EAST",
    "SMART",
    "CORE",
    "PEAK",
    "FIRST",
    "OMNI",
    "POLY",
    "NEXT",
    "ACE",
    "UNI",
    "INFO",
    "TECH",
    "AGRI",
    "AQUA",
    "TERRA",
    "ECO",
    "METRO",
    "URBAN",
    "ROYAL",
    "GRAND",
    "NEO",
    "ASIA",
    "SINO",
    "INDO",
    "MEGA",
    "MAX",
    "QUICK",
)
_TAILS = (
    "LINE",
    "WISE",
    "PATH",
    "WAY",
    "POINT",
    "FIELD",
    "GATE",
    "BRIDGE",
    "PORT",
    "WORKS",
    "LINK",
    "STAR",
    "HUB",
    "BASE",
    "MARK",
    "TECH",
    "SOFT",
    "NET",
    "TRON",
    "LOGIC",
    "VIEW",
    "WAVE",
    "FORCE",
    "CREST",
    "LEAF",
    "WELL",
    "SHORE",
    "LAND",
    "TRADE",
    "MART",
    "CORP",
    "PRO",
    "PLUS",
    "ONE",
    "VIA",
)
_DEMO_BRANDS = frozenset(normalise_name(c.legal_name).split()[0] for c in all_companies())
_SYLLABLES = (
    "KA",
    "VO",
    "RI",
    "ZEN",
    "TA",
    "LU",
    "MI",
    "NO",
    "SA",
    "QI",
    "XIN",
    "HUA",
    "YONG",
    "LI",
    "DA",
    "KO",
    "RA",
    "VI",
    "NA",
    "TEK",
    "SOL",
    "MAR",
    "REN",
    "JIA",
    "AN",
    "EL",
    "OR",
    "IN",
    "BO",
    "FU",
    "GEN",
    "HO",
    "PI",
    "SE",
    "TO",
    "WEI",
    "YU",
    "ZO",
    "KAI",
    "LEX",
)


def _coined_word(rng: random.Random) -> str:
    """A brand word, never one a demo company is known by (HARBOUR+LINE, STOCK+WISE)."""
    while True:
        if rng.random() < 0.4:
            word = rng.choice(_HEADS) + rng.choice(_TAILS)
        else:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if word not in _DEMO_BRANDS:
            return word


def _base_name(rng: random.Random, words: tuple[str, ...]) -> str:
    """A distinctive stem plus an industry word, the way Singapore companies are named."""
    style = rng.random()
    industry = rng.choice(words)
    if style < 0.2:
        surname = rng.choice(SURNAMES)
        stem = rng.choice((surname, f"{surname} BROS", f"{surname} & SONS", f"{surname} {rng.choice(SURNAMES)}"))
    elif style < 0.3:
        stem = rng.choice(PLACES)
    elif style < 0.45:
        stem = rng.choice(BRANDS)
        if rng.random() < 0.4:
            stem = f"{stem} {rng.choice(BRANDS)}"
    elif style < 0.55:
        stem = f"{rng.choice(BRANDS)} {rng.choice(PLACES)}"
    elif style < 0.9:
        stem = _coined_word(rng)
        if rng.random() < 0.25:
            stem = f"{stem} {rng.choice((*BRANDS, *PLACES, *SURNAMES))}"
    else:
        stem = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(rng.choice((2, 3, 3, 4))))
    name = f"{stem} {industry}"
    if rng.random() < 0.12:
        name = f"{name} {rng.choice(QUALIFIERS)}"
    return name


def _name_key(name: str) -> str:
    """ACRA refuses a name identical to an existing one once legal form and punctuation are
    ignored; here word order is ignored too, so "TAN LIM X" and "LIM TAN X" never both exist
    (a seed with its words reordered must still point at one company)."""
    return " ".join(sorted(normalise_name(name).split()))


class _Generator:
    def __init__(self, seed: int, reserved_uens: Iterable[str], reserved_names: Iterable[str]):
        self.rng = random.Random(seed)
        self.uens: set[str] = set(reserved_uens)
        # Names are unique by _name_key (siblings excepted, on purpose).
        self.names: set[str] = {_name_key(n) for n in reserved_names}

    def uen(self, kind: str, incorporated: date) -> str:
        rng = self.rng
        while True:
            if kind == "business":
                uen = f"{rng.randint(10_000_000, 99_999_999)}{rng.choice(_UEN_LETTERS)}"
            elif kind == "llp":
                uen = f"T{incorporated.year % 100:02d}LL{rng.randint(0, 9999):04d}{rng.choice(_UEN_LETTERS)}"
            else:
                uen = f"{incorporated.year}{rng.randint(0, 99_999):05d}{rng.choice(_UEN_LETTERS)}"
            if uen not in self.uens:
                self.uens.add(uen)
                return uen

    def unique_name(self, make) -> str:
        for _ in range(50):
            name = make()
            key = _name_key(name)
            if key not in self.names:
                self.names.add(key)
                return name
        raise RuntimeError("synthetic name space exhausted; raise variety or lower the entity count")

    def row(self, name: str, kind: str, ssic: str, status: str, **overrides) -> dict[str, str]:
        rng = self.rng
        first = _FIRST_LLP_DATE if kind == "llp" else _FIRST_DATE
        incorporated = overrides.pop("incorporated", None) or first + timedelta(
            days=rng.randrange((_LAST_DATE - first).days)
        )
        live = status.startswith("Live")
        entity_type, constitution, company_type = {
            "company": ("Local Company", "na", "Private Company Limited by Shares"),
            "llp": ("Limited Liability Partnerships", "na", "na"),
            "business": ("Sole Proprietorship/ Partnership", rng.choice(("Sole-Proprietor", "Partnership")), "na"),
        }[kind]
        secondary = rng.choice(_SSIC_CODES) if rng.random() < 0.3 else None
        row = {column: "na" for column in CSV_COLUMNS}
        row.update(
            uen=overrides.pop("uen", None) or self.uen(kind, incorporated),
            issuance_agency_id="ACRA",
            entity_name=name,
            entity_type_description=entity_type,
            business_constitution_description=constitution,
            company_type_description=company_type,
            entity_status_description=status,
            registration_incorporation_date=incorporated.isoformat(),
            uen_issue_date=incorporated.isoformat(),
            address_type="LOCAL",
            block=str(rng.randint(1, 999)),
            street_name=rng.choice(STREETS),
            level_no=f"{rng.randint(1, 30):02d}" if rng.random() < 0.6 else "na",
            unit_no=f"{rng.randint(1, 150):02d}" if rng.random() < 0.6 else "na",
            building_name=rng.choice(BUILDINGS),
            postal_code=overrides.pop("postal_code", None) or f"{rng.randint(1, 82):02d}{rng.randint(0, 9999):04d}",
            primary_ssic_code=ssic,
            primary_ssic_description=SSIC_PROFILE[ssic][1] if ssic in SSIC_PROFILE else "na",
            secondary_ssic_code=secondary or "na",
            secondary_ssic_description=SSIC_PROFILE[secondary][1] if secondary else "na",
            no_of_officers=str(rng.randint(1, 12)) if kind == "company" else "na",
        )
        if live:
            due = date(2025, rng.randint(1, 12), rng.randint(1, 28))
            row["account_due_date"] = due.isoformat()
            row["annual_return_date"] = (due - timedelta(days=rng.randint(30, 400))).isoformat()
        for i, former in enumerate(overrides.pop("former_names", ()), start=1):
            row[f"former_entity_name{i}"] = former
        row.update(overrides)
        return row


def _kind_and_name(gen: _Generator, words: tuple[str, ...]) -> tuple[str, str]:
    rng = gen.rng
    draw = rng.random()
    if draw < 0.18:
        return "business", gen.unique_name(lambda words=words: _base_name(rng, words))
    if draw < 0.22:
        return "llp", gen.unique_name(lambda: f"{_base_name(rng, words)} LLP")
    return "company", gen.unique_name(lambda words=words: f"{_base_name(rng, words)} {rng.choice(COMPANY_SUFFIXES)}")


def _status(rng: random.Random, kind: str) -> str:
    table = {"company": COMPANY_STATUSES, "llp": LLP_STATUSES, "business": BUSINESS_STATUSES}[kind]
    return _weighted(rng, table)


def _synthetic_rows(gen: _Generator, count: int) -> Iterator[dict[str, str]]:
    rng = gen.rng
    produced = 0
    while produced < count:
        ssic = rng.choices(_SSIC_CODES, weights=_SSIC_WEIGHTS)[0]
        words = SSIC_PROFILE[ssic][2]
        draw = rng.random()
        if draw < 0.02 and count - produced >= 3:
            # Siblings of one group: "X HOLDINGS", "X (S)" and a struck-off "X", which
            # normalises exactly like "X (S)".
            stem = gen.unique_name(lambda words=words: _base_name(rng, words))
            siblings = (
                (f"{stem} HOLDINGS PTE. LTD.", "64202", _status(rng, "company")),
                (f"{stem} (S) PTE. LTD.", ssic, "Live Company"),
                (f"{stem} PTE. LTD.", ssic, "Struck Off"),
            )
            for name, code, status in siblings:
                gen.names.add(_name_key(name))
                yield gen.row(name, "company", code, status)
            produced += len(siblings)
            continue
        if draw < 0.035 and count - produced >= 2:
            # Names that extend each other: "X TRADING" and "X TRADING SERVICES" are two companies.
            short = gen.unique_name(lambda words=words: _base_name(rng, words))
            longer = gen.unique_name(lambda short=short, words=words: f"{short} {rng.choice((*QUALIFIERS, *words))}")
            for name in (short, longer):
                yield gen.row(f"{name} {rng.choice(COMPANY_SUFFIXES)}", "company", ssic, _status(rng, "company"))
            produced += 2
            continue
        kind, name = _kind_and_name(gen, words)
        former: tuple[str, ...] = ()
        if rng.random() < 0.05:
            former = tuple(
                gen.unique_name(lambda words=words: f"{_base_name(rng, words)} {rng.choice(COMPANY_SUFFIXES)}")
                for _ in range(rng.choice((1, 1, 1, 2)))
            )
        yield gen.row(name, kind, ssic, _status(rng, kind), former_names=former)
        produced += 1


def _demo_row(gen: _Generator, company: DemoCompany) -> dict[str, str]:
    kind = "llp" if company.legal_name.endswith(" LLP") else "company"
    return gen.row(
        company.legal_name,
        kind,
        company.ssic,
        "Live Company",
        uen=company.uen,
        postal_code=company.postal_code,
        incorporated=date.fromisoformat(company.incorporated),
        former_names=company.former_names,
        primary_ssic_description=SSIC_PROFILE[company.ssic][1] if company.ssic in SSIC_PROFILE else "na",
    )


def _file_key(name: str) -> str:
    first = name[:1].upper()
    return first if "A" <= first <= "Z" else "others"


def synthetic_acra_rows(entities: int, seed: int, extra: Iterable[DemoCompany] = ()) -> Iterator[dict[str, str]]:
    """``extra`` (as live companies) then ``entities`` synthetic rows, keyed by CSV_COLUMNS, one at a time."""
    extra = tuple(extra)
    # Reserving the casual names too keeps a generated "STRAITS FORWARDING" from stealing the
    # demo seed "Straits Forwarding" from its legal entity.
    gen = _Generator(seed, (c.uen for c in extra), (n for c in extra for n in (c.legal_name, c.name, *c.former_names)))
    for company in extra:
        yield _demo_row(gen, company)
    yield from _synthetic_rows(gen, entities)


def generate_acra_csvs(out_dir: Path, entities: int, seed: int, extra: Iterable[DemoCompany] = ()) -> list[Path]:
    """Write synthetic rows as acra_entities_<A-Z|others>.csv, streaming (2M rows fit in little memory)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        writers: dict[str, csv.DictWriter] = {}
        for row in synthetic_acra_rows(entities, seed, extra):
            key = _file_key(row["entity_name"])
            if key not in writers:
                handle = stack.enter_context(
                    open(out_dir / f"acra_entities_{key}.csv", "w", newline="", encoding="utf-8")
                )
                writers[key] = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
                writers[key].writeheader()
            writers[key].writerow(row)
    return [out_dir / f"acra_entities_{key}.csv" for key in sorted(writers)]
