"""The fast-start intake: its schema, domain normalisation, and the transactional write."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from scrapers.hosts import website_domain

log = logging.getLogger(__name__)

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]


class IntakeError(ValueError):
    """An intake that cannot be accepted; ``problems`` names each bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _check_website(value: str) -> str:
    website_domain(value)
    return value


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


class GeoLanguageTz(_Strict):
    geos: list[ShortText] = Field(default_factory=list, max_length=30)
    languages: list[ShortText] = Field(default_factory=list, max_length=20)
    timezone: ShortText | None = None


class Deal(_Strict):
    acv_usd: float | None = Field(default=None, ge=0, le=1e9)
    cycle_days: int | None = Field(default=None, ge=0, le=3650)
    price_floor_usd: float | None = Field(default=None, ge=0, le=1e9)


AdvancedAnswer = dict[ShortText, LongText | list[ShortText] | float | int | bool]


class AdvancedSections(_Strict):
    """Optional deep-dive sections A-H of the intake; free-form answers keyed by question."""

    A: AdvancedAnswer | None = None
    B: AdvancedAnswer | None = None
    C: AdvancedAnswer | None = None
    D: AdvancedAnswer | None = None
    E: AdvancedAnswer | None = None
    F: AdvancedAnswer | None = None
    G: AdvancedAnswer | None = None
    H: AdvancedAnswer | None = None


EmployeeBand = Literal["1-9", "10-49", "50-249", "250-999", "1000+"]


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
    """Parse and validate intake JSON, collecting every problem as 'field.path: message'."""
    try:
        data: Any = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IntakeError([f"(document): not valid JSON ({err})"]) from err
    if not isinstance(data, dict):
        raise IntakeError(["(document): must be a JSON object"])
    try:
        return Intake.model_validate(data)
    except ValidationError as err:
        raise IntakeError([_describe(e) for e in err.errors()]) from err


def _describe(error: dict) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "(document)"
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
    if not TENANT_ID.match(tenant_id):
        raise IntakeError([f"tenant: {tenant_id!r} must be 1-63 lowercase letters, digits, '-' or '_'"])
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
