-- Registry baseline: how many live ACRA entities hold each registry attribute (SSIC subclass,
-- group, division, section, postal district, age band), with the SSIC title; the prevalence
-- icp_patterns compares seed support against.
with counts as (
    select namespace, attribute_value, sum(live_entities)::bigint as live_entities
    from {{ ref('int_registry_segment_attributes') }}
    group by namespace, attribute_value
),

totals as (
    select coalesce(sum(live_entities), 0)::bigint as live_total from {{ ref('int_registry_segments') }}
)

select
    counts.namespace,
    counts.attribute_value,
    titles.ssic_title,
    counts.live_entities,
    totals.live_total,
    counts.live_entities::double precision / nullif(totals.live_total, 0) as prevalence
from counts
cross join totals
left join {{ ref('stg_registry__ssic_codes') }} as titles
    on counts.namespace in ('ssic5', 'ssic3', 'ssic2', 'ssic_section')
   and titles.ssic_code = counts.attribute_value
