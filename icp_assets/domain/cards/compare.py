"""Comparing two intakes' cards: which appeared, disappeared or changed.

Cards are matched by what defines them, their cluster of defining attributes (e.g.
{integration:netsuite, ssic3:521}), never by rank or title: a refined intake re-ranks and re-titles
cards. (The suggestion_id is a hash of the tenant and that cluster, with no intake in it, so the
same card keeps its id too.) A matched card has changed when one of FIELDS differs as people read
it: coverage (k of n best customers), lift (to 0.1, as shown), audience size, or its attributes
(SSIC codes, size band, integrations, champion titles; lists compared as sets). dbt's
icp_suggestion_changes mart applies the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import psycopg

from icp_assets.domain.cards.publish import published_cards
from icp_assets.domain.intake import current_response_id

APPEARED, DISAPPEARED, CHANGED, UNCHANGED = "appeared", "disappeared", "changed", "unchanged"


def _lift(card: dict) -> float | None:
    """Lift to one decimal, rounded half up like PostgreSQL's round(numeric, 1)."""
    lift = card.get("lift")
    if lift is None:
        return None
    return float(Decimal(str(lift)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _as_set(key: str) -> Callable[[dict], list]:
    return lambda card: sorted(set(card.get(key) or []))


# field -> the card's value of it, as compared (and shown).
FIELDS: dict[str, Callable[[dict], object]] = {
    "coverage": lambda card: [card.get("seeds_covered"), card.get("seeds_total")],
    "lift": _lift,
    "audience_size": lambda card: card.get("audience_size"),
    "ssic_codes": _as_set("ssic_codes"),
    "headcount_band": lambda card: card.get("headcount_band"),
    "integrations": _as_set("integrations"),
    "champion_titles": _as_set("champion_titles"),
}


def card_key(card: dict) -> tuple[str, ...]:
    """What defines a card across intakes: its cluster of defining attributes, in sorted order."""
    return tuple(sorted(card["cluster"]))


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class CardChange:
    change: str  # APPEARED, DISAPPEARED, CHANGED or UNCHANGED
    before: dict | None  # the card in the earlier intake
    after: dict | None  # the card in the later intake
    fields: tuple[FieldChange, ...] = ()

    @property
    def card(self) -> dict:
        """The card as it is now, or as it last was when it disappeared."""
        return self.after if self.after is not None else self.before

    def as_json(self) -> dict:
        return {
            "change": self.change,
            "suggestion_id": self.card["suggestion_id"],
            "title": self.card["title"],
            "cluster": list(card_key(self.card)),
            "rank": self.after["rank"] if self.after else None,
            "previous_rank": self.before["rank"] if self.before else None,
            "changed_fields": {f.field: {"before": f.before, "after": f.after} for f in self.fields},
        }


def diff_cards(before: list[dict], after: list[dict]) -> list[CardChange]:
    """Each card of either list once: the later cards in rank order, then the ones that disappeared."""
    earlier = {card_key(card): card for card in before}
    later_keys = {card_key(card) for card in after}
    changes = []
    for card in sorted(after, key=lambda c: c["rank"]):
        old = earlier.get(card_key(card))
        if old is None:
            changes.append(CardChange(APPEARED, None, card))
            continue
        fields = tuple(
            FieldChange(name, value(old), value(card)) for name, value in FIELDS.items() if value(old) != value(card)
        )
        changes.append(CardChange(CHANGED if fields else UNCHANGED, old, card, fields))
    changes.extend(
        CardChange(DISAPPEARED, card, None)
        for card in sorted(before, key=lambda c: c["rank"])
        if card_key(card) not in later_keys
    )
    return changes


@dataclass(frozen=True)
class Comparison:
    tenant_id: str
    response_id: int  # the later intake
    previous_response_id: int  # the intake it is compared with
    cards_now: int
    cards_before: int
    changes: tuple[CardChange, ...]

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def as_json(self) -> dict:
        return {
            "tenant_id": self.tenant_id,
            "response_id": self.response_id,
            "previous_response_id": self.previous_response_id,
            "cards": self.cards_now,
            "previous_cards": self.cards_before,
            **{kind: self.count(kind) for kind in (APPEARED, DISAPPEARED, CHANGED, UNCHANGED)},
            "changes": [c.as_json() for c in self.changes],
        }


class NothingToCompare(LookupError):
    """The tenant has no earlier intake with published cards."""


class UnknownIntake(LookupError):
    """No intake of this tenant has that response id (another tenant's id included: same message)."""


def previous_intake_with_cards(conn: psycopg.Connection, tenant_id: str, response_id: int) -> int | None:
    """The latest of the tenant's intakes before ``response_id`` that has published cards.

    An intake without cards is passed over: a newer intake superseded its run before it published."""
    row = conn.execute(
        "select max(response_id) from icp.icp_suggestions where tenant_id = %s and response_id < %s",
        (tenant_id, response_id),
    ).fetchone()
    return row[0]


def compare_intakes(
    conn: psycopg.Connection, tenant_id: str, against: int | None = None, response_id: int | None = None
) -> Comparison:
    """The cards of intake ``response_id`` (default: the current one) against those of intake
    ``against`` (default: the previous intake with cards)."""
    if response_id is None:
        response_id = current_response_id(conn, tenant_id)
    if against is None:
        against = previous_intake_with_cards(conn, tenant_id, response_id)
        if against is None:
            raise NothingToCompare(
                f"tenant {tenant_id!r} has no intake with cards before intake {response_id}: nothing to compare with"
            )
    elif not conn.execute(
        "select 1 from icp.icp_intake_responses where tenant_id = %s and response_id = %s", (tenant_id, against)
    ).fetchone():
        raise UnknownIntake(f"tenant {tenant_id!r} has no intake {against}")
    elif against == response_id:
        raise NothingToCompare(f"intake {against} is the one being compared: name an earlier intake, or `previous`")
    before = published_cards(conn, tenant_id, against)
    after = published_cards(conn, tenant_id, response_id)
    return Comparison(tenant_id, response_id, against, len(after), len(before), tuple(diff_cards(before, after)))


def compare_with_previous(conn: psycopg.Connection, tenant_id: str, response_id: int) -> Comparison | None:
    """The intake's cards against the previous intake with cards; None when there is none."""
    try:
        return compare_intakes(conn, tenant_id, response_id=response_id)
    except NothingToCompare:
        return None
