"""The demo registry, loaded once per session and copied into each end-to-end module's database.

Generating the synthetic ACRA registry and running the `registry_refresh` job on it (load, match
index, dbt registry models) took most of a minute per module; a copy of the loaded database takes a
fraction of a second and leaves each module a database of its own, so no module sees another's
tenants, crawl cache or builds. (The quick start test loads its registry itself: the load is what it
tests.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from demo.catalog import DEMO_SSIC_DIR, all_companies
from demo.synthetic_registry import generate_acra_csvs
from icp_assets.definitions import defs
from icp_assets.platform.database import connection_env


@dataclass(frozen=True)
class DemoRegistry:
    url: str  # the database the job loaded: only ever copied, never used
    acra_dir: Path  # the ACRA files it was loaded from


def database_env(url: str) -> dict[str, str]:
    """Every variable that points the product at ``url``: Python, dbt and Dagster's storage."""
    return {"ICP_DATABASE_URL": url, **connection_env(url)}


@pytest.fixture(scope="session")
def demo_registry(make_database: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> DemoRegistry:
    """3,000 synthetic entities and the demo companies, with the demo's SSIC file, loaded by the
    registry_refresh job."""
    acra_dir = tmp_path_factory.mktemp("acra")
    generate_acra_csvs(acra_dir, entities=3000, seed=11, extra=all_companies())
    url = make_database()
    with pytest.MonkeyPatch.context() as env:
        for name, value in database_env(url).items():
            env.setenv(name, value)
        env.setenv("ICP_ACRA_DIR", str(acra_dir))
        env.setenv("ICP_SSIC_DIR", str(DEMO_SSIC_DIR))
        env.setenv("ICP_HOME", str(tmp_path_factory.mktemp("icp_home")))
        result = defs().resolve_job_def("registry_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
        assert result.success
    return DemoRegistry(url=url, acra_dir=acra_dir)


@pytest.fixture(scope="module")
def registry_database(demo_registry: DemoRegistry, make_database: Callable[..., str]) -> Iterator[str]:
    """The module's own database, a copy of the demo registry's. Until the module ends, the product
    (in this process and those it starts) reaches it, and ICP_ACRA_DIR and ICP_SSIC_DIR name the
    files its registry came from."""
    url = make_database(demo_registry.url)
    with pytest.MonkeyPatch.context() as env:
        for name, value in database_env(url).items():
            env.setenv(name, value)
        env.setenv("ICP_ACRA_DIR", str(demo_registry.acra_dir))
        env.setenv("ICP_SSIC_DIR", str(DEMO_SSIC_DIR))
        yield url
