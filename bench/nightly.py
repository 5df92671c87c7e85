"""The nightly refresh of a fleet: ICP_BENCH_NIGHTLY_TENANTS tenants (default 1,000; a smaller
number for a quick look) refreshed by one `tenant_refresh` run over every tenant partition
(icp_assets.runs.run_fleet: collection for every tenant, one dbt build of the tenants whose
inputs changed, then cards), against the current per-tenant scheme measured in the same run.

The world (demo/fleet_world.py): each tenant's intake names 12 best customers and 3 lost ones from
a shared pool of about 3 companies per tenant, so sites are shared between tenants; every company
and vendor has an ACRA row (among ICP_BENCH_NIGHTLY_ENTITIES synthetic entities, default 50,000)
and a website of ~10 pages, served from a child process under its own host name on 127.0.0.1
(ICP_CRAWL_HOST_MAP; ICP_CRAWL_TEST_DNS keeps every lookup on the machine). Politeness is on: the
crawler's default delay between two requests to one site. No LLM. The world lives in a throw-away
database on the product's server (embedded, or ICP_DATABASE_URL's), with its Dagster storage and
a throw-away ICP_HOME; the registry is loaded through the product (run_registry, full release).

Figures, for two nights in a row: wall time, split into collection (intake_seeds, seed_matches,
crawl_evidence, llm_evidence), dbt (dbt_tenant_models) and publishing (suggestion_cards,
account_scores, dbt_scoring_models) from the run's step start and end events, and the time outside
any step (the run's own start and finish: planning, resources, event log); pages fetched
(requests the sites served, robots.txt and sitemaps included); tenants built by dbt (rows of
icp.tenant_builds built during the night); cards published. Nothing is stale on the second night
(the re-crawl period, ICP_RECRAWL_DAYS, is 7 days), so it must fetch no page and build no tenant.
Then one tenant's dbt build with every other tenant present: its intake resubmitted (so its
inputs changed) and run alone (run_tenant); the dbt step's time, median of 3 tenants.

Baseline `per_tenant_runs`, in the same run: one run_tenant per tenant, one after the other (what
the nightly schedule requested before the fleet run), over a sample of min(ICP_BENCH_NIGHTLY_SAMPLE
(default 50), N) tenants in a second fresh world (its own database, registry, Dagster
storage, ICP_HOME and crawl cache: nothing learnt from the fleet's nights); its wall time is
extrapolated to N tenants (sample wall / sample x N), as are its collection and dbt parts.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import psycopg
from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

from bench.report import baseline, figure, note
from demo.catalog import DEMO_SSIC_DIR
from demo.fleet_world import FleetSites, FleetTenant, fleet_world
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.defs.partitions import tenant_partitions
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.platform.database import (
    dagster_database_url,
    drop_database,
    ensure_database,
    product_database_url,
    with_database,
)
from icp_assets.platform.instance import prepare_environment
from icp_assets.runs import run_failure, run_fleet, run_registry, run_tenant
from scrapers import settings as crawl_settings

BENCH = "nightly"
TENANTS = int(os.environ.get("ICP_BENCH_NIGHTLY_TENANTS", "1000"))
ENTITIES = int(os.environ.get("ICP_BENCH_NIGHTLY_ENTITIES", "50000"))
SAMPLE = min(int(os.environ.get("ICP_BENCH_NIGHTLY_SAMPLE", "50")), TENANTS)
ONE_TENANT_RUNS = 3
WORLD_SEED, REGISTRY_SEED = 2025, 7
SSIC_FILE = DEMO_SSIC_DIR / "ssic2020-classification-structure.csv"

COLLECTION_STEPS = ("intake_seeds", "seed_matches", "crawl_evidence", "llm_evidence")
DBT_STEP_PREFIX = "dbt_tenant_models"
PUBLISHING_STEPS = ("suggestion_cards", "account_scores", "dbt_scoring_models")
NIGHT_TARGET_S, DBT_TARGET_S, ONE_TENANT_TARGET_S = 30 * 60, 60, 3

_STEP_EVENTS = {
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.STEP_SKIPPED,
}


@contextlib.contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """Set (a value) or unset (None) variables; the whole environment is restored afterwards,
    including what the product exports on its own (prepare_environment)."""
    saved = dict(os.environ)
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _quietly() -> contextlib.AbstractContextManager:
    """Runs' progress (dbt's included) goes to stderr: stdout is one figure a line."""
    return contextlib.redirect_stdout(sys.stderr)


def _checked(result: ExecuteInProcessResult, what: str) -> ExecuteInProcessResult:
    if not result.success:
        raise RuntimeError(f"{what} failed (run {result.run_id}): {run_failure(result).message}")
    return result


@contextlib.contextmanager
def _world(
    server_url: str, home: Path, acra_files: Sequence[Path], tenants: Sequence[FleetTenant]
) -> Iterator[tuple[DagsterInstance, str]]:
    """A fresh database on the server (and its Dagster storage), a fresh ICP_HOME, the registry
    loaded through the product and the tenants' intakes submitted; everything dropped afterwards."""
    url = with_database(server_url, f"icp_bench_nightly_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        with _environment(ICP_DATABASE_URL=url, ICP_HOME=str(home)):
            prepare_environment()
            instance = DagsterInstance.get()
            try:
                started = time.perf_counter()
                with _quietly():
                    registry = _checked(
                        run_registry(instance, acra_files, [SSIC_FILE], full_release=True, console_level="WARNING"),
                        "the registry load",
                    )
                loaded = time.perf_counter()
                with psycopg.connect(url) as conn:
                    for tenant in tenants:
                        submit_intake(conn, tenant.tenant_id, Intake.model_validate(tenant.intake()), "bench")
                instance.add_dynamic_partitions(tenant_partitions.name, [t.tenant_id for t in tenants])
                note(
                    BENCH,
                    f"world of {len(tenants)} tenants: registry loaded in {loaded - started:.0f}s ("
                    + ", ".join(f"{key} {s:.0f}s" for key, s in step_seconds(instance, registry.run_id).items())
                    + f"), intakes submitted in {time.perf_counter() - loaded:.0f}s",
                )
                yield instance, url
            finally:
                instance.dispose()
    finally:
        drop_database(dagster_database_url(url))
        drop_database(url)


def step_seconds(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    """Step key -> seconds from its start to its end (success, failure or skip) in the run's event log."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in instance.all_logs(run_id, of_type=_STEP_EVENTS):
        if entry.dagster_event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        else:
            seconds[entry.step_key] = entry.timestamp - started.get(entry.step_key, entry.timestamp)
    return seconds


def split_steps(steps: dict[str, float]) -> dict[str, float]:
    """Seconds of collection, dbt, publishing and any other step, summed over their steps."""
    parts = dict.fromkeys(("collection", "dbt", "publishing", "other"), 0.0)
    for key, seconds in steps.items():
        name = key.split("[", 1)[0]
        part = (
            "collection"
            if name in COLLECTION_STEPS
            else "dbt"
            if name.startswith(DBT_STEP_PREFIX)
            else "publishing"
            if name in PUBLISHING_STEPS
            else "other"
        )
        parts[part] += seconds
    return parts


def _database_now(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        return conn.execute("select clock_timestamp()").fetchone()[0]


def _night(number: int, instance: DagsterInstance, url: str, sites: FleetSites) -> None:
    since, served = _database_now(url), sites.requests_served()
    started = time.perf_counter()
    with _quietly():
        result = _checked(run_fleet(instance, console_level="WARNING"), f"night {number}")
    wall = time.perf_counter() - started
    pages = sites.requests_served() - served
    steps = step_seconds(instance, result.run_id)
    with psycopg.connect(url) as conn:
        built = conn.execute(
            "select count(distinct tenant_id) from icp.tenant_builds where models = 'tenant' and built_at >= %s",
            (since,),
        ).fetchone()[0]
        cards, carded = conn.execute(
            "select count(*), count(distinct tenant_id) from icp.icp_suggestions where published_at >= %s", (since,)
        ).fetchone()
    name = f"night{number}"
    figure(BENCH, f"{name}_wall_s", wall, "s")
    for part, seconds in split_steps(steps).items():
        if part != "other" or seconds:
            figure(BENCH, f"{name}_{part}_s", seconds, "s")
    figure(BENCH, f"{name}_outside_steps_s", wall - sum(steps.values()), "s")
    figure(BENCH, f"{name}_pages_fetched", pages)
    figure(BENCH, f"{name}_tenants_built", built)
    figure(BENCH, f"{name}_cards_published", cards)
    figure(BENCH, f"{name}_tenants_with_cards_published", carded)
    note(BENCH, f"{name} steps: " + ", ".join(f"{key} {seconds:.1f}s" for key, seconds in steps.items()))


def _one_tenant_builds(instance: DagsterInstance, url: str, tenants: Sequence[FleetTenant]) -> None:
    """Each tenant's intake resubmitted, then its run alone; the dbt step's and the run's seconds."""
    dbt_seconds, walls = [], []
    for tenant in tenants:
        with psycopg.connect(url) as conn:
            submit_intake(conn, tenant.tenant_id, Intake.model_validate(tenant.intake()), "bench")
        started = time.perf_counter()
        with _quietly():
            result = _checked(run_tenant(instance, url, tenant.tenant_id, console_level="WARNING"), tenant.tenant_id)
        walls.append(time.perf_counter() - started)
        dbt_seconds.append(split_steps(step_seconds(instance, result.run_id))["dbt"])
    figure(BENCH, "one_tenant_dbt_s", statistics.median(dbt_seconds), "s")
    figure(BENCH, "one_tenant_run_wall_s", statistics.median(walls), "s")
    note(BENCH, f"one tenant's dbt step, {len(tenants)} runs: " + ", ".join(f"{s:.2f}s" for s in dbt_seconds))


def _per_tenant_runs(instance: DagsterInstance, url: str, tenants: Sequence[FleetTenant], sites: FleetSites) -> None:
    served = sites.requests_served()
    parts = dict.fromkeys(("collection", "dbt", "publishing", "other"), 0.0)
    started = time.perf_counter()
    for tenant in tenants:
        with _quietly():
            result = _checked(run_tenant(instance, url, tenant.tenant_id, console_level="WARNING"), tenant.tenant_id)
        for part, seconds in split_steps(step_seconds(instance, result.run_id)).items():
            parts[part] += seconds
    wall = time.perf_counter() - started
    pages = sites.requests_served() - served
    scale = TENANTS / len(tenants)
    name = "per_tenant_runs"
    baseline(BENCH, name, "sample_tenants", len(tenants))
    baseline(BENCH, name, "sample_wall_s", wall, "s")
    baseline(BENCH, name, "sample_pages_fetched", pages)
    baseline(BENCH, name, "night1_wall_s", wall * scale, "s")
    for part in ("collection", "dbt", "publishing"):
        baseline(BENCH, name, f"night1_{part}_s", parts[part] * scale, "s")
    note(BENCH, f"baseline night1_* figures: the {len(tenants)}-tenant sample's times x {scale:g} ({TENANTS} tenants)")


def main() -> None:
    world = fleet_world(TENANTS, WORLD_SEED)
    server_url = product_database_url()  # before ICP_HOME changes: the embedded server lives under it
    note(
        BENCH,
        f"{TENANTS} tenants x {len(world.tenants[0].best)} best + {len(world.tenants[0].lost)} lost customers"
        f" over {len(world.customers)} shared companies; {len(world.companies())} websites on 127.0.0.1,"
        f" {crawl_settings.DOWNLOAD_DELAY:g}s between two requests to a site; {ENTITIES:,} filler ACRA entities",
    )
    note(
        BENCH,
        f"targets: night <= {NIGHT_TARGET_S / 60:.0f} min on 2 cores, dbt part <= {DBT_TARGET_S} s,"
        f" night 2: 0 pages fetched and 0 tenants built, one tenant's dbt build <= {ONE_TENANT_TARGET_S} s",
    )
    with tempfile.TemporaryDirectory(prefix="icp-bench-nightly-") as tmp, FleetSites(TENANTS, WORLD_SEED) as sites:
        work = Path(tmp)
        acra_files = generate_acra_csvs(work / "acra", ENTITIES, seed=REGISTRY_SEED, extra=world.companies())
        with _environment(
            ICP_CRAWL_HOST_MAP=sites.host_map_json(),
            ICP_CRAWL_TEST_DNS="{}",  # no lookup leaves the machine
            ICP_CRAWL_DELAY=None,  # politeness on: the crawler's default delay
            ICP_RECRAWL_DAYS=None,  # the default re-crawl period, 7 days
            OPENAI_API_KEY=None,
            OPENAI_BASE_URL=None,
        ):
            with _world(server_url, work / "fleet", acra_files, world.tenants) as (instance, url):
                _night(1, instance, url, sites)
                _night(2, instance, url, sites)
                _one_tenant_builds(instance, url, (world.tenants * ONE_TENANT_RUNS)[:ONE_TENANT_RUNS])
            sample = world.tenants[:SAMPLE]
            with _world(server_url, work / "per-tenant", acra_files, sample) as (instance, url):
                _per_tenant_runs(instance, url, sample, sites)


if __name__ == "__main__":
    main()
