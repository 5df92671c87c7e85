-- What each tenant's dbt models were last built from, so a fleet refresh builds only the tenants
-- whose inputs changed (icp_assets/domain/builds.py).
--
-- One row per (tenant, model set): models 'tenant' (the tag:tenant models, read by the cards) or
-- 'scoring' (the tag:scoring models over icp.account_scores). inputs_digest names the inputs of the
-- last successful build; published_at is when the cards were last published from a 'tenant' build
-- (a fleet run publishes the cards of the tenants it built since).
-- Has a tenant_id, so `migrate` puts row-level security on it (icp.isolate_tenant_tables()).
create table icp.tenant_builds (
    tenant_id      text not null references icp.tenants,
    models         text not null check (models in ('tenant', 'scoring')),
    inputs_digest  text not null,
    built_at       timestamptz not null default now(),
    published_at   timestamptz,
    primary key (tenant_id, models)
);
