"""`make demo`: the whole product on the embedded database, driven the way production is.

A synthetic registry is loaded through the registry job, the demo companies' websites are served
on 127.0.0.1 under their real-looking domains (the crawler reaches them through ICP_CRAWL_HOST_MAP),
the intake is submitted, and the Dagster daemon's new_intake_sensor requests the tenant run, which
executes against the same Dagster instance the UI shows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from demo.catalog import DEMO_SSIC_DIR, DEMO_TENANT, all_companies, demo_intake
from demo.synthetic_registry import generate_acra_csvs
from demo.vhost import VirtualHostServer
from demo.websites import build_sites
from icp_assets.definitions import defs
from icp_assets.defs.registry import registry_refresh_job
from icp_assets.domain.cards.publish import latest_cards
from icp_assets.domain.cards.render import format_cards
from icp_assets.domain.intake import Intake, submit_intake
from icp_assets.platform.database import redact_url
from icp_assets.platform.db import connect
from icp_assets.platform.instance import dagster_instance
from icp_assets.platform.paths import dagster_home, default_acra_dir
from icp_assets.runs import console_log_config

log = logging.getLogger(__name__)

DEMO_REGISTRY_ENTITIES = 20_000
DEMO_REGISTRY_SEED = 7
RUN_TIMEOUT_S = 900
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


def daemon_log() -> Path:
    return dagster_home() / "daemon.log"


def run_demo() -> int:
    instance = dagster_instance()
    url = os.environ["ICP_DATABASE_URL"]
    load_demo_registry(instance)
    with VirtualHostServer(build_sites(all_companies())) as sites:
        os.environ["ICP_CRAWL_HOST_MAP"] = json.dumps(sites.host_map())
        log.info("serving %d demo websites on 127.0.0.1:%d", len(all_companies()), sites.port)
        with connect(url) as conn:
            response_id = submit_intake(conn, DEMO_TENANT, Intake.model_validate(demo_intake()), "demo")
        log.info("submitted intake %s for tenant %s; starting the Dagster daemon", response_id, DEMO_TENANT)
        status = run_through_daemon(instance, run_key=f"intake-{response_id}")
    if status != DagsterRunStatus.SUCCESS:
        log.error("the tenant run ended %s; see `make ui` for its logs", status.value)
        return 1
    with connect(url) as conn:
        cards = latest_cards(conn, DEMO_TENANT)
    print(format_cards(DEMO_TENANT, cards))
    print(
        "\nDagster run history is in PostgreSQL; `make ui` shows it. Operators: `icp db psql`"
        f" ({redact_url(url)}); analysts: `icp analyst add --tenant {DEMO_TENANT}` for a login that reads"
        " only that tenant's rows."
    )
    return 0 if len(cards) >= 3 else 1


def load_demo_registry(instance: DagsterInstance) -> None:
    """Write a synthetic ACRA registry holding the demo companies, then run the registry job on it
    (the demo's SSIC codes come from its own file unless ICP_SSIC_DIR names SingStat's)."""
    acra_dir = Path(os.environ.setdefault("ICP_ACRA_DIR", str(default_acra_dir())))
    os.environ.setdefault("ICP_SSIC_DIR", str(DEMO_SSIC_DIR))
    files = generate_acra_csvs(
        acra_dir, entities=DEMO_REGISTRY_ENTITIES, seed=DEMO_REGISTRY_SEED, extra=all_companies()
    )
    log.info("wrote a synthetic registry of %s entities in %d files", f"{DEMO_REGISTRY_ENTITIES:,}", len(files))
    with contextlib.redirect_stdout(sys.stderr):  # dbt's progress lines are progress, not output
        result = (
            defs()
            .resolve_job_def(registry_refresh_job.name)
            .execute_in_process(
                instance=instance, tags={"icp/trigger": "demo"}, run_config=console_log_config("WARNING")
            )
        )
    if not result.success:
        raise RuntimeError("the registry_refresh run failed; see `make ui` for its logs")


def run_through_daemon(instance: DagsterInstance, run_key: str) -> DagsterRunStatus:
    """Run the daemon until the sensor-requested run with ``run_key`` finishes; returns its status."""
    with daemon_log().open("ab") as log_file:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(WORKSPACE)],
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            return _wait_for_run(instance, run_key)
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()


def _wait_for_run(instance: DagsterInstance, run_key: str) -> DagsterRunStatus:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    last_status = None
    while time.monotonic() < deadline:
        runs = instance.get_runs(filters=RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
        status = runs[0].status if runs else None
        if status != last_status:
            log.info("run for %s: %s", run_key, status.value if status else "waiting for the sensor to request it")
            last_status = status
        if status in FINISHED:
            return status
        time.sleep(2)
    raise TimeoutError(f"no finished run for {run_key} after {RUN_TIMEOUT_S} s (daemon log: {daemon_log()})")
