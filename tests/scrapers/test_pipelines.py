"""Item pipelines in the order scrapers/settings.py runs them: scrub, then de-duplicate."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from scrapers import settings
from scrapers.items import EvidenceItem, OutcomeItem, PageItem
from scrapers.pipelines import EvidenceDedupePipeline

FACT = EvidenceItem(
    company_key="acme",
    signal_key="industry_served",
    value={"label": "food distribution"},
    url="https://acme.sg/industries",
    page_type="industries",
    confidence=0.7,
    snippet="We serve food distribution",
)


def run(items: list) -> list:
    """The configured pipelines over the items, as Scrapy would run them; dropped items left out."""
    pipelines = [load_object(path)() for path in sorted(settings.ITEM_PIPELINES, key=settings.ITEM_PIPELINES.get)]
    out = []
    for item in items:
        try:
            for pipeline in pipelines:
                item = pipeline.process_item(item)
        except DropItem:
            continue
        out.append(item)
    return out


def test_one_record_per_company_signal_label_and_url() -> None:
    items = [
        FACT,
        replace(FACT, confidence=0.5, snippet="serving food distribution"),  # the same fact again
        replace(FACT, value={"label": "Food Distribution"}),  # letter case does not make a new fact
        replace(FACT, url="https://acme.sg/about"),
        replace(FACT, company_key="other"),
        replace(FACT, signal_key="customer"),
        replace(FACT, value={"label": "cold chain"}),
    ]
    kept = run(items)
    assert kept == [FACT, *items[3:]]  # the first, most confident record of each fact, in order


def test_labels_equal_once_scrubbed_are_one_fact() -> None:
    first = replace(FACT, value={"label": "food distribution (jane@acme.sg)"})
    second = replace(FACT, value={"label": "food distribution (mei@acme.sg)"})
    kept = run([first, second])
    assert [item.value for item in kept] == [{"label": "food distribution ()"}]


def test_pages_and_outcomes_pass_untouched() -> None:
    page = PageItem("acme", "https://acme.sg/", "home", 200, "Acme", "0" * 64)
    outcome = OutcomeItem("acme", "https://acme.sg/")
    assert run([page, page, outcome, outcome]) == [page, page, outcome, outcome]


def test_a_later_more_confident_sighting_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = EvidenceDedupePipeline()
    pipeline.process_item(replace(FACT, confidence=0.5))
    with caplog.at_level(logging.WARNING, logger="scrapers.pipelines"), pytest.raises(DropItem):
        pipeline.process_item(FACT)
    assert "higher confidence 0.7" in caplog.text
