-- Product tables live in schema `icp`, the public registry in schema `registry`.
-- dbt builds its views and tables in `staging`, `intermediate` and `marts`.
create schema if not exists icp;
create schema if not exists registry;

create table icp.tenants (
    tenant_id   text primary key check (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz not null default now()
);

-- One row per intake submission; answers keeps the validated payload as submitted.
create table icp.icp_intake_responses (
    response_id     bigserial primary key,
    tenant_id       text not null references icp.tenants,
    submitted_by    text,
    website         text not null,
    website_domain  text not null,
    answers         jsonb not null,
    submitted_at    timestamptz not null default now()
);
create index icp_intake_responses_tenant_idx on icp.icp_intake_responses (tenant_id, response_id desc);

-- Companies are the world's companies, keyed by normalised domain and shared by tenants.
create table icp.companies (
    company_id  bigserial primary key,
    domain      text unique,
    name        text not null,
    website     text,
    created_at  timestamptz not null default now()
);

-- Seeds named in an intake: kind best = best customer, lost = lost or churned.
create table icp.customer_seeds (
    seed_id      bigserial primary key,
    response_id  bigint not null references icp.icp_intake_responses on delete cascade,
    tenant_id    text not null references icp.tenants,
    kind         text not null check (kind in ('best', 'lost')),
    name         text not null,
    website      text,
    domain       text,
    reason       text,
    company_id   bigint references icp.companies,
    unique (response_id, kind, name)
);
create index customer_seeds_tenant_idx on icp.customer_seeds (tenant_id, response_id);
create index customer_seeds_company_idx on icp.customer_seeds (company_id);

-- Registry match of one seed (latest attempt).
create table icp.seed_matches (
    seed_id      bigint primary key references icp.customer_seeds on delete cascade,
    tenant_id    text not null references icp.tenants,
    uen          text,
    entity_name  text,
    score        real check (score between 0 and 1),
    method       text check (method in ('domain', 'exact', 'fuzzy', 'former_name')),
    status       text not null check (status in ('matched', 'ambiguous', 'unmatched')),
    candidates   jsonb not null default '[]'::jsonb,
    matched_at   timestamptz not null default now()
);
create index seed_matches_tenant_idx on icp.seed_matches (tenant_id);
create index seed_matches_uen_idx on icp.seed_matches (uen);

-- Pages fetched by the crawler; public web content, shared by tenants, one row per URL.
create table icp.crawl_pages (
    page_id       bigserial primary key,
    company_id    bigint not null references icp.companies,
    url           text not null unique,
    page_type     text not null,
    http_status   integer,
    title         text,
    content_hash  text,
    fetched_at    timestamptz not null default now()
);
create index crawl_pages_company_idx on icp.crawl_pages (company_id);

-- Per-site crawl outcome for one tenant run.
create table icp.crawl_outcomes (
    tenant_id          text not null references icp.tenants,
    company_id         bigint not null references icp.companies,
    site_url           text not null,
    pages_fetched      integer not null default 0,
    robots_refused     integer not null default 0,
    http_errors        integer not null default 0,
    timeouts           integer not null default 0,
    reduced_evidence   boolean not null default false,
    crawled_at         timestamptz not null default now(),
    primary key (tenant_id, company_id)
);

-- Evidence: one observed (or declared) fact about a company, for one tenant.
create table icp.icp_evidence (
    evidence_id  bigserial primary key,
    tenant_id    text not null references icp.tenants,
    company_id   bigint not null references icp.companies,
    signal_key   text not null,
    value        jsonb not null,
    source       text not null check (source in ('registry', 'crawl', 'intake', 'llm')),
    url          text,
    page_type    text,
    snippet      text check (length(snippet) <= 200),
    confidence   real not null check (confidence between 0 and 1),
    observed_at  timestamptz not null default now()
);
create index icp_evidence_tenant_idx on icp.icp_evidence (tenant_id, source);
create index icp_evidence_company_idx on icp.icp_evidence (company_id, signal_key);

-- Published suggestion cards, one set per intake response, kept for comparison history.
create table icp.icp_suggestions (
    tenant_id       text not null references icp.tenants,
    response_id     bigint not null references icp.icp_intake_responses on delete cascade,
    suggestion_id   text not null,
    rank            integer not null,
    title           text not null,
    card            jsonb not null,
    evidence_count  integer not null,
    published_at    timestamptz not null default now(),
    primary key (tenant_id, response_id, suggestion_id)
);

-- A card accepted as targeting rule.
create table icp.icp_rules (
    rule_id        bigserial primary key,
    tenant_id      text not null references icp.tenants,
    response_id    bigint not null,
    suggestion_id  text not null,
    rule           jsonb not null,
    accepted_by    text,
    accepted_at    timestamptz not null default now(),
    unique (tenant_id, response_id, suggestion_id)
);

create table icp.audit_log (
    audit_id   bigserial primary key,
    tenant_id  text,
    actor      text,
    action     text not null,
    details    jsonb not null default '{}'::jsonb,
    at         timestamptz not null default now()
);
create index audit_log_tenant_idx on icp.audit_log (tenant_id, at);

-- ACRA "Information on Corporate Entities" (data.gov.sg column names). Codes are text.
create table registry.acra_entities (
    uen                                 text primary key,
    issuance_agency_id                  text,
    entity_name                         text not null,
    entity_type_description             text,
    business_constitution_description   text,
    company_type_description            text,
    paf_constitution_description        text,
    entity_status_description           text,
    registration_incorporation_date     date,
    uen_issue_date                      date,
    address_type                        text,
    block                               text,
    street_name                         text,
    level_no                            text,
    unit_no                             text,
    building_name                       text,
    postal_code                         text check (postal_code ~ '^[0-9]{6}$'),
    other_address_line1                 text,
    other_address_line2                 text,
    account_due_date                    date,
    annual_return_date                  date,
    primary_ssic_code                   text check (primary_ssic_code ~ '^[0-9]{5}$'),
    primary_ssic_description            text,
    primary_user_described_activity     text,
    secondary_ssic_code                 text check (secondary_ssic_code ~ '^[0-9]{5}$'),
    secondary_ssic_description          text,
    secondary_user_described_activity   text,
    no_of_officers                      integer,
    former_entity_name1  text, former_entity_name2  text, former_entity_name3  text,
    former_entity_name4  text, former_entity_name5  text, former_entity_name6  text,
    former_entity_name7  text, former_entity_name8  text, former_entity_name9  text,
    former_entity_name10 text, former_entity_name11 text, former_entity_name12 text,
    former_entity_name13 text, former_entity_name14 text, former_entity_name15 text,
    loaded_at                           timestamptz not null default now()
);
create index acra_entities_ssic_idx on registry.acra_entities (primary_ssic_code);
create index acra_entities_status_idx on registry.acra_entities (entity_status_description);

-- SingStat SSIC 2020: sections (A-U), divisions (2), groups (3), classes (4), subclasses (5).
create table registry.ssic_codes (
    code         text primary key check (code ~ '^([A-U]|[0-9]{2,5})$'),
    level        text not null check (level in ('section', 'division', 'group', 'class', 'subclass')),
    title        text not null,
    parent_code  text,
    section      text
);

-- SSIC 2020 alphabetical index: activity phrase -> 5-digit code.
create table registry.ssic_index (
    phrase  text not null,
    code    text not null check (code ~ '^[0-9]{5}$'),
    primary key (phrase, code)
);
