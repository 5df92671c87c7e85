"""Run the ``sites`` spider from Python, in its own process.

The Twisted reactor cannot be restarted inside one process, so every crawl is a fresh
``python -m scrapy crawl sites`` subprocess; its JSON lines output is read back into lists.

The crawl reads tenant input (websites and everything they serve), so its process gets little:
an allow-listed environment (CRAWL_ENV_ALLOWED: no API keys, no database credentials, no proxy
settings), its own process group, and a time budget (ICP_CRAWL_BUDGET_S): past it the group is
asked to stop (SIGTERM), then killed; the feed writes each record through to the file
(scrapers/feeds.py), so what finished is kept either way, and every site without an outcome by
then gets one marked as timed out.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent  # holds scrapy.cfg
STDERR_TAIL_CHARS = 4000
STOP_GRACE_S = 10.0  # after SIGTERM at the budget, before SIGKILL
# A crawler process costs a second or two to start: small crawls (one tenant's sites) get one.
SITES_PER_PROCESS = 100

# The crawler's environment: what Python and Scrapy need, and the crawler's own ICP_CRAWL_* settings.
CRAWL_ENV_ALLOWED = ("PATH", "HOME", "LANG", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "SCRAPY_SETTINGS_MODULE")
CRAWL_ENV_PREFIXES = ("LC_", "ICP_CRAWL_")


def crawl_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of ``environ`` (default os.environ) the crawl process may see."""
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in environ.items()
        if name in CRAWL_ENV_ALLOWED or name.startswith(CRAWL_ENV_PREFIXES)
    }


@dataclass(frozen=True)
class CrawlTarget:
    company_key: str
    url: str


@dataclass
class CrawlResult:
    """Records of one crawl, by kind (see scrapers.items)."""

    pages: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    over_budget: bool = False  # the crawl was ended at ICP_CRAWL_BUDGET_S

    @classmethod
    def read_jsonl(cls, path: Path) -> CrawlResult:
        """The records of a JSON lines file; a line cut short (a crawl ended mid-write) is skipped."""
        result = cls()
        by_kind = {"page": result.pages, "evidence": result.evidence, "outcome": result.outcomes}
        if not path.exists():
            return result
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.strip():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        logger.warning("Skipping a truncated record in %s", path)
                        continue
                    by_kind[record["kind"]].append(record)
        return result

    def of_companies(self, company_keys: set[str]) -> CrawlResult:
        """The records of the targets with these company keys (one tenant's share of a fleet crawl)."""
        return CrawlResult(
            pages=[p for p in self.pages if p["company_key"] in company_keys],
            evidence=[e for e in self.evidence if e["company_key"] in company_keys],
            outcomes=[o for o in self.outcomes if o["company_key"] in company_keys],
            over_budget=self.over_budget,
        )

    def add_unfinished_outcomes(self, targets: list[CrawlTarget]) -> None:
        """An outcome for every target the crawl ended without: what it fetched, marked timed out."""
        done = {o["company_key"] for o in self.outcomes}
        for target in targets:
            if target.company_key in done:
                continue
            pages = sum(1 for p in self.pages if p["company_key"] == target.company_key)
            self.outcomes.append(
                {
                    "kind": "outcome",
                    "company_key": target.company_key,
                    "site_url": target.url,
                    "pages_fetched": pages,
                    "robots_refused": 0,
                    "http_errors": 0,
                    "timeouts": 1,
                    "refused_by_policy": 0,
                    "reduced_evidence": True,
                    "issues": {"crawl_time_budget": 1},
                }
            )


class CrawlError(RuntimeError):
    """The crawler process failed; the message carries the end of its stderr."""


def _setting_arg(name: str, value: Any) -> list[str]:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return ["-s", f"{name}={text}"]


def run_crawl(
    targets: list[CrawlTarget],
    out_path: Path,
    *,
    host_map: dict[str, str] | None = None,
    page_cap: int | None = None,
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
    delay_s: float | None = None,
    budget_s: float | None = None,
    extra_settings: dict | None = None,
    extra_env: dict[str, str] | None = None,
) -> CrawlResult:
    """Crawl the targets' sites into ``out_path`` (JSON lines, overwritten) and return the
    records. Every argument left None keeps the value of scrapers/settings.py (environment
    overrides included): ``host_map`` routes host names to local servers ({"acme.sg":
    "127.0.0.1:8080"}), ``page_cap`` bounds the pages per site, ``timeout_s`` each download,
    ``delay_s`` is the pause between two requests to one site (0: politeness off), ``budget_s``
    the whole crawl's time (default ICP_CRAWL_BUDGET_S). ``extra_env`` adds to the crawl's
    allow-listed environment (tests: ICP_CRAWL_* variables)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    overrides = {
        "ICP_HOST_MAP": host_map,
        "ICP_PAGE_CAP": page_cap,
        "HTTPCACHE_DIR": str(Path(cache_dir).resolve()) if cache_dir is not None else None,
        "DOWNLOAD_TIMEOUT": timeout_s,
    }
    settings: dict[str, Any] = {name: value for name, value in overrides.items() if value is not None}
    settings.update(extra_settings or {})
    env = {**crawl_environment(), **(extra_env or {}), "SCRAPY_SETTINGS_MODULE": "scrapers.settings"}
    if delay_s is not None:  # read by scrapers.settings, which derives per-site concurrency from it
        env["ICP_CRAWL_DELAY"] = str(delay_s)
    if budget_s is None:
        from scrapers import settings as crawl_settings  # the one home of crawl defaults

        budget_s = crawl_settings.ICP_CRAWL_BUDGET_S

    with tempfile.TemporaryDirectory(prefix="icp-crawl-") as tmp:
        targets_file = Path(tmp) / "targets.json"
        targets_file.write_text(json.dumps([asdict(t) for t in targets]))
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "sites",
            "-a",
            f"targets={targets_file}",
            "-O",
            f"{out_path.resolve()}:jsonlines",
        ]
        for name, value in settings.items():
            command += _setting_arg(name, value)
        logger.info(
            "Crawling %d sites into %s; settings overridden: %s, delay %s",
            len(targets),
            out_path,
            sorted(settings) or "none",
            "default" if delay_s is None else f"{delay_s} s",
        )
        returncode, stderr, over_budget = _run_in_group(command, env, budget_s)

    if over_budget:
        logger.warning("Crawl ended at its %.0f s budget; keeping the records written so far", budget_s)
        result = CrawlResult.read_jsonl(out_path)
        result.over_budget = True
        result.add_unfinished_outcomes(targets)
        return result
    if returncode != 0 or not out_path.exists():
        tail = stderr[-STDERR_TAIL_CHARS:]
        raise CrawlError(f"scrapy crawl exited with {returncode}; stderr tail:\n{tail}")
    result = CrawlResult.read_jsonl(out_path)
    logger.info(
        "Crawl done: %d pages, %d evidence records, %d site outcomes (%d with reduced evidence)",
        len(result.pages),
        len(result.evidence),
        len(result.outcomes),
        sum(o["reduced_evidence"] for o in result.outcomes),
    )
    return result


def run_crawls(targets: list[CrawlTarget], out_path: Path, processes: int, **settings: Any) -> CrawlResult:
    """Crawl the targets in up to ``processes`` crawler processes at once (a fleet's sites keep
    more than one core busy), one per SITES_PER_PROCESS sites at least, each over its share of the
    sites; ``settings`` as for run_crawl. A site's host always goes to one process, so politeness
    per host holds. Records are merged; ``out_path`` names the first share's file, the others get
    a suffix."""
    processes = max(1, min(processes, -(-len(targets) // SITES_PER_PROCESS)))
    shares: list[list[CrawlTarget]] = [[] for _ in range(processes)]
    for target in targets:
        host = (urlsplit(target.url).hostname or "").removeprefix("www.")
        shares[zlib.crc32(host.encode()) % processes].append(target)
    shares = [share for share in shares if share] or [[]]
    if len(shares) == 1:
        return run_crawl(shares[0], out_path, **settings)
    out_path = Path(out_path)
    paths = [out_path.with_name(f"{out_path.stem}.{i}{out_path.suffix}") for i in range(len(shares))]
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        results = list(pool.map(lambda job: run_crawl(job[0], job[1], **settings), zip(shares, paths, strict=True)))
    merged = CrawlResult()
    for result in results:
        merged.pages += result.pages
        merged.evidence += result.evidence
        merged.outcomes += result.outcomes
        merged.over_budget = merged.over_budget or result.over_budget
    return merged


def _run_in_group(command: list[str], env: dict[str, str], budget_s: float) -> tuple[int, str, bool]:
    """Run the crawler in its own session and process group; past ``budget_s`` seconds SIGTERM
    the group, then SIGKILL it after STOP_GRACE_S (a download that never ends keeps Scrapy from stopping).
    Returns (exit code, stderr, whether the budget ended it)."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        over_budget = False
        try:
            process.wait(timeout=budget_s)
        except subprocess.TimeoutExpired:
            over_budget = True
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            _signal_group(process, signal.SIGKILL)  # whatever of the group is left
        except BaseException:  # interrupted: leave no crawler behind
            _signal_group(process, signal.SIGKILL)
            process.wait()
            raise
        stderr.seek(0)
        return process.returncode, stderr.read(), over_budget


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # start_new_session: the group id is the crawler's pid
    except (ProcessLookupError, PermissionError):
        pass
