"""The fast-start intake: its schema, domain normalisation, and the transactional write."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from itertools import accumulate
from typing import Annotated, Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from scrapers.hosts import crawlable_website, website_domain

log = logging.getLogger(__name__)

TENANT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")  # use fullmatch: "$" would let "acme\n" through
TENANT_RULE = "must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"

# Caps on what an intake may be; anything over them is refused with a message naming the field.
MAX_INTAKE_BYTES = 256 * 1024  # the whole JSON document
MAX_DEPTH = 8  # nesting of objects and arrays (a valid intake needs 4)
_PARSE_DEPTH = 64  # past this the document is not even parsed (the parser recurses)
MAX_NUMBER_DIGITS = 30  # digits of a JSON number as written
MAX_ADVANCED_ANSWERS = 30  # questions answered in one advanced section
MAX_ADVANCED_LIST = 30  # items of one list answer
MAX_ADVANCED_CHARS = 64 * 1024  # all advanced answers together, as JSON
MAX_ADVANCED_NUMBER = 1e12  # magnitude of a numeric advanced answer
MAX_SUBMITTED_BY = 200
MIN_BEST_COMPANIES = 5  # distinct best customers (same website domain or name: one company)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]


class IntakeError(ValueError):
    """An intake that cannot be accepted; ``problems`` names each bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _check_website(value: str) -> str:
    from scrapers import settings as crawl_settings  # the ports the crawler is configured to use

    crawlable_website(value, crawl_settings.ICP_ALLOWED_PORTS)  # a public host name, no IP address in any notation
    return value


def check_tenant_id(tenant_id: str) -> str:
    """The tenant id, or IntakeError naming the rule it breaks."""
    if not isinstance(tenant_id, str) or not TENANT_ID.fullmatch(tenant_id):
        raise IntakeError([f"tenant: {tenant_id!r} {TENANT_RULE}"])
    return tenant_id


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BestCustomer(_Strict):
    name: ShortText
    website: Url
    _website = field_validator("website")(_check_website)


class LostCustomer(_Strict):
    name: ShortText
    website: Url | None = None
    reason: LongText

    @field_validator("website")
    @classmethod
    def _valid_website(cls, value: str | None) -> str | None:
        return None if value is None else _check_website(value)


def _one_or_many(value: Any) -> Any:
    """A single text answer stands for a list of one ("en" is ["en"])."""
    return [value] if isinstance(value, str) else value


class GeoLanguageTz(_Strict):
    """Where the vendor sells. The plan's keys (`geo`, `language`, `tz`) and the long ones (`geos`,
    `languages`, `timezone`) are both accepted and stored as the long ones; geo and language take a
    text or a list of texts."""

    geos: Annotated[list[ShortText], BeforeValidator(_one_or_many)] = Field(
        default_factory=list, max_length=30, validation_alias=AliasChoices("geos", "geo")
    )
    languages: Annotated[list[ShortText], BeforeValidator(_one_or_many)] = Field(
        default_factory=list, max_length=20, validation_alias=AliasChoices("languages", "language")
    )
    timezone: ShortText | None = Field(default=None, validation_alias=AliasChoices("timezone", "tz"))

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for long, short in (("geos", "geo"), ("languages", "language"), ("timezone", "tz")):
                if long in data and short in data:
                    raise ValueError(f"give {short!r} or {long!r}, not both")
        return data


class Deal(_Strict):
    acv_usd: float | None = Field(default=None, ge=0, le=1e9)
    cycle_days: int | None = Field(default=None, ge=0, le=3650)
    price_floor_usd: float | None = Field(default=None, ge=0, le=1e9)


def _advanced_value(value: Any) -> str | list[str] | float | int | bool:
    """One advanced answer: text, a list of short texts, a bounded number, or true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not -MAX_ADVANCED_NUMBER <= value <= MAX_ADVANCED_NUMBER:
            raise ValueError(f"a number must lie within +-{MAX_ADVANCED_NUMBER:g}")
        return value
    if isinstance(value, str):
        return _bounded_text(value, 2000)
    if isinstance(value, list):
        if len(value) > MAX_ADVANCED_LIST:
            raise ValueError(f"a list answer has {len(value)} items, at most {MAX_ADVANCED_LIST}")
        return [_bounded_text(item, 200, f"item {i}: ") for i, item in enumerate(value)]
    raise ValueError("must be text, a list of texts, a number or true/false")


def _bounded_text(value: Any, limit: int, where: str = "") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}must be text")
    text = value.strip()
    if not 1 <= len(text) <= limit:
        raise ValueError(f"{where}text must have 1 to {limit} characters, has {len(text)}")
    return text


AdvancedAnswer = Annotated[
    dict[ShortText, Annotated[Any, PlainValidator(_advanced_value)]], Field(max_length=MAX_ADVANCED_ANSWERS)
]


class AdvancedSections(_Strict):
    """Optional deep-dive sections A-H of the intake; free-form answers keyed by question.

    Bounded: at most 30 answers a section, answers of at most 2000 characters or 30 short items,
    numbers within +-1e12, and 64 KiB for all sections together."""

    A: AdvancedAnswer | None = None
    B: AdvancedAnswer | None = None
    C: AdvancedAnswer | None = None
    D: AdvancedAnswer | None = None
    E: AdvancedAnswer | None = None
    F: AdvancedAnswer | None = None
    G: AdvancedAnswer | None = None
    H: AdvancedAnswer | None = None

    @model_validator(mode="after")
    def _bounded(self) -> AdvancedSections:
        size = len(json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
        if size > MAX_ADVANCED_CHARS:
            raise ValueError(f"answers total {size} characters as JSON, at most {MAX_ADVANCED_CHARS}")
        return self


MAX_HEADCOUNT = 10_000_000  # a bound of an employee band or of an exclusion
# "50-200" with a hyphen, en dash, em dash or another dash (spaces around it allowed), or "1000+";
# numbers may group thousands with commas ("1,000+").
_COUNT = r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,8})"
_EMPLOYEE_BAND = re.compile(rf"\s*{_COUNT}\s*(?:[-\u2010-\u2015\u2212]\s*{_COUNT}|(\+))\s*")


def _employee_band(value: Any) -> str:
    """A headcount band with its bounds kept, written "LOW-HIGH" or "LOW+" ("50–200" -> "50-200")."""
    shape = 'a range such as "50-200" (hyphen, en or em dash) or a floor such as "1000+"'
    if not isinstance(value, str):
        raise ValueError(f"must be text: {shape}")
    match = _EMPLOYEE_BAND.fullmatch(value)
    if match is None:
        raise ValueError(f"must be {shape}, got {_shown(value)}")
    low, high = int(match[1].replace(",", "")), None if match[3] else int(match[2].replace(",", ""))
    if not 1 <= low <= MAX_HEADCOUNT or (high is not None and high > MAX_HEADCOUNT):
        raise ValueError(f"bounds must lie within 1 to {MAX_HEADCOUNT:,}, got {_shown(value)}")
    if high is not None and low > high:
        raise ValueError(f"the low bound {low} is above the high bound {high}")
    return f"{low}+" if high is None else f"{low}-{high}"


def _shown(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


EmployeeBand = Annotated[str, PlainValidator(_employee_band)]

# An excluded SSIC code: a 5-digit subclass, a 4-digit class, a 3-digit group, a 2-digit
# division, or a section letter (A-U).
_SSIC_EXCLUSION = re.compile(r"[0-9]{2,5}|[A-U]")


def _ssic_exclusion(value: Any) -> str:
    shape = "a 5-digit SSIC code, a 2-4 digit division, group or class, or a section letter A-U"
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'must be text (quoted, so leading zeros survive: "{value}"), {shape}')
    if not isinstance(value, str):
        raise ValueError(f"must be text, {shape}")
    code = value.strip().upper()
    if not _SSIC_EXCLUSION.fullmatch(code):
        raise ValueError(f"must be {shape}, got {_shown(value)}")
    return code


SsicExclusion = Annotated[str, PlainValidator(_ssic_exclusion)]


class Exclusions(_Strict):
    """Who the vendor does not sell to (the anti-ICP as rules the cards obey): SSIC codes at any
    level, companies with fewer staff than ``headcount_min`` or more than ``headcount_max``,
    companies using one of ``integrations``; ``notes`` is free text read for anti-ICP themes."""

    ssic: list[SsicExclusion] = Field(default_factory=list, max_length=30)
    headcount_min: int | None = Field(default=None, ge=1, le=MAX_HEADCOUNT)
    headcount_max: int | None = Field(default=None, ge=1, le=MAX_HEADCOUNT)
    integrations: list[ShortText] = Field(default_factory=list, max_length=20)
    notes: LongText | None = None

    @field_validator("ssic")
    @classmethod
    def _distinct_codes(cls, codes: list[str]) -> list[str]:
        return list(dict.fromkeys(codes))

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> Exclusions:
        if (
            self.headcount_min is not None
            and self.headcount_max is not None
            and self.headcount_min > self.headcount_max
        ):
            raise ValueError(
                f"headcount_min {self.headcount_min} is above headcount_max {self.headcount_max}:"
                " nobody would be left to target"
            )
        return self


class Intake(_Strict):
    """The fast-start payload: website and best customers required, everything else optional."""

    website: Url
    best_customers: list[BestCustomer] = Field(min_length=1, max_length=15)
    lost_or_churned: list[LostCustomer] = Field(default_factory=list, max_length=10)
    employee_band: EmployeeBand | None = None
    geo_language_tz: GeoLanguageTz | None = None
    must_have_integrations: list[ShortText] = Field(default_factory=list, max_length=20)
    deal: Deal | None = None
    champion_titles: list[ShortText] = Field(default_factory=list, max_length=20)
    triggers: list[ShortText] = Field(default_factory=list, max_length=20)
    exclusions: Exclusions | None = None
    advanced: AdvancedSections | None = None

    _website = field_validator("website")(_check_website)


@dataclass(frozen=True)
class Seed:
    kind: Literal["best", "lost"]
    name: str
    website: str | None
    domain: str | None
    reason: str | None


def parse_intake(raw: str | bytes) -> Intake:
    """Parse and validate intake JSON, collecting every problem as 'field.path: message'.

    Before Pydantic sees it the document is checked for its size (MAX_INTAKE_BYTES), its nesting
    (MAX_DEPTH), NaN/Infinity and over-long numbers, NUL characters and unpaired surrogates
    (which PostgreSQL cannot store) and control characters (terminal escapes, forged log lines):
    bad input is an IntakeError, never another exception. After it, the best customers must name
    at least MIN_BEST_COMPANIES distinct companies (the submission rule; ``Intake`` alone accepts
    fewer, for refined intakes built in code)."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_INTAKE_BYTES:
        raise IntakeError([f"(document): larger than {MAX_INTAKE_BYTES} bytes (256 KiB)"])
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise IntakeError([f"(document): not UTF-8 ({err.reason} at byte {err.start})"]) from err
    depth = _max_depth(text)
    if depth > _PARSE_DEPTH:
        raise IntakeError([f"(document): objects and arrays nested {depth} deep, at most {MAX_DEPTH}"])
    try:
        data: Any = json.loads(
            text, parse_constant=_Refused.constant, parse_float=_Refused.real, parse_int=_Refused.integer
        )
    except (json.JSONDecodeError, RecursionError) as err:
        raise IntakeError([f"(document): not valid JSON ({err})"]) from err
    if not isinstance(data, dict):
        raise IntakeError(["(document): must be a JSON object"])
    problems = _scan(data)
    if problems:
        raise IntakeError(problems)
    try:
        intake = Intake.model_validate(data)
    except ValidationError as err:
        raise IntakeError([_describe(e) for e in err.errors()]) from err
    companies = sum(1 for seed in seeds_of(intake) if seed.kind == "best")
    if companies < MIN_BEST_COMPANIES:
        raise IntakeError(
            [
                f"best_customers: {companies} distinct {'company' if companies == 1 else 'companies'}, at least"
                f" {MIN_BEST_COMPANIES} (a company listed again under the same website domain or name counts once)"
            ]
        )
    return intake


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _max_depth(text: str) -> int:
    """How deep objects and arrays nest, without parsing (the parser itself would recurse)."""
    brackets = _BRACKET.findall(_JSON_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


@dataclass(frozen=True)
class _Refused:
    """A number the intake refuses, kept in place so the field it sits in can be named."""

    why: str

    @staticmethod
    def constant(name: str) -> _Refused:
        return _Refused(f"{name} is not a number")

    @staticmethod
    def real(text: str) -> float | _Refused:
        if len(text) > MAX_NUMBER_DIGITS:
            return _Refused(f"number of {len(text)} characters, at most {MAX_NUMBER_DIGITS}")
        value = float(text)
        return value if math.isfinite(value) else _Refused(f"{text} is out of range")

    @staticmethod
    def integer(text: str) -> int | _Refused:
        if len(text) > MAX_NUMBER_DIGITS:
            return _Refused(f"number of {len(text)} digits, at most {MAX_NUMBER_DIGITS}")
        return int(text)


def _scan(data: Any) -> list[str]:
    """Problems Pydantic would not see: nesting deeper than MAX_DEPTH, refused numbers, NUL
    characters, unpaired surrogates and control characters, in strings and in object keys, each
    named by its field path."""
    problems: list[str] = []
    stack: list[tuple[tuple, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        where = _field_path(path)
        if isinstance(value, _Refused):
            problems.append(f"{where}: {value.why}")
        elif isinstance(value, str):
            problem = _text_problem(value, free_text=_is_free_text(path))
            if problem:
                problems.append(f"{where}: {problem}")
        elif isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            problems.append(f"{where}: nested {len(path) + 1} deep, at most {MAX_DEPTH}")
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                if problem:
                    problems.append(f"{_field_path((*path, key))}: field name {problem}")
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
    return sorted(problems)


def _field_path(path: tuple) -> str:
    """'best_customers.3.name'; a key that cannot be printed as it is shows as its repr."""
    parts = [repr(p) if isinstance(p, str) and (_text_problem(p) or not p.isprintable()) else str(p) for p in path]
    return ".".join(parts) or "(document)"


# C0 controls, DEL and C1 controls (ESC and CSI start terminal escape sequences), NUL apart.
_CONTROL = re.compile(r"[\x01-\x1f\x7f-\x9f]")
_FREE_TEXT_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and line breaks allowed
_TRIMMED = " \t\n\r"  # what is stripped around a short value anyway


def _is_free_text(path: tuple) -> bool:
    """A multi-line text field: a lost customer's reason, an advanced answer given as text, or the
    exclusions' notes."""
    return (
        (len(path) == 3 and path[0] == "lost_or_churned" and path[2] == "reason")
        or (len(path) == 3 and path[0] == "advanced")
        or path == ("exclusions", "notes")
    )


def _text_problem(text: str, *, free_text: bool = False, trimmed: bool = True) -> str | None:
    """Why ``text`` cannot be stored or shown as it is: NUL, an unpaired surrogate, or a control
    character (tabs and line breaks are fine in free text, and around a value that is ``trimmed``)."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (a broken \\uD800-\\uDFFF escape)"
    control = (_FREE_TEXT_CONTROL if free_text else _CONTROL).search(text.strip(_TRIMMED) if trimmed else text)
    if control:
        return f"contains a control character (U+{ord(control.group()):04X})"
    return None


def _describe(error: dict) -> str:
    field = _field_path(tuple(error["loc"]))
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"


def seeds_of(intake: Intake) -> list[Seed]:
    """Best then lost seeds with normalised domains; repeats of a (kind, domain or name) are dropped."""
    seeds: list[Seed] = []
    seen: set[tuple[str, str]] = set()
    candidates = [("best", c.name, c.website, None) for c in intake.best_customers] + [
        ("lost", c.name, c.website, c.reason) for c in intake.lost_or_churned
    ]
    for kind, name, website, reason in candidates:
        domain = website_domain(website) if website else None
        keys = {(kind, name.casefold())} | ({(kind, domain)} if domain else set())
        if keys & seen:
            continue
        seen |= keys
        seeds.append(Seed(kind, name, website, domain, reason))
    return seeds


def submit_intake(conn: psycopg.Connection, tenant_id: str, intake: Intake, submitted_by: str | None) -> int:
    """Write the response and its seeds in one transaction; returns the response id."""
    check_tenant_id(tenant_id)
    if submitted_by is not None:
        problem = _text_problem(submitted_by, trimmed=False) or (
            f"{len(submitted_by)} characters, at most {MAX_SUBMITTED_BY}"
            if len(submitted_by) > MAX_SUBMITTED_BY
            else None
        )
        if problem:
            raise IntakeError([f"submitted_by: {problem}"])
    seeds = seeds_of(intake)
    with conn.transaction():
        conn.execute("insert into icp.tenants (tenant_id) values (%s) on conflict do nothing", (tenant_id,))
        response_id = conn.execute(
            "insert into icp.icp_intake_responses (tenant_id, submitted_by, website, website_domain, answers)"
            " values (%s, %s, %s, %s, %s) returning response_id",
            (
                tenant_id,
                submitted_by,
                intake.website,
                website_domain(intake.website),
                Jsonb(intake.model_dump(mode="json", exclude_none=True)),
            ),
        ).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into icp.customer_seeds (response_id, tenant_id, kind, name, website, domain, reason)"
                " values (%s, %s, %s, %s, %s, %s, %s)",
                [(response_id, tenant_id, s.kind, s.name, s.website, s.domain, s.reason) for s in seeds],
            )
    log.info("tenant=%s stage=intake response_id=%s seeds=%d", tenant_id, response_id, len(seeds))
    return response_id


class NoIntakeError(LookupError):
    """The tenant has no intake yet, so there is nothing to build."""


def current_response_id(conn: psycopg.Connection, tenant_id: str) -> int:
    row = conn.execute(
        "select max(response_id) from icp.icp_intake_responses where tenant_id = %s", (tenant_id,)
    ).fetchone()
    if row[0] is None:
        raise NoIntakeError(f"tenant {tenant_id!r} has no intake; submit one with `icp intake submit`")
    return row[0]


def lock_tenant_writes(conn: psycopg.Connection, tenant_id: str) -> None:
    """Serialise a stage's writes with any other write for the tenant, until the transaction ends.

    Runs of one tenant are queued one at a time; this lock is the guarantee underneath, for a run
    started outside the queue at the same moment.
    """
    conn.execute("select pg_advisory_xact_lock(hashtextextended('icp-tenant-writes:' || %s, 0))", (tenant_id,))


def current_response_ids(conn: psycopg.Connection, tenant_ids: Collection[str]) -> dict[str, int]:
    """tenant id -> its current intake, for the tenants that have one."""
    return dict(
        conn.execute(
            "select tenant_id, max(response_id) from icp.icp_intake_responses where tenant_id = any(%s)"
            " group by tenant_id",
            (sorted(tenant_ids),),
        ).fetchall()
    )
