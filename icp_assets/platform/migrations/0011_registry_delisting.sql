-- Entities a full ACRA release no longer lists (icp_assets/domain/registry/acra.py, "full release").
--
-- The row stays (its history, and the seed matches and evidence that cite its UEN), with the status
-- the last release listing it published; `delisted_at` says since when no full release lists it
-- (null: listed in the latest full release, or never checked against one). `current_status` is the
-- status everything deciding "live" reads: the published one, or 'Delisted' (so the audience term
-- `status:live` and the registry models leave a delisted entity out, and `status:delisted` finds it).
alter table registry.acra_entities
    add column delisted_at timestamptz,
    add column current_status text generated always as (
        case when delisted_at is null then entity_status_description else 'Delisted' end
    ) stored;

comment on column registry.acra_entities.delisted_at is
    'When a full ACRA release first no longer listed the entity; null while the latest full release lists it.';
comment on column registry.acra_entities.current_status is
    'entity_status_description as last published, or ''Delisted'' once a full release no longer lists the entity.';
