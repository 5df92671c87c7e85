-- Account scoring (`icp score`, the account_scores asset): the accounts a tenant asked to have
-- graded, what was learned about each (its ACRA match, the crawl evidence of its site) and its grade.
--
-- One row per (tenant, account). An account is keyed by its website's domain, or by its name
-- ('name:' || lower(name)) when it has no website the crawler may fetch; a file listing it again
-- updates the row and keeps its crawl.
--
-- The crawl evidence lives here, not in icp.icp_evidence: a tenant run's crawl replaces the tenant's
-- crawl evidence of every company it does not crawl, and the cards are mined from icp.icp_evidence,
-- so an account's site must not become a fact about the tenant's customers. It keeps the last good
-- crawl, as icp.crawl_outcomes does: `evidence` is the last successful crawl's (a crawl that fetched a
-- page replaces it, a failed one keeps it and sets `stale`), `crawl_outcome` the latest attempt.
--
-- crawl_status: pending (queued: crawled by `icp score` within ICP_RUN_NOW_LIMIT or by the tenant's
-- next run), crawled, failed (the latest attempt fetched no page), not_crawlable (no website the
-- egress policy allows; `website_problem` says why). The grade columns are what grading last wrote:
-- matched / missed hold {attribute, value, source} (source: a crawled URL or an ACRA field,
-- acra:<UEN>/<column>), unknown holds {attribute, reason}.
-- Has a tenant_id, so `migrate` puts row-level security on it (icp.isolate_tenant_tables()).
create table icp.account_scores (
    account_id          bigserial primary key,
    tenant_id           text not null references icp.tenants,
    account_key         text not null check (account_key <> ''),
    name                text not null check (length(name) between 1 and 200),
    website             text check (length(website) <= 2048),
    domain              text,
    website_problem     text,
    uen                 text,
    entity_name         text,
    match_status        text not null check (match_status in ('matched', 'ambiguous', 'unmatched')),
    match_method        text,
    match_score         real check (match_score between 0 and 1),
    crawl_status        text not null check (crawl_status in ('pending', 'crawled', 'failed', 'not_crawlable')),
    crawl_outcome       jsonb not null default '{}'::jsonb,
    crawl_attempted_at  timestamptz,
    last_success_at     timestamptz,
    stale               boolean not null default false,
    evidence            jsonb not null default '[]'::jsonb,
    grade               text check (grade in ('A', 'B', 'C', 'D', 'unknown')),
    best_rule           text,
    graded_against      text check (graded_against in ('rules', 'cards')),
    matched             jsonb not null default '[]'::jsonb,
    missed              jsonb not null default '[]'::jsonb,
    unknown             jsonb not null default '[]'::jsonb,
    evidence_urls       text[] not null default '{}',
    submitted_at        timestamptz not null default now(),
    graded_at           timestamptz,
    unique (tenant_id, account_key),
    check ((crawl_status = 'not_crawlable') = (domain is null))
);
-- The accounts a run crawls next: pending first, then the longest since their last attempt.
create index account_scores_due_idx on icp.account_scores (tenant_id, crawl_status, crawl_attempted_at);
