"""The analysts' account scores: icp.account_scores through stg_icp__account_scores into the mart
icp_account_scores, one tenant rebuilt without touching another's rows, and an analyst login of
one tenant seeing none of another tenant's scores in the table, the view or the mart."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from demo.scoring_world import COLD_CHAIN_CARD, FOOD_CARD, accounts_csv, labelled_accounts
from icp_assets.domain import scoring
from icp_assets.platform.analysts import add_analyst, analyst_url, revoke_analyst
from icp_assets.platform.database import database_name
from icp_assets.platform.dbt_runner import DbtFailed, run_dbt
from tests.support.scoring import load_accounts_registry, matcher, tenant_with_card

pytestmark = pytest.mark.slow

A, B = "martscore-a", "martscore-b"
ACCOUNTS = labelled_accounts(seed=41)
LISTS = {A: [a for a in ACCOUNTS if a.in_registry][:6], B: [a for a in ACCOUNTS if a.in_registry][6:9]}
RELATIONS = ("icp.account_scores", "staging.stg_icp__account_scores", "marts.icp_account_scores")


def dbt(url: str, *args: str, tenants: list[str] | None = None) -> None:
    try:
        run_dbt(url, args, Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", tenants)
    except DbtFailed as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def built(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both tenants' accounts listed and graded on ACRA alone (not crawled), and the mart built."""
    url = make_database()
    with psycopg.connect(url) as conn:
        load_accounts_registry(conn, ACCOUNTS)
        conn.commit()
        found = matcher(url, tmp_path_factory.mktemp("index"))
        for tenant, card in ((A, FOOD_CARD), (B, COLD_CHAIN_CARD)):
            tenant_with_card(conn, tenant, card, accept=True)
            accounts = scoring.parse_accounts(accounts_csv(LISTS[tenant]).encode(), (80, 443))
            scoring.submit_accounts(conn, tenant, accounts, found)
            scoring.grade_accounts(conn, tenant)
    dbt(url, "build", "--select", "+icp_account_scores")
    yield url
    shutil.rmtree(Path(os.environ.get("TMPDIR", "/tmp")) / f"{database_name(url)}_dbt", ignore_errors=True)


def _mart(url: str) -> dict[str, dict[str, tuple]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select tenant_id, account_name, grade, uen, ssic_code, matched_count, unknown_count, matched, unknown"
            " from marts.icp_account_scores"
        ).fetchall()
    mart: dict[str, dict[str, tuple]] = {}
    for tenant, name, *rest in rows:
        mart.setdefault(tenant, {})[name] = tuple(rest)
    return mart


def test_the_mart_has_each_account_in_words(built: str) -> None:
    mart = _mart(built)
    assert {t: sorted(rows) for t, rows in mart.items()} == {t: sorted(a.name for a in LISTS[t]) for t in (A, B)}
    for account in LISTS[A]:
        grade, uen, ssic, matched_count, unknown_count, matched, unknown = mart[A][account.name]
        assert (uen, ssic) == (account.company.uen, account.company.ssic)
        assert grade in ("C", "D") and unknown_count == 4  # not crawled: the site's attributes unknown
        assert len(matched) == matched_count and all(" (acra:" in m for m in matched)
        assert all(u.endswith("its site is not crawled yet (queued for the tenant's next run)") for u in unknown)


def test_a_tenant_run_rebuilds_only_its_own_rows(built: str) -> None:
    before = _mart(built)
    with psycopg.connect(built) as conn:
        conn.execute("update icp.account_scores set grade = 'unknown' where tenant_id in (%s, %s)", (A, B))
    dbt(built, "build", "--select", "stg_icp__account_scores icp_account_scores", tenants=[A])
    after = _mart(built)
    assert {row[0] for row in after[A].values()} == {"unknown"}
    assert after[B] == before[B]


@pytest.fixture(scope="module")
def analyst_of_b(built: str) -> Iterator[str]:
    with psycopg.connect(built, autocommit=True) as conn:
        role, password = add_analyst(conn, B)
    yield analyst_url(built, role, password)
    with psycopg.connect(built, autocommit=True) as conn:
        revoke_analyst(conn, role)


def test_an_analyst_of_one_tenant_sees_none_of_anothers_scores(built: str, analyst_of_b: str) -> None:
    with psycopg.connect(built) as admin, psycopg.connect(analyst_of_b) as mine:
        for relation in RELATIONS:
            everyone = dict(admin.execute(f"select tenant_id, count(*) from {relation} group by 1").fetchall())
            seen = dict(mine.execute(f"select tenant_id, count(*) from {relation} group by 1").fetchall())
            assert everyone == {A: len(LISTS[A]), B: len(LISTS[B])}, relation
            assert seen == {B: len(LISTS[B])}, relation
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            mine.execute("update icp.account_scores set grade = 'A'")
