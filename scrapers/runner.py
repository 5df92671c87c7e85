"""Run the ``sites`` spider from Python, in its own process.

The Twisted reactor cannot be restarted inside one process, so every crawl is a fresh
``python -m scrapy crawl sites`` subprocess; its JSON lines output is read back into lists.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent  # holds scrapy.cfg
STDERR_TAIL_CHARS = 4000


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

    @classmethod
    def read_jsonl(cls, path: Path) -> CrawlResult:
        result = cls()
        by_kind = {"page": result.pages, "evidence": result.evidence, "outcome": result.outcomes}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    record = json.loads(line)
                    by_kind[record["kind"]].append(record)
        return result


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
    extra_settings: dict | None = None,
) -> CrawlResult:
    """Crawl the targets' sites into ``out_path`` (JSON lines, overwritten) and return the
    records. Every argument left None keeps the value of scrapers/settings.py (environment
    overrides included): ``host_map`` routes host names to local servers ({"acme.sg":
    "127.0.0.1:8080"}), ``page_cap`` bounds the pages per site, ``timeout_s`` each download,
    ``delay_s`` is the pause between two requests to one site (0: politeness off)."""
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
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "scrapers.settings"}
    if delay_s is not None:  # read by scrapers.settings, which derives per-site concurrency from it
        env["ICP_CRAWL_DELAY"] = str(delay_s)

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
        completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)

    if completed.returncode != 0 or not out_path.exists():
        tail = completed.stderr[-STDERR_TAIL_CHARS:]
        raise CrawlError(f"scrapy crawl exited with {completed.returncode}; stderr tail:\n{tail}")
    result = CrawlResult.read_jsonl(out_path)
    logger.info(
        "Crawl done: %d pages, %d evidence records, %d site outcomes (%d with reduced evidence)",
        len(result.pages),
        len(result.evidence),
        len(result.outcomes),
        sum(o["reduced_evidence"] for o in result.outcomes),
    )
    return result
