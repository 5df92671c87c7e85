"""Crawl benchmark: generated company websites served on 127.0.0.1, crawled by the real Scrapy
process, scored against the labels the generator planted.

Figures: pages/s with extraction and politeness off; wall time at one request per second per
domain against the ideal (the slowest domain's pages x the delay); precision and recall on
integrations, titles, industries and headcount. Baseline in the same run: the plan's crawler,
sequential requests + BeautifulSoup over 6 pages per domain with a 0.2 s pause and a naive
extraction. Size: ICP_BENCH_CRAWL_DOMAINS (20), ICP_BENCH_CRAWL_PAGES (30), ICP_BENCH_CRAWL_DELAY
(1.0 s; 0 skips the polite run).

The egress policy's cost, in the same run: the politeness-off crawl again with the policy taken
out in this benchmark only (no egress middleware, Scrapy's own resolver and download handler),
reported as ``baseline:no_egress_policy``; the product has no switch for it. Both variants run
ICP_BENCH_CRAWL_RUNS (2) times, interleaved, and the best run of each is reported.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import requests
from bs4 import BeautifulSoup

from bench.report import baseline, figure, note
from demo.fixture_sites import INTEGRATIONS, SIGNALS, FixtureSite, company_sites
from demo.vhost import VirtualHostServer
from scrapers import settings as crawl_settings
from scrapers.runner import CrawlTarget, run_crawl

BENCH = "crawl"
DOMAINS = int(os.environ.get("ICP_BENCH_CRAWL_DOMAINS", "20"))
PAGES = int(os.environ.get("ICP_BENCH_CRAWL_PAGES", "30"))
POLITE_DELAY_S = float(os.environ.get("ICP_BENCH_CRAWL_DELAY", "1.0"))
BASELINE_PAGES, BASELINE_PAUSE_S = 6, 0.2
RUNS_PER_VARIANT = int(os.environ.get("ICP_BENCH_CRAWL_RUNS", "2"))

Found = dict[str, dict[str, set[str]]]  # domain -> signal -> labels


def score(sites: list[FixtureSite], found: Found) -> dict[str, tuple[float, float]]:
    """Precision and recall per signal and over all signals ("all"), counted over (domain, label)."""
    counts = {signal: [0, 0, 0] for signal in (*SIGNALS, "all")}  # true pos, false pos, false neg
    for site in sites:
        for signal in SIGNALS:
            got, planted = found.get(site.domain, {}).get(signal, set()), site.labels[signal]
            for key in (signal, "all"):
                counts[key][0] += len(got & planted)
                counts[key][1] += len(got - planted)
                counts[key][2] += len(planted - got)
    return {
        key: (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
        for key, (tp, fp, fn) in counts.items()
    }


def report_scores(scores: dict[str, tuple[float, float]], subject: str | None = None) -> None:
    for key, (precision, recall) in scores.items():
        for metric, value in (("precision", precision), ("recall", recall)):
            name = f"{metric}_{key}"
            if subject:
                baseline(BENCH, subject, name, value)
            else:
                figure(BENCH, name, value)


# What the baseline removes from the crawl's own settings: the egress middleware, the egress
# resolver and the gated download handler (Scrapy's defaults instead).
WITHOUT_EGRESS_POLICY = {
    "DOWNLOADER_MIDDLEWARES": {
        **crawl_settings.DOWNLOADER_MIDDLEWARES,
        "scrapers.egress_middleware.EgressPolicyMiddleware": None,
    },
    "TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingThreadedResolver",
    "DOWNLOAD_HANDLERS": {k: v for k, v in crawl_settings.DOWNLOAD_HANDLERS.items() if k not in ("http", "https")},
}


def crawl_with_scrapy(
    sites: list[FixtureSite],
    server: VirtualHostServer,
    work: Path,
    delay_s: float,
    extra_settings: dict | None = None,
    label: str = "",
) -> tuple[float, float, list[dict], Found]:
    """Wall time of the whole crawler process, the span between its first and last request as
    the server saw them (process startup excluded), pages and evidence labels."""
    targets = [CrawlTarget(site.domain, f"https://{site.domain}/") for site in sites]
    served_before = len(server.hits())
    started = time.perf_counter()
    result = run_crawl(
        targets,
        work / f"crawl-{delay_s}{label}.jsonl",
        host_map=server.host_map(),
        page_cap=PAGES,
        cache_dir=work / f"cache-{delay_s}{label}",
        delay_s=delay_s,
        extra_settings=extra_settings,
    )
    wall = time.perf_counter() - started
    hits = server.hits()[served_before:]
    span = hits[-1].at - hits[0].at
    found: Found = {}
    for item in result.evidence:
        found.setdefault(item["company_key"], {}).setdefault(item["signal_key"], set()).add(item["value"]["label"])
    return wall, span, result.pages, found


# --- the baseline: the plan's crawler --------------------------------------------------------

_NAIVE_HEADCOUNT = re.compile(r"(?:team of (\d[\d,]*)|(\d[\d,]*)\+? (?:employees|staff))", re.I)


def naive_extract(url: str, soup: BeautifulSoup) -> dict[str, set[str]]:
    """Keyword and list-item extraction, as a quick script would do it."""
    text = soup.get_text(" ", strip=True)
    lower = text.lower()
    found: dict[str, set[str]] = {signal: set() for signal in SIGNALS}
    found["integration"] = {name for name in INTEGRATIONS if name.lower() in lower}
    items = [li.get_text(" ", strip=True) for li in soup.select("main li")]
    if "career" in url or "job" in url:
        found["buyer_title"] = {item.split(" - ")[0] for item in items}
    if "industr" in url or "solution" in url:
        found["industry_served"] = {item.lower() for item in items}
    found["headcount"] = {(m[1] or m[2]).replace(",", "") for m in _NAIVE_HEADCOUNT.finditer(text)}
    return found


def naive_crawl(sites: Iterable[FixtureSite], proxy: str) -> tuple[float, int, Found]:
    session = requests.Session()
    session.proxies = {"http": proxy}
    found: Found = {}
    fetched = 0
    started = time.perf_counter()
    for site in sites:
        home = f"http://{site.domain}/"
        queue, seen = [home], {home}
        labels = found.setdefault(site.domain, {signal: set() for signal in SIGNALS})
        while queue and len(seen) - len(queue) < BASELINE_PAGES:
            url = queue.pop(0)
            response = session.get(url, timeout=10)
            fetched += 1
            soup = BeautifulSoup(response.text, "html.parser")
            for signal, values in naive_extract(url, soup).items():
                labels[signal] |= values
            for link in soup.select("a[href]"):
                href = requests.compat.urljoin(url, link["href"]).split("#")[0]
                if href.startswith(home) and href not in seen:
                    seen.add(href)
                    queue.append(href)
            time.sleep(BASELINE_PAUSE_S)
    return time.perf_counter() - started, fetched, found


def main() -> None:
    sites = company_sites(DOMAINS, PAGES, seed=2025)
    note(BENCH, f"{DOMAINS} domains x {PAGES} pages on 127.0.0.1; scrapy in its own process, startup included")
    with VirtualHostServer({site.domain: site.pages for site in sites}) as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # With and without the egress policy, interleaved and each run RUNS_PER_VARIANT times (fresh
        # cache each time), so machine noise and run order weigh alike on both; the best run counts.
        runs: dict[str, list[tuple[float, float, list[dict], Found]]] = {"ours": [], "no_egress_policy": []}
        for attempt in range(RUNS_PER_VARIANT):
            runs["ours"].append(crawl_with_scrapy(sites, server, work, delay_s=0, label=f"-{attempt}"))
            runs["no_egress_policy"].append(
                crawl_with_scrapy(
                    sites, server, work, delay_s=0, extra_settings=WITHOUT_EGRESS_POLICY, label=f"-no-egress-{attempt}"
                )
            )
        for name, variant in runs.items():
            subject = "ours" if name == "ours" else f"baseline:{name}"
            pages = variant[0][2]
            figure(BENCH, "pages_fetched", len(pages), subject=subject)
            best_wall, best_span = min(r[0] for r in variant), min(r[1] for r in variant)
            figure(BENCH, "pages_per_s_politeness_off", len(pages) / best_wall, "pages/s", subject=subject)
            figure(
                BENCH,
                "pages_per_s_politeness_off_excluding_startup",
                len(pages) / best_span,
                "pages/s",
                subject=subject,
            )
            report_scores(score(sites, variant[0][3]), None if name == "ours" else name)

        if POLITE_DELAY_S > 0:
            wall, _, pages, _ = crawl_with_scrapy(sites, server, work, delay_s=POLITE_DELAY_S)
            per_domain: dict[str, int] = {}
            for page in pages:
                per_domain[page["company_key"]] = per_domain.get(page["company_key"], 0) + 1
            ideal = max(per_domain.values()) * POLITE_DELAY_S
            figure(BENCH, "polite_wall_s", wall, "s")
            figure(BENCH, "polite_ideal_s", ideal, "s")
            figure(BENCH, "polite_wall_over_ideal", wall / ideal, "x")

        wall, fetched, found = naive_crawl(sites, f"http://127.0.0.1:{server.port}")
        name = "requests_bs4_sequential"
        baseline(BENCH, name, "pages_fetched", fetched)
        baseline(BENCH, name, "pages_per_s", fetched / wall, "pages/s")
        report_scores(score(sites, found), name)


if __name__ == "__main__":
    main()
