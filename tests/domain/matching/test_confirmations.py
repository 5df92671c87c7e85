"""Seed confirmations: a confirmed seed takes the confirmed entity (or none) in later runs and later
intakes of its tenant, re-confirming updates, everything is audited, and bad input writes nothing."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from icp_assets.domain.intake import NoIntakeError
from icp_assets.domain.matching.confirmations import (
    Confirmation,
    ConfirmationError,
    applying_to,
    check_uen,
    confirm_command,
    confirm_seed,
    resolution_script,
    seed_key,
    seed_statuses,
    unconfirm_seed,
)
from icp_assets.domain.matching.matcher import Matcher
from icp_assets.domain.matching.seed_matches import AmbiguousSeed, match_seeds
from tests.domain.matching import ambiguous_world as world
from tests.support.tables import row_counts

TENANT, OTHER = "dragonco", "othertenant"


@pytest.fixture
def conn(fresh_database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        world.load_registry(conn)
        world.submit(conn, TENANT)
        yield conn


@pytest.fixture
def matcher(conn: psycopg.Connection) -> Matcher:
    return world.matcher(conn.info.dsn)


def _matches(conn: psycopg.Connection, tenant: str = TENANT) -> dict[str, tuple]:
    """seed name -> (status, method, score, uen) of the tenant's current matches."""
    rows = conn.execute(
        "select s.name, m.status, m.method, m.score, m.uen from icp.seed_matches m join icp.customer_seeds s"
        " using (seed_id) where m.tenant_id = %s",
        (tenant,),
    ).fetchall()
    return {name: tuple(rest) for name, *rest in rows}


def _registry_facts(conn: psycopg.Connection, seed: str, tenant: str = TENANT) -> dict[str, str]:
    rows = conn.execute(
        "select e.signal_key, e.value ->> 'label' from icp.icp_evidence e join icp.customer_seeds s"
        " on s.company_id = e.company_id and s.tenant_id = e.tenant_id"
        " where e.tenant_id = %s and e.source = 'registry' and s.name = %s and e.confidence = 1.0",
        (tenant, seed),
    ).fetchall()
    return dict(rows)


def _audit(conn: psycopg.Connection, tenant: str = TENANT) -> list[tuple]:
    return conn.execute(
        "select actor, action, details ->> 'uen', (details ->> 'not_in_registry')::boolean from icp.audit_log"
        " where tenant_id = %s order by audit_id",
        (tenant,),
    ).fetchall()


def test_an_ambiguous_seed_once_confirmed_takes_the_confirmed_uen_and_its_registry_facts(
    conn: psycopg.Connection, matcher: Matcher
) -> None:
    before = match_seeds(conn, TENANT, matcher)
    assert (before.matched, before.ambiguous, before.unmatched, before.confirmed) == (4, 1, 2, 0)
    (ambiguous,) = before.ambiguous_seeds
    assert ambiguous.name == world.AMBIGUOUS
    assert {c["uen"] for c in ambiguous.candidates} == {world.DRAGON_COMPANY, world.DRAGON_BUSINESS}
    assert _registry_facts(conn, world.AMBIGUOUS) == {}

    confirmation = confirm_seed(conn, TENANT, "golden dragon trading pte. ltd.", world.DRAGON_BUSINESS.lower(), "alice")
    assert (confirmation.seed_name, confirmation.uen, confirmation.entity_name) == (
        world.AMBIGUOUS,
        world.DRAGON_BUSINESS,
        "GOLDEN DRAGON TRADING",
    )
    assert _audit(conn) == [("alice", "confirm_seed", world.DRAGON_BUSINESS, False)]

    after = match_seeds(conn, TENANT, matcher)
    assert (after.matched, after.ambiguous, after.unmatched, after.confirmed) == (5, 0, 2, 1)
    assert after.ambiguous_seeds == ()
    assert _matches(conn)[world.AMBIGUOUS] == ("matched", "confirmed", 1.0, world.DRAGON_BUSINESS)
    # The registry facts of the confirmed entity, not of its namesake, with full confidence.
    facts = _registry_facts(conn, world.AMBIGUOUS)
    assert facts["ssic"] == "47110" and facts["postal_district"] == "23"
    # The matcher's candidates are kept beside the confirmation.
    candidates = conn.execute(
        "select m.candidates from icp.seed_matches m join icp.customer_seeds s using (seed_id) where s.name = %s",
        (world.AMBIGUOUS,),
    ).fetchone()[0]
    assert len(candidates) == 2


def test_a_seed_confirmed_absent_stays_unmatched_and_leaves_the_match_rate(
    conn: psycopg.Connection, matcher: Matcher
) -> None:
    before = match_seeds(conn, TENANT, matcher)
    assert before.match_rate == pytest.approx(4 / 7)
    confirm_seed(conn, TENANT, world.STRANGER, None, None)
    after = match_seeds(conn, TENANT, matcher)
    assert (after.matched, after.unmatched, after.not_in_registry, after.confirmed) == (4, 2, 1, 1)
    assert after.match_rate == pytest.approx(4 / 6)  # the denominator leaves the absent seed out
    assert _matches(conn)[world.STRANGER] == ("unmatched", "confirmed", 0.0, None)
    assert _audit(conn) == [(None, "confirm_seed", None, True)]


def test_a_refined_intake_picks_up_confirmations_by_name_or_by_website(
    conn: psycopg.Connection, matcher: Matcher
) -> None:
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, None)
    confirm_seed(conn, TENANT, world.STRANGER, None, None)
    refined = [
        ("Golden Dragon Trading Pte Ltd", "https://golden-dragon.com.sg"),  # same name key, another site
        ("Ulmquist Group", "https://www.ulmquist.sg/about"),  # another name, same site
        *world.SEEDS[1:5],
    ]
    world.submit(conn, TENANT, refined)
    counts = match_seeds(conn, TENANT, matcher)
    assert (counts.seeds, counts.matched, counts.ambiguous, counts.not_in_registry) == (6, 5, 0, 1)
    matches = _matches(conn)
    assert matches["Golden Dragon Trading Pte Ltd"] == ("matched", "confirmed", 1.0, world.DRAGON_COMPANY)
    assert matches["Ulmquist Group"] == ("unmatched", "confirmed", 0.0, None)


def test_reconfirming_updates_the_answer_and_is_audited_each_time(conn: psycopg.Connection, matcher: Matcher) -> None:
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, "alice")
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, "alice")  # the same again: no second row
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_BUSINESS, "bob")
    assert conn.execute("select count(*), min(uen) from icp.seed_confirmations").fetchone() == (
        1,
        world.DRAGON_BUSINESS,
    )
    assert _audit(conn) == [
        ("alice", "confirm_seed", world.DRAGON_COMPANY, False),
        ("alice", "confirm_seed", world.DRAGON_COMPANY, False),
        ("bob", "confirm_seed", world.DRAGON_BUSINESS, False),
    ]
    previous = conn.execute("select details ->> 'previous_uen' from icp.audit_log where actor = 'bob'").fetchone()[0]
    assert previous == world.DRAGON_COMPANY
    match_seeds(conn, TENANT, matcher)
    assert _matches(conn)[world.AMBIGUOUS][3] == world.DRAGON_BUSINESS


def test_unconfirming_hands_the_seed_back_to_the_matcher(conn: psycopg.Connection, matcher: Matcher) -> None:
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, None)
    match_seeds(conn, TENANT, matcher)
    (removed,) = unconfirm_seed(conn, TENANT, world.AMBIGUOUS, "carol")
    assert removed.uen == world.DRAGON_COMPANY
    assert _audit(conn)[-1][:2] == ("carol", "unconfirm_seed")
    assert match_seeds(conn, TENANT, matcher).ambiguous == 1
    with pytest.raises(ConfirmationError, match="has no confirmation for seed 'Golden Dragon Trading'"):
        unconfirm_seed(conn, TENANT, world.AMBIGUOUS, None)


def test_one_tenants_confirmation_never_touches_another_tenant(conn: psycopg.Connection, matcher: Matcher) -> None:
    world.submit(conn, OTHER)
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, None)
    confirm_seed(conn, TENANT, world.STRANGER, None, None)
    for tenant in (TENANT, OTHER):
        match_seeds(conn, tenant, matcher)
    other = match_seeds(conn, OTHER, matcher)
    assert (other.ambiguous, other.confirmed, other.not_in_registry) == (1, 0, 0)
    assert _matches(conn, OTHER)[world.AMBIGUOUS] == ("ambiguous", "exact", 1.0, None)
    assert _matches(conn, TENANT)[world.AMBIGUOUS][:2] == ("matched", "confirmed")  # and the other way round:
    assert match_seeds(conn, TENANT, matcher).confirmed == 2  # the other tenant's run changed nothing here
    _, statuses = seed_statuses(conn, OTHER)
    assert all(s.confirmation is None for s in statuses)
    with pytest.raises(ConfirmationError):
        unconfirm_seed(conn, OTHER, world.AMBIGUOUS, None)  # the first tenant's confirmation is not its own
    assert conn.execute("select count(*) from icp.seed_confirmations").fetchone()[0] == 2
    assert _audit(conn, OTHER) == []


def test_seed_statuses_show_candidates_confirmations_and_what_is_pending(
    conn: psycopg.Connection, matcher: Matcher
) -> None:
    _, statuses = seed_statuses(conn, TENANT)
    assert {s.status for s in statuses} == {None}  # not matched yet
    match_seeds(conn, TENANT, matcher)
    confirm_seed(conn, TENANT, world.AMBIGUOUS, world.DRAGON_COMPANY, "alice")
    response_id, statuses = seed_statuses(conn, TENANT)
    by_name = {s.name: s for s in statuses}
    dragon = by_name[world.AMBIGUOUS]
    assert (dragon.status, dragon.confirmation.uen, dragon.confirmation_pending) == (
        "ambiguous",
        world.DRAGON_COMPANY,
        True,
    )
    assert by_name[world.NEAR_MISS].candidates[0]["uen"] == "201800003M"
    match_seeds(conn, TENANT, matcher)
    _, statuses = seed_statuses(conn, TENANT)
    dragon = next(s for s in statuses if s.name == world.AMBIGUOUS)
    assert (dragon.status, dragon.method, dragon.uen, dragon.confirmation_pending) == (
        "matched",
        "confirmed",
        world.DRAGON_COMPANY,
        False,
    )
    assert dragon.as_json()["confirmation"]["confirmed_by"] == "alice"


@pytest.mark.parametrize(
    ("seed", "uen", "by", "message"),
    [
        (world.AMBIGUOUS, "2015-0003D", None, "UEN '2015-0003D' is malformed"),
        (world.AMBIGUOUS, "X" * 300, None, "is malformed"),
        (world.AMBIGUOUS, "209900009Z", None, "UEN 209900009Z is not in the loaded ACRA registry"),
        ("Nobody Pte Ltd", world.DRAGON_COMPANY, None, "has no seed 'Nobody Pte Ltd' in its current intake"),
        ("Pte Ltd", None, None, "its seeds: 'Golden Dragon Trading', 'Zephyra Logistics'"),
        ("", None, None, "has no seed ''"),
        (world.AMBIGUOUS, None, "alice\x1b[31m", "--by must be"),
        (world.AMBIGUOUS, None, "a" * 201, "--by must be"),
        (world.AMBIGUOUS, None, "  ", "--by must be"),
    ],
)
def test_bad_confirmations_are_refused_and_write_nothing(
    conn: psycopg.Connection, seed: str, uen: str | None, by: str | None, message: str
) -> None:
    before = row_counts(conn.info.dsn)
    with pytest.raises(ConfirmationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        confirm_seed(conn, TENANT, seed, uen, by)
    assert row_counts(conn.info.dsn) == before


def test_a_tenant_without_an_intake_has_nothing_to_confirm(conn: psycopg.Connection) -> None:
    with pytest.raises(NoIntakeError, match="tenant 'ghost' has no intake"):
        confirm_seed(conn, "ghost", world.AMBIGUOUS, world.DRAGON_COMPANY, None)


@pytest.mark.parametrize("uen", ["53312345A", "201912345K", "T08LL0001A", "S99FC1234B", " 201912345k "])
def test_acra_uen_formats_are_accepted(uen: str) -> None:
    assert check_uen(uen) == uen.strip().upper()


@pytest.mark.parametrize("uen", ["", "5331234A", "2019123456K", "201912345", "T08L0001A", "X08LL0001A", "2019 2345K"])
def test_other_uens_are_malformed(uen: str) -> None:
    with pytest.raises(ConfirmationError, match="malformed"):
        check_uen(uen)


def _confirmation(key: str, domain: str | None, uen: str | None, minutes: int, cid: int = 1) -> Confirmation:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return Confirmation(cid, key, key, domain, uen, uen and f"E{uen}", None, at)


def test_the_latest_confirmation_by_name_or_website_decides_a_seed() -> None:
    by_name = _confirmation("ACME", "acme-old.sg", "A1", 0, 1)
    by_site = _confirmation("ACME HOLDINGS", "acme.sg", "A2", 5, 2)
    assert applying_to("Acme Pte. Ltd.", None, [by_name, by_site]) is by_name
    assert applying_to("Acme Group", "acme.sg", [by_name, by_site]) is by_site
    assert applying_to("ACME", "acme.sg", [by_name, by_site]) is by_site  # both apply: the later one
    assert applying_to("Acme", "acme.sg", [by_site, _confirmation("ACME", None, None, 9, 3)]).not_in_registry
    assert applying_to("Other", None, [by_name, by_site]) is None
    assert applying_to("Other", None, [_confirmation("OTHER X", None, "A3", 0)]) is None  # a key, not a prefix


def test_a_name_of_only_a_legal_form_still_has_a_key() -> None:
    assert seed_key("Acme Pte. Ltd.") == seed_key("ACME") == "ACME"
    assert seed_key("Pte  Ltd") == "pte ltd"


HOSTILE = ["O'Brien & Sons", "x; rm -rf ~ #", "$(touch /tmp/pwned)", "`id`", "a\"b'c\\d", "-rf", "--uen"]


@pytest.mark.parametrize("name", HOSTILE)
def test_confirm_commands_quote_tenant_input_for_a_shell(name: str) -> None:
    words = shlex.split(confirm_command("acme", name, "201912345K"))
    assert words == ["icp", "seeds", "confirm", "--tenant", "acme", f"--seed={name}", "--uen", "201912345K"]
    assert shlex.split(confirm_command("acme", name, None))[-2:] == [f"--seed={name}", "--not-in-registry"]


def test_the_resolution_script_offers_each_candidate_and_none() -> None:
    seed = AmbiguousSeed("x; rm -rf ~", ({"uen": "201500003D", "entity_name": "GOLDEN\nDRAGON", "score": 1.0},))
    script = resolution_script("acme", [(seed.name, seed.candidates)])
    lines = script.splitlines()
    assert lines == [
        "# seed x; rm -rf ~",
        "# GOLDEN DRAGON (1.0)",  # a line break in a registry name cannot end the comment
        "#   icp seeds confirm --tenant acme --seed='x; rm -rf ~' --uen 201500003D",  # pasted, runs nothing
        "# none of them",
        "#   icp seeds confirm --tenant acme --seed='x; rm -rf ~' --not-in-registry",
    ]
