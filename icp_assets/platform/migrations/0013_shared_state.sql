-- State every run worker reaches: the match index and the crawl cache live here, not on the local
-- disk of the process that made them, so runs with different ICP_HOME folders (other machines,
-- Docker or Kubernetes run workers) reuse each other's index and fetched pages.
--
-- Neither table is for analysts. The registry schema's default privileges grant analysts select
-- on its new tables, so that grant is revoked here; icp.crawl_cache has no tenant_id and no grant.

-- The saved match index of a registry version (icp_assets/domain/matching/index_store.py): the npz
-- file in parts of a few MiB, so it is written and read a part at a time, never whole in memory.
-- A version is stored in one transaction (all parts or none) by the one process holding the
-- build's advisory lock; storing a version deletes the others.
create table registry.match_index (
    version     text not null,
    part        integer not null check (part >= 0),
    bytes       bytea not null,
    stored_at   timestamptz not null default now(),
    primary key (version, part)
);
-- The npz arrays barely compress; storing them as they are saves the server the attempt.
alter table registry.match_index alter column bytes set storage external;
revoke all on registry.match_index from icp_analyst;

-- The crawl's HTTP cache, shared by every crawl of every tenant (icp_assets/domain/crawl_cache.py):
-- one row per cached response, as the crawl process stored it (scrapers/cache.py: scrubbed of
-- personal data, text bodies only), zlib-compressed. A crawl gets the still-fresh rows of its
-- sites' hosts as files and sends back what it fetched; rows older than the re-crawl period
-- (ICP_RECRAWL_DAYS) are deleted.
create table icp.crawl_cache (
    fingerprint text primary key check (fingerprint ~ '^[0-9a-f]{40}$'),  -- Scrapy's request fingerprint
    host        text not null,  -- scrapers.hosts.normalise_host of the URL
    url         text not null,
    stored_at   timestamptz not null,  -- when the crawl stored the response (its file's mtime)
    record      bytea not null
);
create index crawl_cache_host_idx on icp.crawl_cache (host);
create index crawl_cache_stored_at_idx on icp.crawl_cache (stored_at);
alter table icp.crawl_cache alter column record set storage external;  -- already compressed
