-- Only the columns the models use; the source keeps the full data.gov.sg layout.
-- Live means: listed in the latest full release with a status starting "Live" (current_status is
-- 'Delisted' once a full release no longer lists the entity, migration 0011).
select
    uen::text                                     as uen,
    entity_name::text                             as entity_name,
    entity_type_description::text                 as entity_type,
    entity_status_description::text               as entity_status,
    current_status::text                          as current_status,
    delisted_at::timestamptz                      as delisted_at,
    coalesce(current_status ilike 'live%', false) as is_live,
    registration_incorporation_date::date         as incorporated_on,
    postal_code::text                             as postal_code,
    primary_ssic_code::text                       as primary_ssic_code,
    primary_ssic_description::text                as primary_ssic_description,
    secondary_ssic_code::text                     as secondary_ssic_code,
    loaded_at::timestamptz                        as loaded_at
from {{ source('registry', 'acra_entities') }}
