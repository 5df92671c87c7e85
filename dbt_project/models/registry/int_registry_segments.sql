-- Registry baseline: live entities counted per segment = (SSIC subclass, postal district, age
-- band). Audience totals for any AND / OR of registry attributes are sums over segments, so a
-- card's audience is sized without scanning the registry.
{{ config(post_hook=["create index if not exists int_registry_segments_id_idx on {{ this }} (segment_id)", "analyze {{ this }}"]) }}

select
    md5(concat_ws('|', ssic5, coalesce(postal_district, ''), coalesce(age_band, ''))) as segment_id,
    ssic5,
    max(ssic3)            as ssic3,
    max(ssic2)            as ssic2,
    max(ssic_section)     as ssic_section,
    postal_district,
    age_band,
    count(*)              as live_entities
from {{ ref('int_registry_live_entities') }}
group by ssic5, postal_district, age_band
