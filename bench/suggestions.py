"""Pattern mining: do the dbt cards recover planted segments, stay quiet on noise, and build fast?

Synthetic tenants go straight into a fresh database (registry rows, intakes, seeds, matches,
crawl outcomes and evidence; no crawl, no matching), then dbt builds every tenant at once.

* planted tenants: 2 (<= 10 seeds) or 3 conjunctive segments (SSIC group AND an integration AND a
  buyer title) holding 70% of the best customers, 30% noise customers, churned customers drawn
  from a planted negative segment (restaurants, 1-9 staff, Square) with churn reasons;
  one more member of the first segment is held out of the intake (leave-one-out).
* null tenants: every customer is noise, nothing planted.

Figures: recovery of planted segments by a top-5 card (covered-customer Jaccard >= 0.8) per seed
count, the share of null tenants flagged (no card, or only reduced_evidence cards), negative ICP
themes, leave-one-out audience hits and sizes, dbt build times (full; one tenant among the rest,
as a tenant run invokes it; the same invocation with nothing selected, the floor of starting dbt).
Baseline `top_ssic_codes`: the replaced plan's cards = the 5 most frequent SSIC codes.

Size: ICP_BENCH_SUGGESTIONS_TENANTS (default 1000), ICP_BENCH_SUGGESTIONS_ENTITIES (registry,
default 100000).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.report import baseline, figure, note
from icp_assets.defs.dbt import dbt_build_args
from icp_assets.domain.audience import parse, to_sql
from icp_assets.platform.database import drop_database, product_database_url, with_database
from icp_assets.platform.db import migrate
from icp_assets.platform.dbt_runner import run_dbt

BENCH = "suggestions"
SEED_COUNTS = (5, 10, 20, 50)
JACCARD = 0.8

INTEGRATIONS = [f"App{i:02d}" for i in range(30)]
TITLES = [f"Title {i:02d}" for i in range(25)]
INDUSTRIES = [f"industry {i:02d}" for i in range(20)]
TECHNOLOGIES = [f"Tech {i:02d}" for i in range(15)]
REASONS = [
    "Single outlet, too small for the product",
    "The price was too high for their budget",
    "No warehouse or inventory of their own",
    "Needed point-of-sale for shops, not B2B",
    "Switched to a competitor",
]
NEGATIVE = {"ssic": "56111", "integration": "Square", "headcount": 5}


@dataclass
class Entity:
    uen: str
    ssic: str
    postal: str
    year: int


@dataclass
class Seed:
    key: str
    entity: Entity
    integrations: list[str]
    titles: list[str]
    industries: list[str]
    technology: str
    headcount: int
    segment: int | None = None  # planted segment index, None = noise
    reason: str | None = None


@dataclass
class Tenant:
    tenant_id: str
    n: int
    planted: bool
    best: list[Seed]
    lost: list[Seed]
    segments: list[set[str]] = field(default_factory=list)
    held_out: Entity | None = None


def _registry(rng: random.Random, size: int) -> tuple[list[Entity], dict[str, list[Entity]], list[tuple]]:
    """Entities over ~160 SSIC subclasses with Zipf-like popularity; also the SSIC reference rows."""
    groups = sorted({f"{d:02d}{g}" for d in range(10, 96, 3) for g in range(1, 4)})
    codes = [f"{g}{s:02d}" for g in groups for s in (1, 9)] + [NEGATIVE["ssic"]]
    weights = [1 / (i + 3) for i in range(len(codes))]
    rng.shuffle(weights)
    entities = [
        Entity(
            f"B{i:08d}X",
            code,
            f"{rng.choice(range(1, 83)):02d}{rng.randrange(10000):04d}",
            rng.randint(1975, 2024),
        )
        for i, code in enumerate(rng.choices(codes, weights, k=size))
    ]
    by_group: dict[str, list[Entity]] = {}
    for e in entities:
        by_group.setdefault(e.ssic[:3], []).append(e)
    reference = []
    for code in sorted({c[:2] for c in codes}):
        section = chr(ord("A") + int(code) // 5)
        reference.append((section, "section", f"Section {section}", None, section))
        reference.append((code, "division", f"Division {code} activities", section, section))
    for group in sorted({c[:3] for c in codes}):
        reference.append((group, "group", f"Group {group} activities", group[:2], chr(ord("A") + int(group[:2]) // 5)))
    for code in codes:
        reference.append(
            (code, "subclass", f"Subclass {code} activities", code[:3], chr(ord("A") + int(code[:2]) // 5))
        )
    return entities, by_group, list({r[0]: r for r in reference}.values())


def _pick(rng: random.Random, used: set[str], pool: list[Entity]) -> Entity:
    """A registry entity not yet used by the tenant."""
    while True:
        e = rng.choice(pool)
        if e.uen not in used:
            used.add(e.uen)
            return e


def _noise(rng: random.Random, key: str, entity: Entity) -> Seed:
    return Seed(
        key,
        entity,
        rng.sample(INTEGRATIONS, rng.randint(2, 4)),
        rng.sample(TITLES, rng.randint(2, 3)),
        rng.sample(INDUSTRIES, rng.randint(1, 2)),
        rng.choice(TECHNOLOGIES),
        int(rng.lognormvariate(3.3, 1.0)) + 1,
    )


def _tenants(rng: random.Random, count: int, entities: list[Entity], by_group: dict[str, list[Entity]]) -> list[Tenant]:
    rich_groups = [g for g, members in by_group.items() if len(members) >= 200 and g != NEGATIVE["ssic"][:3]]
    negatives = by_group[NEGATIVE["ssic"][:3]]
    tenants = []
    for i in range(count):
        n = SEED_COUNTS[i % len(SEED_COUNTS)]
        planted = (i // len(SEED_COUNTS)) % 2 == 0
        used: set[str] = set()

        tenant = Tenant(f"t{i:04d}", n, planted, [], [])
        if planted:
            k = 2 if n <= 10 else 3
            planted_seeds = round(0.7 * n)
            sizes = [planted_seeds // k + (1 if s < planted_seeds % k else 0) for s in range(k)]
            for s, size in enumerate(sizes):
                group = rng.choice(rich_groups)
                integration, title = rng.choice(INTEGRATIONS), rng.choice(TITLES)
                members = set()
                for m in range(size + (1 if s == 0 and n >= 10 else 0)):
                    seed = _noise(rng, f"{tenant.tenant_id}-s{s}-{m}", _pick(rng, used, by_group[group]))
                    seed.integrations = [integration, *[x for x in seed.integrations if x != integration][:2]]
                    seed.titles = [title, *[x for x in seed.titles if x != title][:1]]
                    seed.segment = s
                    if m == size:  # held out of the intake
                        tenant.held_out = seed.entity
                        continue
                    tenant.best.append(seed)
                    members.add(seed.key)
                tenant.segments.append(members)
        while len(tenant.best) < n:
            tenant.best.append(_noise(rng, f"{tenant.tenant_id}-n{len(tenant.best)}", _pick(rng, used, entities)))
        for c in range(3):
            if planted:
                seed = _noise(rng, f"{tenant.tenant_id}-c{c}", _pick(rng, used, negatives))
                seed.integrations = [NEGATIVE["integration"], *seed.integrations[:1]]
                seed.headcount = NEGATIVE["headcount"]
            else:
                seed = _noise(rng, f"{tenant.tenant_id}-c{c}", _pick(rng, used, entities))
            seed.reason = rng.choice(REASONS)
            tenant.lost.append(seed)
        tenants.append(tenant)
    return tenants


def _copy(cur: psycopg.Cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with cur.copy(f"copy {table} ({columns}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def _load(url: str, reference: list[tuple], entities: list[Entity], tenants: list[Tenant]) -> None:
    responses, companies, seeds, matches, outcomes, evidence = [], [], [], [], [], []
    company_id = seed_id = 0
    for r, t in enumerate(tenants, start=1):
        answers = {
            "website": f"https://{t.tenant_id}.example/",
            "best_customers": [{"name": s.key, "website": f"https://{s.key}.example"} for s in t.best],
            "lost_or_churned": [{"name": s.key, "reason": s.reason} for s in t.lost],
        }
        responses.append((r, t.tenant_id, answers["website"], f"{t.tenant_id}.example", json.dumps(answers)))
        for kind, group in (("best", t.best), ("lost", t.lost)):
            for s in group:
                company_id += 1
                seed_id += 1
                domain = f"{s.key}.example"
                companies.append((company_id, domain, s.key, f"https://{domain}"))
                seeds.append((seed_id, r, t.tenant_id, kind, s.key, f"https://{domain}", domain, s.reason, company_id))
                matches.append((seed_id, t.tenant_id, s.entity.uen, s.key.upper(), 1.0, "domain", "matched"))
                outcomes.append((t.tenant_id, company_id, f"https://{domain}/", 4, False))
                e, url_ = s.entity, f"https://{domain}/"
                rows = [
                    ("ssic", {"label": f"Subclass {e.ssic} activities", "code": e.ssic}, "registry", None, 1.0),
                    ("postal_district", {"label": e.postal[:2], "postal_code": e.postal}, "registry", None, 1.0),
                    ("incorporation_year", {"label": str(e.year), "year": e.year}, "registry", None, 1.0),
                    ("technology", {"label": s.technology}, "crawl", url_, 0.8),
                    (
                        "headcount",
                        {"label": str(s.headcount), "min": s.headcount, "max": s.headcount},
                        "crawl",
                        url_,
                        0.6,
                    ),
                ]
                rows += [("integration", {"label": x}, "crawl", url_ + "integrations", 0.9) for x in s.integrations]
                rows += [("buyer_title", {"label": x}, "crawl", url_ + "careers", 0.6) for x in s.titles]
                rows += [("industry_served", {"label": x}, "crawl", url_ + "about", 0.7) for x in s.industries]
                evidence += [(t.tenant_id, company_id, k, json.dumps(v), src, u, c) for k, v, src, u, c in rows]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _copy(cur, "registry.ssic_codes", "code, level, title, parent_code, section", reference)
        _copy(
            cur,
            "registry.acra_entities",
            "uen, entity_name, entity_type_description, entity_status_description,"
            " registration_incorporation_date, postal_code, primary_ssic_code, primary_ssic_description",
            [
                (
                    e.uen,
                    f"ENTITY {e.uen} PTE. LTD.",
                    "Local Company",
                    "Live Company" if i % 9 else "Struck Off",
                    f"{e.year}-06-01",
                    e.postal,
                    e.ssic,
                    f"Subclass {e.ssic} activities",
                )
                for i, e in enumerate(entities)
            ],
        )
        _copy(cur, "icp.tenants", "tenant_id", [(t.tenant_id,) for t in tenants])
        _copy(cur, "icp.icp_intake_responses", "response_id, tenant_id, website, website_domain, answers", responses)
        _copy(cur, "icp.companies", "company_id, domain, name, website", companies)
        _copy(
            cur,
            "icp.customer_seeds",
            "seed_id, response_id, tenant_id, kind, name, website, domain, reason, company_id",
            seeds,
        )
        _copy(cur, "icp.seed_matches", "seed_id, tenant_id, uen, entity_name, score, method, status", matches)
        _copy(cur, "icp.crawl_outcomes", "tenant_id, company_id, site_url, pages_fetched, reduced_evidence", outcomes)
        _copy(cur, "icp.icp_evidence", "tenant_id, company_id, signal_key, value, source, url, confidence", evidence)
        cur.execute("analyze")


def _dbt(url: str, work: Path, *args: str, tenants: list[str] | None = None) -> float:
    return run_dbt(url, [*args, "--quiet"], work, tenants)


def _tenant_build(url: str, work: Path, args: list[str], tenant: str) -> float:
    """Seconds of one tenant's build; fails unless every one of its card rows was written anew."""
    query = "select xmin::text from marts.icp_suggestions where tenant_id = %s"
    with psycopg.connect(url) as conn:
        before = {row[0] for row in conn.execute(query, (tenant,))}
    seconds = run_dbt(url, args, work, [tenant])
    with psycopg.connect(url) as conn:
        after = {row[0] for row in conn.execute(query, (tenant,))}
    if not after or before & after:
        raise RuntimeError(f"the build of {tenant} did not rewrite its cards")
    return seconds


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _baseline_cards(t: Tenant) -> list[set[str]]:
    """The replaced plan: cards = the 5 most frequent SSIC codes among best customers (>= 2 each)."""
    by_code: dict[str, set[str]] = {}
    for s in t.best:
        by_code.setdefault(s.entity.ssic, set()).add(s.key)
    ranked = sorted(by_code.values(), key=len, reverse=True)
    return [keys for keys in ranked if len(keys) >= 2][:5]


def _loo_hit(conn: psycopg.Connection, uen: str, expressions: list[tuple[str, int]]) -> tuple[bool, int | None]:
    for expression, size in expressions:
        where, params = to_sql(parse(expression))
        if conn.execute(
            f"select exists (select 1 from registry.acra_entities e where e.uen = %s and {where})", [uen, *params]
        ).fetchone()[0]:
            return True, size
    return False, None


def main() -> None:
    n_tenants = int(os.environ.get("ICP_BENCH_SUGGESTIONS_TENANTS", "1000"))
    n_entities = int(os.environ.get("ICP_BENCH_SUGGESTIONS_ENTITIES", "100000"))
    rng = random.Random(5)
    url = with_database(product_database_url(), "icp_bench_suggestions")
    drop_database(url)
    migrate(url)
    entities, by_group, reference = _registry(rng, n_entities)
    tenants = _tenants(rng, n_tenants, entities, by_group)
    started = time.monotonic()
    _load(url, reference, entities, tenants)
    note(
        BENCH,
        f"{n_tenants} tenants, {sum(len(t.best) for t in tenants)} best customers, "
        f"{n_entities} registry entities loaded in {time.monotonic() - started:.1f}s",
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        full = _dbt(url, work, "build")
        one = tenants[len(SEED_COUNTS) * 2 + 3]  # a planted 50-seed tenant
        # What a tenant partition runs: the dbt asset's arguments and selection, dbt's structured
        # log on stdout as dagster-dbt reads it; the median of 3 runs, as the 2 shared cores are
        # noisy. Each run deletes and re-inserts the tenant's rows (new xmin) and tests them.
        tenant_build = [*dbt_build_args(tenant_scoped=True), "--select", "tag:tenant", "--log-format", "json"]
        single = statistics.median(_tenant_build(url, work, tenant_build, one.tenant_id) for _ in range(3))
        # The same invocation with nothing selected: starting dbt and loading the parsed project.
        floor = statistics.median(
            run_dbt(url, [*tenant_build, "--exclude", "tag:tenant"], work, [one.tenant_id]) for _ in range(3)
        )
    figure(BENCH, f"dbt_full_build_{n_tenants}_tenants", full, "s")
    figure(BENCH, f"dbt_one_tenant_build_with_{n_tenants - 1}_others", single, "s")
    figure(BENCH, "dbt_tenant_build_nothing_selected", floor, "s")

    with psycopg.connect(url) as conn:
        cards: dict[str, list[dict]] = {}
        for tenant_id, seed_names, reduced, expression, size in conn.execute(
            "select s.tenant_id, s.seed_names, s.reduced_evidence, a.audience_expression, a.precision_total"
            " from marts.icp_suggestions s join marts.icp_audience a using (suggestion_id) where s.rank <= 5"
            " order by s.tenant_id, s.rank"
        ):
            cards.setdefault(tenant_id, []).append(
                {"seeds": set(seed_names), "reduced": reduced, "expression": expression, "size": size}
            )
        # All negative themes (churn reasons, anti-ICP answers, over-represented attributes), and
        # the themes drawn from churn reasons alone.
        themes = {
            tenant_id: (total, from_reasons)
            for tenant_id, total, from_reasons in conn.execute(
                "select tenant_id, count(distinct theme), count(distinct theme) filter (where kind = 'churn_theme')"
                " from marts.icp_negative_icp group by tenant_id"
            )
        }
        loo_hits, loo_sizes, loo_total = 0, [], 0
        for t in tenants:
            if t.planted and t.held_out is not None:
                loo_total += 1
                hit, size = _loo_hit(
                    conn, t.held_out.uen, [(c["expression"], c["size"]) for c in cards.get(t.tenant_id, [])]
                )
                loo_hits += hit
                if size is not None:
                    loo_sizes.append(size)

    for n in SEED_COUNTS:
        planted = [t for t in tenants if t.planted and t.n == n]
        nulls = [t for t in tenants if not t.planted and t.n == n]
        ours = [
            any(_jaccard(seg, c["seeds"]) >= JACCARD for c in cards.get(t.tenant_id, []))
            for t in planted
            for seg in t.segments
        ]
        confident = [
            any(_jaccard(seg, c["seeds"]) >= JACCARD and not c["reduced"] for c in cards.get(t.tenant_id, []))
            for t in planted
            for seg in t.segments
        ]
        base = [any(_jaccard(seg, c) >= JACCARD for c in _baseline_cards(t)) for t in planted for seg in t.segments]
        flagged = [all(c["reduced"] for c in cards.get(t.tenant_id, [])) for t in nulls]
        base_flagged = [not _baseline_cards(t) for t in nulls]
        figure(BENCH, f"recovery_top5_{n}_seeds", statistics.mean(ours) if ours else 0.0)
        figure(BENCH, f"recovery_top5_confident_{n}_seeds", statistics.mean(confident) if confident else 0.0)
        baseline(BENCH, "top_ssic_codes", f"recovery_top5_{n}_seeds", statistics.mean(base) if base else 0.0)
        figure(BENCH, f"null_tenants_flagged_{n}_seeds", statistics.mean(flagged) if flagged else 0.0)
        baseline(
            BENCH,
            "top_ssic_codes",
            f"null_tenants_flagged_{n}_seeds",
            statistics.mean(base_flagged) if base_flagged else 0.0,
        )
    with_reasons = [t for t in tenants if sum(1 for s in t.lost if s.reason) >= 2]
    figure(
        BENCH,
        "negative_icp_3plus_themes_share",
        statistics.mean(themes.get(t.tenant_id, (0, 0))[0] >= 3 for t in with_reasons),
    )
    figure(
        BENCH,
        "negative_icp_3plus_churn_reason_themes_share",
        statistics.mean(themes.get(t.tenant_id, (0, 0))[1] >= 3 for t in with_reasons),
    )
    figure(BENCH, "loo_held_out_in_card_audience", loo_hits / loo_total if loo_total else 0.0)
    figure(BENCH, "loo_audience_size_median", statistics.median(loo_sizes) if loo_sizes else 0, "entities")
    drop_database(url)


if __name__ == "__main__":
    main()
