-- Registry baseline: how many live ACRA entities hold each registry attribute (SSIC subclass,
-- group, division, section, postal district, age band), and how many live entities there are:
-- the prevalence icp_patterns compares seed support against, and icp_audience's age-band sizes.
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
    counts.live_entities,
    totals.live_total
from counts
cross join totals
