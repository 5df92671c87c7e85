"""`icp seeds`: the list (table and JSON), `confirm` and `unconfirm`, and their bad input: exit 2, one
line on stderr, nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from icp_assets.cli import EXIT_BAD_INPUT, EXIT_OK, main
from icp_assets.domain.matching.seed_matches import match_seeds
from tests.domain.matching import ambiguous_world as world
from tests.support.tables import row_counts

TENANT = "dragonco"


@pytest.fixture
def url(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The ambiguous world, matched once, as the database `icp` uses."""
    monkeypatch.setenv("ICP_DATABASE_URL", fresh_database_url)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        world.load_registry(conn)
        world.submit(conn, TENANT)
        match_seeds(conn, TENANT, world.matcher(fresh_database_url))
    yield fresh_database_url


def _icp(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_list_shows_each_seed_with_candidates_where_undecided(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _icp(capsys, "seeds", "--tenant", TENANT)
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == f"{TENANT}, intake 1: 7 seeds, 4 matched, 1 ambiguous, 2 unmatched, 0 confirmed"
    zephyra = next(line for line in lines if "Zephyra Logistics" in line)
    assert zephyra.split()[3:7] == ["matched", "exact", "1.00", "201800001K"]
    dragon = lines.index(next(line for line in lines if line.split()[1:4] == ["Golden", "Dragon", "Trading"]))
    assert lines[dragon].split()[4:6] == ["ambiguous", "exact"]
    assert lines[dragon + 1].split()[:2] == ["candidate", world.DRAGON_COMPANY]
    assert lines[dragon + 2].split()[:2] == ["candidate", world.DRAGON_BUSINESS]
    assert "icp seeds confirm --tenant dragonco --seed='Golden Dragon Trading' --uen UEN" in lines[dragon + 3]
    assert any(line.split()[:2] == ["candidate", "201800003M"] for line in lines)  # the near miss's candidate


def test_json_and_a_confirmation_shown_before_and_after_the_next_run(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _icp(
        capsys, "seeds", "confirm", "--tenant", TENANT, "--seed", "GOLDEN DRAGON TRADING", "--uen", world.DRAGON_COMPANY
    )
    assert code == EXIT_OK, err
    assert out.strip() == (
        f"{TENANT}: 'Golden Dragon Trading' confirmed as {world.DRAGON_COMPANY} GOLDEN DRAGON TRADING PTE. LTD.;"
        f" `icp run --tenant {TENANT}` applies it"
    )
    code, out, _ = _icp(capsys, "seeds", "--tenant", TENANT)
    assert f"confirmed: {world.DRAGON_COMPANY} GOLDEN DRAGON TRADING PTE. LTD. on " in out
    assert "applies at the next `icp run`" in out

    with psycopg.connect(url, autocommit=True) as conn:
        match_seeds(conn, TENANT, world.matcher(url))
    code, out, _ = _icp(capsys, "seeds", "--tenant", TENANT, "--format", "json")
    listed = json.loads(out)
    assert listed["tenant"] == TENANT and len(listed["seeds"]) == 7
    dragon = next(s for s in listed["seeds"] if s["name"] == world.AMBIGUOUS)
    assert (dragon["status"], dragon["method"], dragon["score"], dragon["uen"]) == (
        "matched",
        "confirmed",
        1.0,
        world.DRAGON_COMPANY,
    )
    assert dragon["confirmation"]["not_in_registry"] is False and dragon["confirmation_pending"] is False
    assert len(dragon["candidates"]) == 2


def test_confirm_not_in_registry_then_unconfirm(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _icp(
        capsys, "seeds", "confirm", "--tenant", TENANT, "--seed", world.STRANGER, "--not-in-registry", "--by", "alice"
    )
    assert code == EXIT_OK, err
    assert "'Ulmquist Ventures' confirmed as not in the registry" in out
    code, out, err = _icp(capsys, "seeds", "unconfirm", "--tenant", TENANT, "--seed", world.STRANGER, "--by", "bob")
    assert (code, out.strip()) == (
        EXIT_OK,
        f"{TENANT}: 1 confirmation(s) removed; `icp run --tenant {TENANT}` applies it",
    )
    with psycopg.connect(url) as conn:
        actions = conn.execute("select actor, action from icp.audit_log order by audit_id").fetchall()
        assert actions == [("alice", "confirm_seed"), ("bob", "unconfirm_seed")]
        assert conn.execute("select count(*) from icp.seed_confirmations").fetchone()[0] == 0


CONFIRM = ["seeds", "confirm", "--tenant", TENANT]
BAD = {
    "unknown tenant": (
        ["seeds", "confirm", "--tenant", "ghost", "--seed", world.AMBIGUOUS, "--not-in-registry"],
        "tenant 'ghost' has no intake",
    ),
    "unknown seed": (
        [*CONFIRM, "--seed", "Acme", "--not-in-registry"],
        "tenant 'dragonco' has no seed 'Acme' in its current intake (1); its seeds: 'Golden Dragon Trading', ",
    ),
    "malformed uen": ([*CONFIRM, "--seed", world.AMBIGUOUS, "--uen", "12-34"], "UEN '12-34' is malformed"),
    "uen not in registry": (
        [*CONFIRM, "--seed", world.AMBIGUOUS, "--uen", "209900009Z"],
        "UEN 209900009Z is not in the loaded ACRA registry",
    ),
    "both answers": (
        [*CONFIRM, "--seed", world.AMBIGUOUS, "--uen", world.DRAGON_COMPANY, "--not-in-registry"],
        "argument --not-in-registry: not allowed with argument --uen",
    ),
    "no answer": (
        [*CONFIRM, "--seed", world.AMBIGUOUS],
        "one of the arguments --uen --not-in-registry is required",
    ),
    "no seed": ([*CONFIRM, "--not-in-registry"], "the following arguments are required: --seed"),
    "list without tenant": (["seeds"], "seeds: the following argument is required: --tenant"),
    "list of unknown tenant": (["seeds", "--tenant", "ghost"], "tenant 'ghost' has no intake"),
    "bad tenant": (["seeds", "--tenant", "Ghost"], "argument --tenant: 'Ghost' must be 1-63 lowercase letters"),
    "bad tenant to confirm": (
        ["seeds", "confirm", "--tenant", "a/b", "--seed", "x", "--not-in-registry"],
        "argument --tenant: 'a/b' must be",
    ),
    "unconfirm without confirmation": (
        ["seeds", "unconfirm", "--tenant", TENANT, "--seed", world.AMBIGUOUS],
        "tenant 'dragonco' has no confirmation for seed 'Golden Dragon Trading'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    case: str, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, message = BAD[case]
    before = row_counts(url)
    code, out, err = _icp(capsys, *arguments)
    assert code == EXIT_BAD_INPUT
    assert message in err
    assert out == "" and "Traceback" not in err
    if not err.startswith("usage:"):
        assert len(err.strip().splitlines()) == 1, err
    assert row_counts(url) == before
