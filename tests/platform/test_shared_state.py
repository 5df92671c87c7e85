"""State any worker can reach: two processes with different ICP_HOME folders and one database (as
two Dagster run workers on two machines would be) reuse each other's match index and crawl cache.
The first builds the index and crawls the sites; the second, with an empty ICP_HOME, loads the
index without building it and crawls the same sites without one request reaching them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from demo.catalog import all_companies
from demo.fixture_sites import company_sites
from demo.synthetic_registry import generate_acra_csvs
from demo.vhost import VirtualHostServer
from icp_assets.domain.registry.acra import load_acra_csvs

REPO = Path(__file__).resolve().parents[2]
SITES = company_sites(3, pages=6, seed=17)


def _worker(url: str, home: Path, server: VirtualHostServer, site_urls: list[str]) -> dict:
    """Run tests/support/shared_state_worker.py in a process of its own; what it printed."""
    env = {
        **os.environ,
        "ICP_DATABASE_URL": url,
        "ICP_HOME": str(home),
        "ICP_CRAWL_HOST_MAP": json.dumps(server.host_map()),
        "ICP_CRAWL_DELAY": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.shared_state_worker", *site_urls],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_workers_with_different_homes_share_the_index_and_the_crawl_cache(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    url = make_database()
    load_acra_csvs(url, generate_acra_csvs(tmp_path / "acra", entities=300, seed=5, extra=all_companies()))
    site_urls = [f"https://{s.domain}/" for s in SITES]
    first_home, second_home = tmp_path / "worker-1", tmp_path / "worker-2"

    with VirtualHostServer({s.domain: s.pages for s in SITES}) as server:
        first = _worker(url, first_home, server, site_urls)
        requests_first = len(server.hits())
        assert not second_home.exists()
        second = _worker(url, second_home, server, site_urls)
        requests_second = len(server.hits()) - requests_first

    assert first["built"] and first["pages"] >= 3 * 6 and requests_first > 0
    assert not second["built"] and second["version"] == first["version"]  # loaded, not built
    assert Path(second["index_path"]).is_relative_to(second_home)
    assert Path(second["index_path"]).read_bytes() == Path(first["index_path"]).read_bytes()
    assert second["pages"] == first["pages"] and requests_second == 0  # every page from the shared cache
    assert not (first_home / "crawl-cache").exists() and not (second_home / "crawl-cache").exists()
