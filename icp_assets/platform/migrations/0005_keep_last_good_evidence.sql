-- Keep the last good evidence: a failed crawl or LLM call never removes what an earlier success found.
--
-- icp.crawl_outcomes keeps one row per (tenant, company): the counts describe the latest attempt,
-- `reduced_evidence` the evidence the tenant holds for the site (on a failed attempt it stays what
-- the last success left), `last_success_at` the last crawl that fetched a page, and `stale` whether
-- the evidence kept is from an earlier crawl than the latest attempt. `issues` lists what went
-- wrong in the latest attempt (e.g. {"http_503": 4}).
alter table icp.crawl_outcomes
    add column last_success_at timestamptz,
    add column stale boolean not null default false,
    add column issues jsonb not null default '{}'::jsonb;
update icp.crawl_outcomes set last_success_at = crawled_at where pages_fetched > 0;

-- Crawled pages are shared by URL; a page any tenant's evidence cites is never deleted.
create index icp_evidence_url_idx on icp.icp_evidence (url) where url is not null;

-- The LLM's answer per (tenant, company): when its last valid answer was stored, and whether the
-- latest attempt failed (`failure`: http_500, http_429, timeout, connection_error, invalid_json,
-- schema_error, ...) so the evidence kept is that earlier answer (`stale`).
-- Has a tenant_id, so `migrate` puts row-level security on it (icp.isolate_tenant_tables()).
create table icp.llm_outcomes (
    tenant_id        text not null references icp.tenants,
    company_id       bigint not null references icp.companies,
    attempted_at     timestamptz not null default now(),
    last_success_at  timestamptz,
    stale            boolean not null default false,
    failure          text,
    primary key (tenant_id, company_id)
);
