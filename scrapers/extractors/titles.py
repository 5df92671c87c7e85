"""``buyer_title``: job titles, from careers listings and "talk to our Head of Operations"
anywhere; the people a vendor sells to are the roles its customers hire and name. A title ends at
its role and never carries a person's name ("Head of Sales Jane Tan", "Jane Tan, Head of Sales",
"Head of Sales (Jane Tan)" -> "Head of Sales"). A title's snippet is the title itself, never the
page text around it, where names sit in forms no rule foresees; the names found next to titles are
also cut out of the page's other snippets (``people_named``)."""

from __future__ import annotations

import re

from scrapers.extractors.common import (
    Evidence,
    Headers,
    content_blocks,
    detail_heading,
    evidence,
    visible_text,
)
from scrapers.extractors.pages import classify_page

# The last word of a title (or the first, in "Head of X") says it is a role.
_C_SUITE = {"ceo", "cfo", "coo", "cto", "cio", "cmo"}
_ROLE_WORDS = _C_SUITE | {
    "manager",
    "head",
    "director",
    "engineer",
    "executive",
    "officer",
    "lead",
    "specialist",
    "analyst",
    "coordinator",
    "operator",
    "driver",
    "consultant",
    "vp",
    "svp",
    "evp",
    "president",
    "chief",
    "associate",
    "supervisor",
    "administrator",
    "developer",
    "designer",
    "accountant",
    "controller",
    "planner",
    "buyer",
    "representative",
    "technician",
    "assistant",
    "intern",
    "founder",
    "co-founder",
    "clerk",
    "merchandiser",
    "strategist",
    "architect",
    "scientist",
    "storekeeper",
    "picker",
    "packer",
    "chef",
    "cashier",
}
_ABBREVIATIONS = {
    "mgr": "Manager",
    "ops": "Operations",
    "sr": "Senior",
    "snr": "Senior",
    "jr": "Junior",
    "exec": "Executive",
    "dir": "Director",
    "asst": "Assistant",
    "acct": "Account",
    "mktg": "Marketing",
    "eng": "Engineering",
    "biz": "Business",
    "dev": "Development",
    "admin": "Administrator",
    "coord": "Coordinator",
    "rep": "Representative",
}
_ACRONYMS = _C_SUITE | {
    "vp",
    "svp",
    "evp",
    "hr",
    "it",
    "qa",
    "ui",
    "ux",
    "f&b",
    "sap",
    "apac",
    "sea",
    "b2b",
    "ecommerce",
}
_SMALL_WORDS = {"of", "and", "the", "for", "to", "in", "&", "at"}
# Words of careers-page furniture ("Open positions", "Life at Acme"), never of a title.
_NOT_A_TITLE = {
    "jobs",
    "careers",
    "openings",
    "positions",
    "roles",
    "apply",
    "join",
    "vacancies",
    "benefits",
    "perks",
    "life",
    "culture",
    "contact",
    "our",
    "we",
    "you",
}
# What follows "Head of", "VP of", "Director of": after its first word, a title goes on only
# with these (so "Head of Sales Jane Tan" ends at "Sales").
_FIELD_WORDS = {
    "operations", "sales", "finance", "financial", "marketing", "engineering", "product", "products",
    "procurement", "purchasing", "sourcing", "supply", "chain", "logistics", "customer", "customers",
    "success", "service", "services", "support", "experience", "people", "hr", "human", "resources",
    "talent", "acquisition", "it", "technology", "technologies", "information", "systems", "data",
    "analytics", "insights", "design", "growth", "partnerships", "partner", "partners", "alliances",
    "business", "development", "security", "compliance", "legal", "risk", "strategy", "strategic",
    "digital", "ecommerce", "e-commerce", "retail", "warehouse", "warehousing", "inventory", "planning",
    "quality", "assurance", "qa", "research", "r&d", "content", "communications", "brand", "revenue",
    "accounts", "account", "management", "administration", "facilities", "fleet", "transport",
    "transportation", "distribution", "fulfilment", "fulfillment", "merchandising", "category",
    "culinary", "kitchen", "f&b", "food", "beverage", "safety", "health", "learning", "training",
    "innovation", "infrastructure", "platform", "software", "trade", "treasury", "tax", "audit",
    "investor", "relations", "public", "affairs", "corporate", "regional", "apac", "asia", "sea",
    "singapore", "global", "international", "enterprise", "commercial", "channel", "field", "inside",
    "community", "events", "payroll", "network", "cloud", "devops", "project", "projects", "program",
    "programs", "programme", "production", "manufacturing", "maintenance", "property", "estates",
    "clinical", "medical", "nursing", "pharmacy", "education", "admissions", "staff", "demand",
    "pricing", "payments", "credit", "collections", "internal", "creative", "media", "social",
    "performance", "ux", "ui", "b2b", "sap", "ecosystem", "solutions", "architecture", "machine",
    "ai", "import", "export", "shipping", "freight", "marine",
}  # fmt: skip
# Roles that go on with their field without an "of": "VP Sales" (and "VP Sales Tan Wei Ming" ends
# at "Sales").
_PREFIX_ROLES = {"vp", "svp", "evp", "avp"}
# Given names and surnames common in Singapore: a title never carries one (the word ends it).
_PERSON_NAMES = {
    "jane", "john", "david", "michael", "daniel", "james", "kenneth", "kevin", "jason", "ryan", "mark",
    "peter", "paul", "sarah", "rachel", "michelle", "jessica", "jennifer", "grace", "joanne", "priya",
    "arjun", "raj", "rajesh", "suresh", "ravi", "anand", "siti", "nur", "aisyah", "nurul", "muhammad",
    "mohamed", "mohammad", "ahmad", "ali", "farah", "aishah", "wei", "ming", "mei", "ling", "hui", "min",
    "jun", "jie", "xin", "yi", "hao", "kai", "li", "ying", "jia", "tan", "lim", "lee", "ng", "ong", "wong",
    "goh", "chua", "chan", "koh", "teo", "ang", "yeo", "tay", "ho", "low", "toh", "sim", "chong", "chia",
    "seah", "foo", "leong", "loh", "yap", "quek", "heng", "png", "soh", "lau", "chew", "pang", "neo",
    "poh", "khoo", "lai", "wee", "chin", "chen", "liu", "zhang", "wang", "huang", "rahman", "abdullah",
    "ismail", "hassan", "ibrahim", "osman", "bin", "binte", "binti", "kumar", "singh", "nair", "pillai",
    "menon", "rajan", "krishnan", "smith", "brown", "jones", "taylor", "williams", "johnson",
}  # fmt: skip
_CAPITALISED = re.compile(r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*\.?")
_TALK_TO_OUR = re.compile(
    r"\b(?i:talk|speak|chat|reach out|write|report(?:ing)?)\s+(?:to|with)\s+(?:our|the)\s+"
    r"((?:(?:[A-Z][\w&'.-]*|of|and|&)\s?){1,6})"
)


# "Talk to our Head of Procurement, Siti Nurhaliza binte Ahmad, about ...": the name set off by
# commas right after a title, for the page's other snippets (the title's own snippet is the title).
_APPOSITIVE_NAME = re.compile(
    r"\s*,\s*((?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*\.?|bin|binte|binti|a/l|a/p|s/o|d/o|van|de|da|von)"
    r"(?:\s+(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*\.?|bin|binte|binti|a/l|a/p|s/o|d/o|van|de|da|von)){0,5})\s*[,;.)]"
)


def normalise_title(raw: str) -> str:
    """ "sr. ops mgr" -> "Senior Operations Manager"; acronyms such as VP stay upper case."""
    words = []
    for i, token in enumerate(raw.replace("/", " / ").split()):
        key = token.lower().rstrip(".,")
        if key in _ABBREVIATIONS:
            words.append(_ABBREVIATIONS[key])
        elif key in _ACRONYMS:
            words.append(key.upper())
        elif key in _SMALL_WORDS and i > 0:
            words.append(key)
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in key.split("-")))
    return " ".join(words).replace(" / ", "/")


def _key(token: str) -> str:
    return token.lower().rstrip(".,")


def _is_person(phrase: str) -> bool:
    """ "Jane Tan", "Wei Ming Lim": capitalised words, one of them a known name, no role in them."""
    tokens = phrase.split()
    keys = {_key(t) for t in tokens}
    return (
        0 < len(tokens) <= 4
        and all(_CAPITALISED.fullmatch(t) for t in tokens)
        and bool(keys & _PERSON_NAMES)
        and not keys & (_ROLE_WORDS | _NOT_A_TITLE)
    )


def _looks_like_a_name(tokens: list[str]) -> bool:
    """Words after a role ("Manager Wei Ming Lim"): capitalised, none of them a title's word."""
    return (
        0 < len(tokens) <= 4
        and all(_CAPITALISED.fullmatch(t) for t in tokens)
        and not {_key(t) for t in tokens} & (_ROLE_WORDS | _FIELD_WORDS | _ACRONYMS | _NOT_A_TITLE | _SMALL_WORDS)
    )


def _end_at_role(head: str) -> tuple[str | None, str]:
    """(the title in ``head`` ended at its role, the person's name cut off it or ""). "Head of Sales
    Jane Tan" -> ("Head of Sales", "Jane Tan"); "Operations Manager Wei Ming Lim" -> ("Operations
    Manager", "Wei Ming Lim")."""
    tokens = head.replace("/", " / ").split()
    keys = [_key(t) for t in tokens]
    lead = 0
    while lead < len(tokens) - 1 and keys[lead] in _PERSON_NAMES and _CAPITALISED.fullmatch(tokens[lead]):
        lead += 1  # "Jane Tan Head of Sales"
    end = len(tokens)
    if lead < len(tokens) - 1 and keys[lead] in _PREFIX_ROLES and keys[lead + 1] in _FIELD_WORDS:
        end = lead + 1  # "VP Sales Tan Wei Ming": the role, its field words, then a name
        while end < len(tokens) and keys[end] not in _PERSON_NAMES and keys[end] in _FIELD_WORDS | _SMALL_WORDS:
            end += 1
    elif lead < len(tokens) and keys[lead] in _ROLE_WORDS and "of" in keys[lead:]:
        start = keys.index("of", lead) + 1
        end = start + 1 if start < len(tokens) and keys[start] not in _PERSON_NAMES else start
        while end < len(tokens) and keys[end] not in _PERSON_NAMES and (keys[end] in _FIELD_WORDS | _SMALL_WORDS):
            end += 1
    else:
        roles = [i for i in range(lead, len(tokens)) if keys[i] in _ROLE_WORDS]
        if roles and roles[-1] < len(tokens) - 1 and _looks_like_a_name(tokens[roles[-1] + 1 :]):
            end = roles[-1] + 1
    person = " ".join(tokens[:lead] + tokens[end:]).replace(" / ", "/")
    if person and not (_is_person(person) or (not lead and _looks_like_a_name(tokens[end:]))):
        lead, end, person = 0, len(tokens), ""  # not a name: the words stay and decide as a whole
    words = normalise_title(" ".join(tokens[lead:end])).split()
    while words and words[-1].lower() in _SMALL_WORDS:  # "our Head of Finance and ..." ends a phrase
        words.pop()
    title = " ".join(words)
    words = [w.lower() for w in words]
    if not 0 < len(words) <= 7 or set(words) & _NOT_A_TITLE:
        return None, ""
    if (
        words[-1] in _ROLE_WORDS
        or (words[0] in _ROLE_WORDS and "of" in words)
        or (words[0] in _PREFIX_ROLES and len(words) > 1 and set(words[1:]) <= _FIELD_WORDS | _SMALL_WORDS)
    ):
        return title, person
    return None, ""


# Where a listing line's title ends: " - ", " | ", "(", ", ", " / " ("Head of Procurement (Jane
# Tan)", "Finance Manager / Mary Lim", "Head of Sales | jane").
_PARTS = re.compile(r"\s+[-–|•·/]\s+|\s*[(|]\s*|,\s")
_PARTS_NO_SLASH = re.compile(r"\s+[-–|•·]\s+|\s*[(|]\s*|,\s")
_SLASH = re.compile(r"\s/\s")
_END_OF_TITLE = re.compile(r"\s*[(/|,]")


def _title_and_person(candidate: str) -> tuple[str | None, str]:
    """The job title inside a listing line ("Finance Mgr - Singapore (Full-time)"), if any, and the
    name of a person the line gives with it ("Jane Tan, Head of Sales"), which the title never
    carries."""
    parts = [p.strip(" .:()") for p in _PARTS.split(candidate)]
    title, person = _end_at_role(parts[0])
    if title is None and len(parts) > 1 and _SLASH.search(candidate):  # "Sales / Marketing Manager"
        parts = [p.strip(" .:()") for p in _PARTS_NO_SLASH.split(candidate)]
        title, person = _end_at_role(parts[0])
    if title is None and len(parts) > 1 and _is_person(parts[0]):  # "Jane Tan, Head of Sales"
        title, _ = _end_at_role(parts[1])
        person = parts[0] if title else ""
    elif title and len(parts) > 1 and _is_person(parts[1]):  # "Operations Manager, Wei Ming Lim"
        person = " ".join(p for p in (person, parts[1]) if p)
    elif title and len(parts) > 1 and _set_off(candidate) and _loosely_a_name(parts[1]):  # "Sales Director | rachel"
        person = " ".join(p for p in (person, parts[1]) if p)
    return title, person


_LISTING_WORDS = {
    "full-time", "part-time", "full", "part", "time", "contract", "permanent", "temporary", "remote", "hybrid",
    "onsite", "on-site", "internship", "freelance", "new", "urgent", "hiring", "closed", "filled", "malaysia",
    "indonesia", "vietnam", "thailand", "philippines", "hong", "kong", "china", "india", "australia", "based",
    "office", "hq", "month", "months", "year", "years", "junior", "senior", "entry", "level", "mid",
}  # fmt: skip
_NAME_WORD = re.compile(r"[A-Za-z][a-z'’.-]*")


def _set_off(candidate: str) -> bool:
    """Does the line's title end at "(", "/" or "|" (where what follows is often a person's name)?"""
    cut = _PARTS.search(candidate)
    return bool(cut) and cut.group().strip() in ("(", "/", "|")


def _loosely_a_name(phrase: str) -> bool:
    """Words set off after a title ("| rachel wee", "(Mary)"): a name unless one of them is a word
    of titles or of job listings ("(Full-time)", "/ Remote", "| Singapore")."""
    tokens = phrase.split()
    words = {_key(t) for t in tokens}
    return (
        0 < len(tokens) <= 4
        and all(_NAME_WORD.fullmatch(t) for t in tokens)
        and not words & (_ROLE_WORDS | _FIELD_WORDS | _ACRONYMS | _NOT_A_TITLE | _SMALL_WORDS | _LISTING_WORDS)
    )


def _as_title(candidate: str) -> str | None:
    """The job title inside a listing line ("Finance Mgr - Singapore (Full-time)"), if any."""
    return _title_and_person(candidate)[0]


def end_at_role(label: str) -> str:
    """A title someone else wrote (an LLM's answer) without the person's name it may carry:
    "Head of Sales Jane Tan", "Head of Sales (Jane Tan)", "Head of Sales / Jane Tan", "Head of
    Sales | jane", "Head of Sales, Jane Tan" -> "Head of Sales", "VP Sales Tan Wei Ming" -> "VP
    Sales". What follows a title at "(", "/", "|" or "," goes whoever it names; a label that is
    not a title before one of them comes back as it is ("Sales/Marketing Manager")."""
    cut = _END_OF_TITLE.search(label)
    if cut:
        head, _ = _end_at_role(label[: cut.start()].strip(" .:-"))
        if head:
            return head
    title, person = _title_and_person(label)
    return title if title and person else label


def _without(excerpt: str, persons: list[str]) -> str:
    """A snippet without the names of the people titles named."""
    for name in sorted(filter(None, persons), key=len, reverse=True):
        excerpt = excerpt.replace(name, "")
    return " ".join(excerpt.split())


def extract_buyer_titles(
    url: str, html: str, headers: Headers = None, *, page_type: str | None = None
) -> list[Evidence]:
    """Listings on a careers page (0.8; a job's detail page: its <h1> alone), then "talk to our
    ..." phrases (0.5): most confident first."""
    return _titles_and_people(url, html, page_type)[0]


def people_named(url: str, html: str, *, page_type: str | None = None) -> list[str]:
    """Names of the people the page's titles name ("Jane Tan" of "Head of Sales Jane Tan"): the
    spider cuts them out of every snippet of the page (``without_people``)."""
    return [p for p in _titles_and_people(url, html, page_type)[1] if p]


def without_people(excerpt: str, people: list[str]) -> str:
    return _without(excerpt, people) if people else excerpt


def _titles_and_people(url: str, html: str, page_type: str | None) -> tuple[list[Evidence], list[str]]:
    page_type = page_type or classify_page(url)
    text = visible_text(html)
    found = []
    detail = detail_heading(url, html) if page_type == "careers" else None
    persons = []  # names cut off titles: out of every snippet of the page
    if detail:
        title, person = _title_and_person(detail)
        if title:
            persons.append(person)
            found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.8, title))
    elif page_type == "careers":
        for block in content_blocks(html, ("h2", "h3", "h4", "li", "dt", "td")):
            title, person = _title_and_person(block)
            if title:
                persons.append(person)
                found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.8, title))
    for match in _TALK_TO_OUR.finditer(text):
        title, person = _title_and_person(match.group(1))
        if title:
            persons.append(person)
            found.append(evidence("buyer_title", {"label": title}, url, page_type, 0.5, title))
            named = _APPOSITIVE_NAME.match(text, match.end(1), match.end(1) + 80)
            persons.append(named.group(1) if named and _looks_like_a_name(named.group(1).split()[:1]) else "")
    return found, persons
