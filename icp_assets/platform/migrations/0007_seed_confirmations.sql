-- Seed confirmations: a person's answer to "which ACRA entity is this seed?", which the matcher then
-- never overrides (`icp seeds confirm`).
--
-- A confirmation belongs to the tenant, not to one intake: it is keyed by the seed's normalised name
-- (`seed_key`, unique per tenant, so re-confirming updates it) and also applies to any later seed of
-- the tenant with the same website `domain`; of several that apply to a seed, the latest wins.
-- `uen` null means "not in the registry": the seed stays unmatched and leaves the match rate's
-- denominator. `entity_name` is the registry's name when confirmed, shown should the UEN later leave
-- the registry. Has a tenant_id, so `migrate` puts row-level security on it (icp.isolate_tenant_tables()).
create table icp.seed_confirmations (
    confirmation_id  bigserial primary key,
    tenant_id        text not null references icp.tenants,
    seed_key         text not null check (seed_key <> ''),
    seed_name        text not null,
    domain           text,
    uen              text,
    entity_name      text,
    confirmed_by     text,
    confirmed_at     timestamptz not null default now(),
    unique (tenant_id, seed_key),
    check ((uen is null) = (entity_name is null))
);
create index seed_confirmations_domain_idx on icp.seed_confirmations (tenant_id, domain) where domain is not null;

-- A confirmed seed's match says so: method 'confirmed' (status matched with the confirmed UEN, or
-- unmatched when confirmed not in the registry).
alter table icp.seed_matches drop constraint seed_matches_method_check;
alter table icp.seed_matches add constraint seed_matches_method_check
    check (method in ('domain', 'exact', 'fuzzy', 'former_name', 'confirmed'));
