"""The egress policy in real crawls: hostile sites that redirect or meta-refresh to a canary on
127.0.0.1 in every address form, start URLs in those forms, a name that resolves to 127.0.0.1,
a redirect chain that leaves the host map. The canary must see nothing, every refusal must show
in its site's outcome, and healthy sites crawled in the same run keep their evidence.

Also here: the crawl process's hardening (extensions, environment, time budgets), redirect hops
against the page cap, and the length caps of stored text."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list

from demo.egress_sites import (
    OUTSIDE_NAME,
    REDIRECT_STATUSES,
    Canary,
    canary_test_dns,
    canary_urls,
    egress_site_name,
    egress_sites,
)
from demo.fixture_sites import SIGNALS, company_sites
from demo.vhost import HTML, Reply, VirtualHostServer
from scrapers import runner
from scrapers.egress_middleware import EgressPolicyMiddleware, RefusedByPolicy
from scrapers.items import LABEL_MAX, SNIPPET_MAX, TITLE_MAX, EvidenceItem, PageItem
from scrapers.limits import LengthCapPipeline
from scrapers.middlewares import HostMapMiddleware
from scrapers.runner import CrawlResult, CrawlTarget, crawl_environment, run_crawl

PAGE_CAP = 8
HEALTHY = company_sites(2, pages=PAGE_CAP, seed=11)
MECHANISMS = [*(str(s) for s in REDIRECT_STATUSES), "meta"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CrawlResult, Canary, VirtualHostServer]]:
    work = tmp_path_factory.mktemp("egress")
    with Canary() as canary:
        sites = {**egress_sites(canary.port), **{s.domain: s.pages for s in HEALTHY}}
        with VirtualHostServer(sites) as server:
            host_map = {host: address for host, address in server.host_map().items() if OUTSIDE_NAME not in host}
            targets = [CrawlTarget(domain, f"https://{domain}/") for domain in sites if domain != OUTSIDE_NAME]
            targets += [CrawlTarget(f"start-{form}", url) for form, url in canary_urls(canary.port).items()]
            result = run_crawl(
                targets,
                work / "crawl.jsonl",
                host_map=host_map,
                page_cap=PAGE_CAP,
                cache_dir=work / "cache",
                timeout_s=3,
                delay_s=0,
                # The canary's port is allowed, so only the address form stands between a request
                # and the canary; the seam resolves the canary's name to 127.0.0.1.
                extra_settings={"ICP_TEST_DNS": canary_test_dns(), "ICP_ALLOWED_PORTS": [80, 443, canary.port]},
            )
            yield result, canary, server


def outcome(result: CrawlResult, key: str) -> dict:
    return next(o for o in result.outcomes if o["company_key"] == key)


def test_the_canary_sees_no_request_at_all(hostile: tuple[CrawlResult, Canary, VirtualHostServer]) -> None:
    result, canary, _ = hostile
    assert canary.hits == 0, canary.requests
    stored = str([result.pages, result.evidence])
    assert "canary-token" not in stored


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("form", list(canary_urls(1)))
def test_redirects_and_meta_refreshes_to_internal_addresses_are_refused(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer], form: str, mechanism: str
) -> None:
    result, _, _ = hostile
    done = outcome(result, egress_site_name(form, mechanism))
    assert done["refused_by_policy"] == 1, done
    assert done["pages_fetched"] == 0
    assert sum(n for issue, n in done["issues"].items() if issue.startswith("egress_")) == 1
    expected = {"localhost": "egress_local_name", "seam_name": "egress_address"}.get(form, "egress_ip_literal")
    assert expected in done["issues"], done["issues"]


@pytest.mark.parametrize("form", list(canary_urls(1)))
def test_start_urls_in_every_internal_form_are_refused(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer], form: str
) -> None:
    result, _, _ = hostile
    done = outcome(result, f"start-{form}")
    assert (done["refused_by_policy"], done["pages_fetched"], done["http_errors"]) == (1, 0, 0), done


def test_the_name_resolving_to_loopback_is_refused_at_connection_time(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer],
) -> None:
    """Its URL passes (a name, an allowed port): only the resolver's check of the address stops it."""
    result, _, _ = hostile
    assert outcome(result, "start-seam_name")["issues"] == {"egress_address": 1}


def test_robots_txt_and_sitemaps_that_redirect_inward_are_refused(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer],
) -> None:
    result, _, _ = hostile
    robots = outcome(result, "robots-to-canary.com.sg")
    assert robots["pages_fetched"] == 1  # robots.txt unreadable: the site is crawled as allowed
    sitemap = outcome(result, "sitemap-to-canary.com.sg")
    assert sitemap["pages_fetched"] == 1 and sitemap["refused_by_policy"] == 1
    assert sitemap["issues"] == {"egress_address": 1}


def test_a_redirect_chain_leaving_the_host_map_loses_the_proxy(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer],
) -> None:
    """mapped -> mapped -> unmapped: the last hop is resolved as itself (and refused), never sent
    through the first host's proxy, so the local server never sees it."""
    result, _, server = hostile
    chain = outcome(result, "chain-start.com.sg")
    assert chain["refused_by_policy"] == 1 and chain["issues"].get("egress_address") == 1
    assert [h.path for h in server.hits("chain-middle.com.sg") if h.path == "/next"] == ["/next"]
    assert server.hits(OUTSIDE_NAME) == []


@pytest.mark.parametrize("site", HEALTHY, ids=lambda s: s.domain)
def test_healthy_sites_in_the_same_crawl_keep_their_evidence(
    hostile: tuple[CrawlResult, Canary, VirtualHostServer], site: Any
) -> None:
    result, _, _ = hostile
    done = outcome(result, site.domain)
    assert (done["pages_fetched"], done["refused_by_policy"], done["http_errors"]) == (PAGE_CAP, 0, 0)
    for signal in SIGNALS:
        found = {
            e["value"]["label"]
            for e in result.evidence
            if e["company_key"] == site.domain and e["signal_key"] == signal
        }
        assert found == site.labels[signal], signal


# --- the host map, request by request -------------------------------------------------------------


def test_the_host_map_sets_and_clears_the_proxy_by_each_requests_own_host() -> None:
    host_map = HostMapMiddleware({"mapped.com.sg": "127.0.0.1:9999"})
    mapped = Request("http://mapped.com.sg/")
    host_map.process_request(mapped)
    assert mapped.meta["proxy"] == "http://127.0.0.1:9999"
    redirected = mapped.replace(url="http://elsewhere.com.sg/")  # what RedirectMiddleware builds: meta copied
    assert redirected.meta["proxy"] == "http://127.0.0.1:9999"
    host_map.process_request(redirected)
    assert "proxy" not in redirected.meta


def test_a_proxy_is_refused_on_any_host_the_map_does_not_give_it_to() -> None:
    policy = EgressPolicyMiddleware(frozenset({80, 443}), {"mapped.com.sg": "127.0.0.1:9999"})
    assert policy.process_request(Request("http://mapped.com.sg/", meta={"proxy": "http://127.0.0.1:9999"})) is None
    for url, proxy in [
        ("http://elsewhere.com.sg/", "http://127.0.0.1:9999"),  # a host the map does not name
        ("http://mapped.com.sg/", "http://127.0.0.1:8888"),  # another proxy for a mapped host
        ("http://elsewhere.com.sg/", "http://proxy.example.com:3128"),  # an environment proxy
    ]:
        with pytest.raises(RefusedByPolicy) as refused:
            policy.process_request(Request(url, meta={"proxy": proxy}))
        assert refused.value.reason == "proxy"


# --- redirect hops and the page cap ---------------------------------------------------------------


def _hopping_site(pages: int) -> dict:
    links = "".join(f'<a href="/about-{i}">About {i}</a>' for i in range(pages))
    site: dict = {"/": (HTML, f"<html><body>{links}</body></html>".encode())}
    for i in range(pages):
        site[f"/about-{i}"] = Reply(302, b"", headers=(("Location", f"/about-{i}-moved"),))
        site[f"/about-{i}-moved"] = (HTML, b"<html><body>About us</body></html>")
    return site


def test_redirect_hops_count_against_the_page_cap(tmp_path: Path) -> None:
    cap = 5
    with VirtualHostServer({"hopper.com.sg": _hopping_site(8)}) as server:
        result = run_crawl(
            [CrawlTarget("hopper", "https://hopper.com.sg/")],
            tmp_path / "crawl.jsonl",
            host_map=server.host_map(),
            page_cap=cap,
            cache_dir=tmp_path / "cache",
            delay_s=0,
        )
        served = [h.path for h in server.hits() if h.path not in ("/robots.txt", "/sitemap.xml")]
    assert len(served) <= cap, served
    done = outcome(result, "hopper")
    assert done["pages_fetched"] + done["issues"].get("redirect_over_page_cap", 0) >= 2


# --- time budgets ---------------------------------------------------------------------------------


def _slow_site(pages: int, delay_s: float) -> dict:
    links = "".join(f'<a href="/about-{i}">About {i}</a>' for i in range(pages))
    site: dict = {"/": (HTML, f"<html><body>{links}</body></html>".encode())}
    for i in range(pages):
        site[f"/about-{i}"] = Reply(200, b"<html><body>About us</body></html>", delay_s=delay_s)
    return site


def test_a_site_stops_being_crawled_at_its_time_budget(tmp_path: Path) -> None:
    fast = HEALTHY[0]
    with VirtualHostServer({"slowcoach.com.sg": _slow_site(10, 0.6), fast.domain: fast.pages}) as server:
        result = run_crawl(
            [CrawlTarget("slow", "https://slowcoach.com.sg/"), CrawlTarget("fast", f"https://{fast.domain}/")],
            tmp_path / "crawl.jsonl",
            host_map=server.host_map(),
            page_cap=PAGE_CAP,
            cache_dir=tmp_path / "cache",
            delay_s=0.3,
            extra_settings={"ICP_SITE_BUDGET_S": 1.5},
        )
    slow = outcome(result, "slow")
    assert slow["issues"].get("site_time_budget", 0) >= 1, slow
    assert slow["pages_fetched"] < PAGE_CAP


def test_the_whole_crawl_ends_at_its_budget_and_keeps_what_finished(tmp_path: Path) -> None:
    # Long enough for the fast site's few pages even on a loaded machine; the stuck one never ends.
    BUDGET_S = 10  # noqa: N806
    fast = HEALTHY[0]
    sites = {"stuck.com.sg": {"/": Reply(200, b"<html></html>", delay_s=60)}, fast.domain: fast.pages}
    with VirtualHostServer(sites) as server:
        started = time.monotonic()
        result = run_crawl(
            [CrawlTarget("stuck", "https://stuck.com.sg/"), CrawlTarget("fast", f"https://{fast.domain}/")],
            tmp_path / "crawl.jsonl",
            host_map=server.host_map(),
            page_cap=PAGE_CAP,
            cache_dir=tmp_path / "cache",
            timeout_s=120,
            delay_s=0,
            budget_s=BUDGET_S,
        )
        took = time.monotonic() - started
    assert result.over_budget and took < BUDGET_S + runner.STOP_GRACE_S + 5
    stuck = outcome(result, "stuck")
    assert stuck["issues"] == {"crawl_time_budget": 1} and stuck["timeouts"] == 1 and stuck["pages_fetched"] == 0
    assert sum(1 for p in result.pages if p["company_key"] == "fast") == PAGE_CAP  # what finished is kept


# --- the crawl process ----------------------------------------------------------------------------


def test_no_telnet_console_and_no_remote_control_in_the_crawl() -> None:
    import scrapy.extensions.remote_control  # noqa: F401  (2.19 has it: the setting below must matter)

    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    enabled = build_component_list(settings.getwithbase("EXTENSIONS"))
    assert "scrapy.extensions.remote_control.RemoteControl" not in enabled
    assert "scrapy.extensions.telnet.TelnetConsole" not in enabled
    assert not settings.getbool("TELNETCONSOLE_ENABLED") and not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert settings.get("TWISTED_DNS_RESOLVER") == "scrapers.resolver.EgressResolver"


def test_the_crawl_process_gets_an_allow_listed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-secret",
        "OPENAI_BASE_URL": "http://127.0.0.1:1/",
        "ICP_DATABASE_URL": "postgresql://u:p@127.0.0.1/icp",
        "ICP_PG_PASSWORD": "p",
        "ICP_DAGSTER_DATABASE_URL": "postgresql://u:p@127.0.0.1/d",
        "PGPASSWORD": "p",
        "AWS_SECRET_ACCESS_KEY": "x",
        "HTTP_PROXY": "http://proxy.example.com:3128",
        "https_proxy": "http://proxy.example.com:3128",
    }
    kept = {"PATH": "/usr/bin", "HOME": "/home/x", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ICP_CRAWL_DELAY": "0"}
    assert crawl_environment({**secrets, **kept}) == kept

    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, str] = {}

    class _Done(Exception):
        pass

    def fake_popen(command: list[str], **kwargs: Any) -> subprocess.Popen:
        seen.update(kwargs["env"])
        assert kwargs["start_new_session"] is True
        raise _Done

    monkeypatch.setattr(runner.subprocess, "Popen", fake_popen)
    with pytest.raises(_Done):
        run_crawl([CrawlTarget("x", "https://example.com/")], tmp_path / "out.jsonl")
    assert not set(secrets) & set(seen)
    assert seen["SCRAPY_SETTINGS_MODULE"] == "scrapers.settings"


def test_stored_titles_and_snippets_are_capped_after_the_scrub() -> None:
    caps = LengthCapPipeline()
    page = PageItem(
        company_key="c", url="https://x/", page_type="home", http_status=200, title="T" * 10_000, content_hash="h"
    )
    assert len(caps.process_item(page).title) == TITLE_MAX
    evidence = EvidenceItem(
        company_key="c",
        signal_key="integration",
        value={"label": "L" * 5_000},
        url="https://x/",
        page_type="home",
        confidence=0.5,
        snippet="S" * 5_000,
    )
    capped = caps.process_item(evidence)
    assert len(capped.snippet) == SNIPPET_MAX and len(capped.value["label"]) == LABEL_MAX
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    order = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    assert order.index("scrapers.limits.LengthCapPipeline") > order.index("scrapers.pipelines.PiiScrubPipeline")


def test_a_crawled_pages_long_title_is_stored_capped(tmp_path: Path) -> None:
    title = "Welcome " * 200
    page = (HTML, f"<html><head><title>{title}</title></head><body>Hi</body></html>".encode())
    with VirtualHostServer({"longtitle.com.sg": {"/": page}}) as server:
        result = run_crawl(
            [CrawlTarget("long", "https://longtitle.com.sg/")],
            tmp_path / "crawl.jsonl",
            host_map=server.host_map(),
            cache_dir=tmp_path / "cache",
            delay_s=0,
        )
    assert [len(p["title"]) for p in result.pages] == [TITLE_MAX]
