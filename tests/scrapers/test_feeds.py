"""The crawl's feed: a record is in the file as soon as it is exported, before the crawl ends."""

from pathlib import Path

from scrapy.exporters import JsonLinesItemExporter
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from scrapers.feeds import UnbufferedFileFeedStorage


def test_exported_records_reach_the_file_before_it_is_closed(tmp_path: Path) -> None:
    out = tmp_path / "feeds" / "crawl.jsonl"
    storage = UnbufferedFileFeedStorage(str(out), feed_options={"overwrite": True})
    file = storage.open(spider=None)
    exporter = JsonLinesItemExporter(file, encoding="utf-8")
    exporter.export_item({"kind": "page", "url": "https://acme.com.sg/"})
    # Read through another handle while the feed is still open: what a killed crawl leaves behind.
    assert out.read_text(encoding="utf-8") == '{"kind": "page", "url": "https://acme.com.sg/"}\n'
    storage.store(file)


def test_the_crawl_writes_its_feed_through_that_storage() -> None:
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    storages = settings.getwithbase("FEED_STORAGES")
    for scheme in ("", "file"):  # `-O path` and `-O file://path`
        assert load_object(storages[scheme]) is UnbufferedFileFeedStorage
