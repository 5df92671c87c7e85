"""Seed confirmations: a person's answer to which ACRA entity a seed is, or that it is in none.

The matcher abstains on near-ties (ambiguous) and under its threshold (unmatched); someone who
knows the customer can settle it, and the matcher never overrides that answer. A confirmation
belongs to the tenant, not to one intake: it is keyed by the seed's normalised name
(``seed_key``) and also applies to any seed of the tenant with the same website domain, so a
refined intake naming the company again, spelt alike or on the same site, picks it up. Of several
confirmations that apply to one seed, the latest wins. Every change is audited in icp.audit_log.
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from icp_assets.domain.intake import current_response_id
from icp_assets.domain.matching.matcher import MatchResult
from icp_assets.domain.matching.names import normalise_name

log = logging.getLogger(__name__)

CONFIRMED = "confirmed"  # the match method of a confirmed seed
# ACRA's formats: businesses nnnnnnnnX, local companies yyyynnnnnX, other entities TyyPQnnnnX.
UEN_FORMAT = re.compile(r"[0-9]{8}[A-Z]|[0-9]{9}[A-Z]|[RST][0-9]{2}[A-Z]{2}[0-9]{4}[A-Z]")
UEN_RULE = "an ACRA UEN is 8 or 9 digits and a letter (53312345A, 201912345K) or like T08LL0001A"
MAX_CONFIRMED_BY = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ConfirmationError(ValueError):
    """A confirmation that cannot be recorded; nothing was written."""


@dataclass(frozen=True)
class Confirmation:
    """uen None: confirmed not in the registry."""

    confirmation_id: int
    seed_key: str
    seed_name: str
    domain: str | None
    uen: str | None
    entity_name: str | None
    confirmed_by: str | None
    confirmed_at: datetime

    @property
    def not_in_registry(self) -> bool:
        return self.uen is None

    def as_match(self, found: MatchResult) -> MatchResult:
        """The match a confirmation makes of the matcher's result: the confirmed entity at 1.0, or
        unmatched at 0.0; the matcher's candidates are kept to show what it had considered."""
        if self.not_in_registry:
            return MatchResult(None, None, 0.0, CONFIRMED, "unmatched", found.candidates)
        return MatchResult(self.uen, self.entity_name, 1.0, CONFIRMED, "matched", found.candidates)

    def as_json(self) -> dict:
        return {
            "uen": self.uen,
            "entity_name": self.entity_name,
            "not_in_registry": self.not_in_registry,
            "confirmed_by": self.confirmed_by,
            "confirmed_at": self.confirmed_at.isoformat(),
        }


def seed_key(name: str) -> str:
    """What identifies a seed's company by name: its normalised name, or (when that is empty, as
    for a name of only a legal form) its words, case-folded."""
    return normalise_name(name) or " ".join(name.split()).casefold()


def applying_to(name: str, domain: str | None, confirmations: Iterable[Confirmation]) -> Confirmation | None:
    """The confirmation that decides a seed: the latest with its name key or its website domain."""
    key = seed_key(name)
    fitting = [c for c in confirmations if c.seed_key == key or (domain is not None and c.domain == domain)]
    return max(fitting, key=lambda c: (c.confirmed_at, c.confirmation_id), default=None)


def tenant_confirmations(conn: psycopg.Connection, tenant_id: str) -> list[Confirmation]:
    """The tenant's confirmations, each named as the registry names its UEN now (or as it did)."""
    rows = conn.execute(
        "select c.confirmation_id, c.seed_key, c.seed_name, c.domain, c.uen,"
        " coalesce(e.entity_name, c.entity_name), c.confirmed_by, c.confirmed_at"
        " from icp.seed_confirmations c left join registry.acra_entities e on e.uen = c.uen"
        " where c.tenant_id = %s order by c.confirmation_id",
        (tenant_id,),
    ).fetchall()
    return [Confirmation(*row) for row in rows]


def check_uen(value: str) -> str:
    """The UEN upper-cased and trimmed, or ConfirmationError when it is not in one of ACRA's formats."""
    uen = value.strip().upper()
    if not UEN_FORMAT.fullmatch(uen):
        raise ConfirmationError(f"UEN {value!r} is malformed: {UEN_RULE}")
    return uen


def _check_confirmed_by(value: str | None) -> None:
    if value is None:
        return
    if not value.strip() or _CONTROL.search(value) or len(value) > MAX_CONFIRMED_BY:
        raise ConfirmationError(f"--by must be 1-{MAX_CONFIRMED_BY} characters, not blank, without control characters")


def _current_seeds(conn: psycopg.Connection, tenant_id: str, seed_name: str) -> tuple[int, list[tuple]]:
    """The current intake's id and its seeds (seed_id, name, domain) that ``seed_name`` names, by
    name key; ConfirmationError listing the intake's seeds when none does."""
    response_id = current_response_id(conn, tenant_id)
    seeds = conn.execute(
        "select seed_id, name, domain from icp.customer_seeds where response_id = %s order by seed_id",
        (response_id,),
    ).fetchall()
    key = seed_key(seed_name)
    named = [s for s in seeds if seed_key(s[1]) == key] if key else []
    if not named:
        known = ", ".join(repr(name) for name in dict.fromkeys(s[1] for s in seeds))
        raise ConfirmationError(
            f"tenant {tenant_id!r} has no seed {seed_name!r} in its current intake ({response_id}); its seeds: {known}"
        )
    return response_id, named


def _audit(conn: psycopg.Connection, tenant_id: str, actor: str | None, action: str, details: dict) -> None:
    conn.execute(
        "insert into icp.audit_log (tenant_id, actor, action, details) values (%s, %s, %s, %s)",
        (tenant_id, actor, action, Jsonb(details)),
    )


def confirm_seed(
    conn: psycopg.Connection, tenant_id: str, seed_name: str, uen: str | None, confirmed_by: str | None
) -> Confirmation:
    """Record that a seed of the tenant's current intake is the entity ``uen`` (None: in no registry
    entity), replacing an earlier confirmation of the same name key, and audit it. Bad input
    (malformed or unknown UEN, unknown seed, bad ``confirmed_by``) is ConfirmationError, and a
    tenant without an intake NoIntakeError, both before anything is written."""
    _check_confirmed_by(confirmed_by)
    if uen is not None:
        uen = check_uen(uen)
    response_id, seeds = _current_seeds(conn, tenant_id, seed_name)
    _, name, domain = seeds[0]
    entity_name = None
    if uen is not None:
        row = conn.execute("select entity_name from registry.acra_entities where uen = %s", (uen,)).fetchone()
        if row is None:
            raise ConfirmationError(f"UEN {uen} is not in the loaded ACRA registry")
        entity_name = row[0]
    with conn.transaction():
        previous = applying_to(name, domain, tenant_confirmations(conn, tenant_id))
        row = conn.execute(
            "insert into icp.seed_confirmations (tenant_id, seed_key, seed_name, domain, uen, entity_name, confirmed_by)"
            " values (%s, %s, %s, %s, %s, %s, %s) on conflict (tenant_id, seed_key) do update set"
            " seed_name = excluded.seed_name, domain = excluded.domain, uen = excluded.uen,"
            " entity_name = excluded.entity_name, confirmed_by = excluded.confirmed_by, confirmed_at = now()"
            " returning confirmation_id, seed_key, seed_name, domain, uen, entity_name, confirmed_by, confirmed_at",
            (tenant_id, seed_key(name), name, domain, uen, entity_name, confirmed_by),
        ).fetchone()
        confirmation = Confirmation(*row)
        _audit(
            conn,
            tenant_id,
            confirmed_by,
            "confirm_seed",
            {
                "confirmation_id": confirmation.confirmation_id,
                "seed": name,
                "response_id": response_id,
                "uen": uen,
                "not_in_registry": uen is None,
                "previous_uen": previous.uen if previous else None,
                "previous_not_in_registry": previous.not_in_registry if previous else None,
            },
        )
    log.info(
        "tenant=%s stage=seed_confirmations confirmation_id=%s not_in_registry=%s",
        tenant_id,
        confirmation.confirmation_id,
        confirmation.not_in_registry,
    )
    return confirmation


def unconfirm_seed(conn: psycopg.Connection, tenant_id: str, seed_name: str, by: str | None) -> list[Confirmation]:
    """Remove every confirmation that applies to a seed of the current intake (so the matcher decides
    it again at the next run), audited; returns them. ConfirmationError when none applies."""
    _check_confirmed_by(by)
    response_id, seeds = _current_seeds(conn, tenant_id, seed_name)
    with conn.transaction():
        confirmations = tenant_confirmations(conn, tenant_id)
        keys = {seed_key(name) for _, name, _ in seeds}
        domains = {domain for _, _, domain in seeds if domain is not None}
        removed = [c for c in confirmations if c.seed_key in keys or c.domain in domains]
        if not removed:
            raise ConfirmationError(f"tenant {tenant_id!r} has no confirmation for seed {seeds[0][1]!r}")
        conn.execute(
            "delete from icp.seed_confirmations where confirmation_id = any(%s)",
            ([c.confirmation_id for c in removed],),
        )
        _audit(
            conn,
            tenant_id,
            by,
            "unconfirm_seed",
            {
                "seed": seeds[0][1],
                "response_id": response_id,
                "removed": [{"confirmation_id": c.confirmation_id, "uen": c.uen} for c in removed],
            },
        )
    log.info("tenant=%s stage=seed_confirmations removed=%d", tenant_id, len(removed))
    return removed


@dataclass(frozen=True)
class SeedStatus:
    """One seed of the current intake: its latest match (status None: not matched yet) and the
    confirmation that applies to it, if any."""

    kind: str
    name: str
    domain: str | None
    status: str | None
    method: str | None
    score: float | None
    uen: str | None
    entity_name: str | None
    candidates: list[dict]
    confirmation: Confirmation | None

    @property
    def confirmation_pending(self) -> bool:
        """A confirmation the latest match does not show yet (it applies at the next run)."""
        return self.confirmation is not None and (self.method != CONFIRMED or self.uen != self.confirmation.uen)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "domain": self.domain,
            "status": self.status,
            "method": self.method,
            "score": self.score,
            "uen": self.uen,
            "entity_name": self.entity_name,
            "candidates": self.candidates,
            "confirmation": self.confirmation.as_json() if self.confirmation else None,
            "confirmation_pending": self.confirmation_pending,
        }


def seed_statuses(conn: psycopg.Connection, tenant_id: str) -> tuple[int, list[SeedStatus]]:
    """The current intake's id and each of its seeds with its match and confirmation."""
    response_id = current_response_id(conn, tenant_id)
    rows = conn.execute(
        "select s.kind, s.name, s.domain, m.status, m.method, round(m.score::numeric, 4)::float8, m.uen, m.entity_name,"
        " coalesce(m.candidates, '[]'::jsonb)"
        " from icp.customer_seeds s left join icp.seed_matches m on m.seed_id = s.seed_id and m.tenant_id = s.tenant_id"
        " where s.response_id = %s and s.tenant_id = %s order by s.seed_id",
        (response_id, tenant_id),
    ).fetchall()
    confirmations = tenant_confirmations(conn, tenant_id)
    return response_id, [SeedStatus(*row, confirmation=applying_to(row[1], row[2], confirmations)) for row in rows]


def confirm_command(tenant_id: str, seed_name: str, uen: str | None) -> str:
    """The `icp seeds confirm` command line for one answer, every value quoted for a POSIX shell
    (seed names are tenant input); ``--seed=NAME``, so a name starting with "-" is no option."""
    answer = f"--uen {shlex.quote(uen)}" if uen is not None else "--not-in-registry"
    return f"icp seeds confirm --tenant {shlex.quote(tenant_id)} --seed={shlex.quote(seed_name)} {answer}"


def resolution_commands(tenant_id: str, seed_name: str, candidates: Iterable[dict]) -> list[str]:
    """One confirm command per candidate (a shell comment before it names the entity and its score),
    then the one for "in no registry entity"; every command commented out, so that pasting the
    whole block settles nothing by accident: the user uncomments the one that is right."""
    lines = []
    for c in candidates:
        described = " ".join(f"{c.get('entity_name') or ''} ({c.get('score')})".split())
        lines += [f"# {described}", f"#   {confirm_command(tenant_id, seed_name, c['uen'])}"]
    return [*lines, "# none of them", f"#   {confirm_command(tenant_id, seed_name, None)}"]


def resolution_script(tenant_id: str, seeds: Iterable[tuple[str, Iterable[dict]]]) -> str:
    """Shell lines that settle ambiguous seeds, given as (name, candidates): per seed, a comment
    naming it, then its options, commented out; uncomment the one line that is right for each seed."""
    lines = []
    for name, candidates in seeds:
        lines += [f"# seed {' '.join(name.split())}", *resolution_commands(tenant_id, name, candidates), ""]
    return "\n".join(lines).rstrip("\n")


def _confirmation_text(confirmation: Confirmation) -> str:
    answer = (
        "not in the registry"
        if confirmation.not_in_registry
        else f"{confirmation.uen} {confirmation.entity_name or ''}".rstrip()
    )
    by = f" by {confirmation.confirmed_by}" if confirmation.confirmed_by else ""
    return f"{answer}{by} on {confirmation.confirmed_at:%Y-%m-%d}"


def format_seed_statuses(tenant_id: str, response_id: int, statuses: list[SeedStatus]) -> str:
    """The terminal table of `icp seeds`: one line a seed, then its candidates when it is ambiguous
    or unmatched, and its confirmation."""
    counts = {s: sum(x.status == s for x in statuses) for s in ("matched", "ambiguous", "unmatched")}
    confirmed = sum(s.confirmation is not None for s in statuses)
    lines = [
        f"{tenant_id}, intake {response_id}: {len(statuses)} seeds, {counts['matched']} matched,"
        f" {counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched, {confirmed} confirmed",
        "",
    ]
    width = min(40, max((len(s.name) for s in statuses), default=4))
    lines.append(f"{'KIND':<5} {'SEED':<{width}} {'STATUS':<10} {'METHOD':<11} {'SCORE':<6} {'UEN':<11} ENTITY")
    for s in statuses:
        score = "-" if s.score is None else f"{s.score:.2f}"
        lines.append(
            f"{s.kind:<5} {s.name:<{width}} {s.status or '-':<10} {s.method or '-':<11} {score:<6}"
            f" {s.uen or '-':<11} {s.entity_name or '-'}"
        )
        indent = " " * 6
        if s.status is None:
            lines.append(f"{indent}not matched yet: run `icp run --tenant {tenant_id}`")
        if s.confirmation is not None:
            when = ", applies at the next `icp run`" if s.confirmation_pending else ""
            lines.append(f"{indent}confirmed: {_confirmation_text(s.confirmation)}{when}")
        elif s.status in ("ambiguous", "unmatched"):
            for c in s.candidates:
                lines.append(f"{indent}candidate {c['uen']:<11} {c.get('score', 0):.2f}  {c.get('entity_name') or '-'}")
            lines.append(f"{indent}settle it: {confirm_command(tenant_id, s.name, 'UEN')} (or --not-in-registry)")
    return "\n".join(lines)
