select
    seed_id::bigint            as seed_id,
    tenant_id::text            as tenant_id,
    uen::text                  as uen,
    entity_name::text          as matched_entity_name,
    score::double precision    as match_score,
    method::text               as match_method,
    status::text               as match_status,
    coalesce(method = 'confirmed', false) as is_confirmed,
    candidates::jsonb          as match_candidates,
    matched_at::timestamptz    as matched_at
from {{ source('icp', 'seed_matches') }}
