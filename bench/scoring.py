"""Account scoring: do grades A-B find the accounts planted in the ICP, and does every grade cite
its evidence?

The labelled world of demo/scoring_world.py: a tenant with two accepted cards (food wholesale on
Xero + Shopify, warehousing on NetSuite), accounts in the ICP (every defining attribute of a card),
near misses (the card's SSIC group, other integrations), other industries on the same tools,
sites that block crawlers (robots.txt, 403) in and out of the ICP, and accounts with nothing to
learn (not in ACRA; a site that says nothing, blocks crawlers or is not given). Their ACRA rows sit
in a synthetic registry of ICP_BENCH_SCORING_ENTITIES (default 20000) entities; their websites are
served on 127.0.0.1. The accounts go through what `icp score` runs: the file parser, the matcher,
the tenants' crawler (politeness off), grading.

Figures: precision and recall of grades A-B against the labels, and recall over the accounts in
the ICP whose site could be read (a blocked site caps a grade at C: nothing confirms its
integrations); the share of graded accounts (A-D) citing evidence for every matched and missed
attribute; the share of blocked accounts whose site attributes are stated unknown rather than
missed; the share of nothing-to-learn accounts graded unknown; crawl and grading time. Baseline
`ssic_only` in the same run: grade A when the account's ACRA SSIC code falls in a card's SSIC
group, D otherwise, unknown when not in ACRA. ICP_BENCH_SCORING_SCALE (1 or 2, default 2)
multiplies the accounts.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from bench.report import baseline, figure, note
from demo.catalog import DEMO_SSIC_DIR, demo_intake
from demo.scoring_world import (
    CARDS,
    LabelledAccount,
    account_sites,
    accounts_csv,
    labelled_accounts,
    registry_companies,
)
from demo.synthetic_registry import generate_acra_csvs
from demo.vhost import VirtualHostServer
from icp_assets.domain import scoring
from icp_assets.domain.cards.accept import accept_card
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.matching.matcher import Matcher
from icp_assets.domain.registry.acra import load_acra_csvs
from icp_assets.domain.registry.ssic import load_ssic_structure
from icp_assets.platform.database import drop_database, product_database_url, with_database
from icp_assets.platform.db import migrate
from scrapers import settings as crawl_settings
from scrapers.runner import run_crawl

BENCH = "scoring"
TENANT = "bench-scoring"
ENTITIES = int(os.environ.get("ICP_BENCH_SCORING_ENTITIES", "20000"))
SCALE = int(os.environ.get("ICP_BENCH_SCORING_SCALE", "2"))
PAGE_CAP = 10


def _precision_recall(chosen: set[str], positives: set[str]) -> tuple[float, float]:
    hits = len(chosen & positives)
    return (hits / len(chosen) if chosen else 0.0, hits / len(positives) if positives else 0.0)


def _tenant_with_cards(url: str) -> None:
    """The tenant's intake, its cards published and both accepted as rules."""
    with psycopg.connect(url) as conn:
        response_id = submit_intake(conn, TENANT, Intake.model_validate(demo_intake()), "bench")
        for rank, card in enumerate(CARDS, start=1):
            conn.execute(
                "insert into icp.icp_suggestions (tenant_id, response_id, suggestion_id, rank, title, card,"
                " evidence_count) values (%s, %s, %s, %s, %s, %s, 5)",
                (TENANT, response_id, f"card-{rank}", rank, card["title"], Jsonb(card)),
            )
            accept_card(conn, TENANT, f"card-{rank}", "bench")


def _ssic_only(conn: psycopg.Connection, ids: dict[str, int]) -> dict[str, str]:
    """The baseline's grades: A when the ACRA SSIC code is in a card's SSIC group, else D."""
    groups = {card["ssic_group"] for card in CARDS}
    codes = dict(
        conn.execute(
            "select a.account_id, e.primary_ssic_code from icp.account_scores a"
            " join registry.acra_entities e on e.uen = a.uen where a.match_status = 'matched' and a.tenant_id = %s",
            (TENANT,),
        ).fetchall()
    )
    return {
        name: ("unknown" if i not in codes else "A" if (codes[i] or "")[:3] in groups else "D")
        for name, i in ids.items()
    }


def main() -> None:
    accounts = labelled_accounts(seed=11, scale=SCALE)
    by_name = {a.name: a for a in accounts}
    url = with_database(product_database_url(), "icp_bench_scoring")
    drop_database(url)
    migrate(url)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        load_acra_csvs(url, generate_acra_csvs(work / "acra", ENTITIES, seed=3, extra=registry_companies(accounts)))
        load_ssic_structure(url, DEMO_SSIC_DIR / "ssic2020-classification-structure.csv")
        _tenant_with_cards(url)
        index, _ = load_match_index(url, work / "index")
        kinds = sorted({a.kind for a in accounts})
        note(
            BENCH,
            f"{len(accounts)} labelled accounts ({', '.join(f'{sum(a.kind == k for a in accounts)} {k}' for k in kinds)})"
            f" in a registry of {ENTITIES} entities; sites on 127.0.0.1, {PAGE_CAP} pages a site, politeness off",
        )
        parsed = scoring.parse_accounts(accounts_csv(accounts).encode(), crawl_settings.ICP_ALLOWED_PORTS)
        with VirtualHostServer(account_sites(accounts)) as server, psycopg.connect(url) as conn:
            started = time.perf_counter()
            account_ids = scoring.submit_accounts(conn, TENANT, parsed, Matcher(index))
            targets = scoring.crawl_targets(conn, TENANT, len(account_ids), account_ids)
            result = run_crawl(
                targets,
                work / "crawl.jsonl",
                host_map=server.host_map(),
                page_cap=PAGE_CAP,
                cache_dir=work / "cache",
                delay_s=0,
            )
            scoring.record_account_crawl(conn, TENANT, result)
            crawl_done = time.perf_counter()
            scoring.grade_accounts(conn, TENANT, account_ids)
            grade_done = time.perf_counter()
            ids = {a.name: i for a, i in zip(parsed, account_ids, strict=True)}
            stored = {
                name: row
                for name, row in (
                    (r[0], r[1:])
                    for r in conn.execute(
                        "select name, grade, matched, missed, unknown, evidence_urls from icp.account_scores"
                        " where tenant_id = %s",
                        (TENANT,),
                    )
                )
            }
            base = _ssic_only(conn, ids)
    drop_database(url)

    positives = {a.name for a in accounts if a.in_icp}
    ours = {name for name, row in stored.items() if row[0] in ("A", "B")}
    theirs = {name for name, grade in base.items() if grade in ("A", "B")}
    # Positives whose site could be read and who are in ACRA: what a grade can confirm.
    learnable = {a.name for a in accounts if a.kind == "in_icp"}
    for subject, chosen in (("ours", ours), ("baseline:ssic_only", theirs)):
        precision, recall = _precision_recall(chosen, positives)
        figure(BENCH, "precision_grades_A_B", precision, subject=subject)
        figure(BENCH, "recall_grades_A_B", recall, subject=subject)
        figure(BENCH, "recall_grades_A_B_site_read", _precision_recall(chosen, learnable)[1], subject=subject)
    graded = {name: row for name, row in stored.items() if row[0] != "unknown"}
    cited = [
        bool(row[4]) and all(item.get("source") for item in [*row[1], *row[2]]) and bool(row[1] or row[2])
        for row in graded.values()
    ]
    figure(BENCH, "graded_accounts_citing_evidence_share", sum(cited) / len(cited) if cited else 0.0)
    figure(BENCH, "graded_accounts", len(graded))
    blocked = [name for name, a in by_name.items() if a.kind.startswith("blocked")]
    site_namespaces = ("uses ", "employs a ", " staff")
    stated_unknown = [
        not any(any(p in m["attribute"] for p in site_namespaces) for m in stored[name][2])
        and any(any(p in u["attribute"] for p in site_namespaces) for u in stored[name][3])
        for name in blocked
    ]
    figure(BENCH, "blocked_sites_attributes_unknown_not_missed_share", sum(stated_unknown) / len(stated_unknown))
    nothing = [name for name, a in by_name.items() if a.kind == "nothing_to_learn"]
    figure(
        BENCH, "nothing_to_learn_graded_unknown_share", sum(stored[n][0] == "unknown" for n in nothing) / len(nothing)
    )
    baseline(
        BENCH,
        "ssic_only",
        "nothing_to_learn_graded_unknown_share",
        sum(base[n] == "unknown" for n in nothing) / len(nothing),
    )
    figure(BENCH, "submit_match_crawl_s", crawl_done - started, "s")
    figure(BENCH, "grade_s", grade_done - crawl_done, "s")
    _grades_by_kind(accounts, stored)


def _grades_by_kind(accounts: list[LabelledAccount], stored: dict[str, tuple]) -> None:
    for kind in sorted({a.kind for a in accounts}):
        grades = [stored[a.name][0] for a in accounts if a.kind == kind]
        note(BENCH, f"{kind}: " + ", ".join(f"{g} {grades.count(g)}" for g in scoring.GRADES if grades.count(g)))


if __name__ == "__main__":
    main()
