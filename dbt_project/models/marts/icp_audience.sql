-- Audience per card: live ACRA entities matching the card's registry filters (targeting pack),
-- minus the tenant's own matched customers and churned accounts. precision_total = every filter
-- namespace matches (AND; OR within a namespace); reach_total = any filter matches (OR).
--
-- Totals are sums over registry segments (int_registry_segments). Only the narrow namespaces
-- (SSIC levels, postal district) are joined to segments; the broad one (age band, a quarter of
-- the registry per value) is checked on those segments and its own count comes from
-- int_registry_attribute_counts: reach = |narrow hits| + |age band| - |narrow hits in the band|.
-- The intake's SSIC exclusions (the expressions' AND NOT terms) leave out every segment whose
-- subclass lies in an excluded code or section, on every side of those sums.
-- The sample is 10 matching entities (by SSIC, UEN).
with packs as (
    select * from {{ ref('icp_targeting_pack') }}
    where {{ tenant_filter('tenant_id') }}
),

ssic_exclusions as (
    select tenant_id, exclusion_value
    from {{ ref('int_intake_exclusions') }}
    where {{ tenant_filter('tenant_id') }} and exclusion_kind = 'ssic'
),

-- Registry segments under an excluded SSIC code (any level) or section, per tenant.
excluded_segments as (
    select distinct x.tenant_id, seg.segment_id, seg.age_band, seg.live_entities
    from ssic_exclusions as x
    inner join {{ ref('int_registry_segments') }} as seg
        on starts_with(seg.ssic5, x.exclusion_value) or seg.ssic_section = x.exclusion_value
),

filters as (
    select packs.tenant_id, packs.suggestion_id, f.namespace, f.attribute_value
    from packs, unnest(packs.filter_namespaces, packs.filter_values) as f (namespace, attribute_value)
),

card_filters as (
    select
        tenant_id,
        suggestion_id,
        array_agg(attribute_value) filter (where namespace like 'ssic%')        as ssic_values,
        max(namespace) filter (where namespace like 'ssic%')                    as ssic_namespace,
        array_agg(attribute_value) filter (where namespace = 'geo')             as districts,
        array_agg(attribute_value) filter (where namespace = 'entity_age_band') as age_bands
    from filters
    group by tenant_id, suggestion_id
),

narrow_hits as (
    select distinct filters.tenant_id, filters.suggestion_id, seg.segment_id
    from filters
    inner join {{ ref('int_registry_segment_attributes') }} as seg
        on seg.namespace = filters.namespace and seg.attribute_value = filters.attribute_value
    where filters.namespace <> 'entity_age_band'
),

matched as (
    select
        hits.tenant_id,
        hits.suggestion_id,
        segments.live_entities,
        segments.ssic5,
        (cf.ssic_values is null or case cf.ssic_namespace
            when 'ssic5' then segments.ssic5 when 'ssic3' then segments.ssic3
            when 'ssic2' then segments.ssic2 else segments.ssic_section end = any(cf.ssic_values))
        and (cf.districts is null or segments.postal_district = any(cf.districts))
        and (cf.age_bands is null or segments.age_band = any(cf.age_bands))  as in_precision,
        coalesce(segments.age_band = any(cf.age_bands), false)                as in_age_band
    from narrow_hits as hits
    inner join card_filters as cf on cf.suggestion_id = hits.suggestion_id
    inner join {{ ref('int_registry_segments') }} as segments on segments.segment_id = hits.segment_id
    where not exists (
        select 1 from excluded_segments as ex
        where ex.tenant_id = hits.tenant_id and ex.segment_id = hits.segment_id
    )
),

segment_totals as (
    select
        suggestion_id,
        sum(live_entities) filter (where in_precision)   as precision_total,
        sum(live_entities)                               as narrow_total,
        sum(live_entities) filter (where in_age_band)    as narrow_in_age_band,
        array_agg(distinct ssic5) filter (where in_precision) as precision_ssic5s
    from matched
    group by suggestion_id
),

age_totals as (
    select cf.suggestion_id, sum(counts.live_entities) as age_band_total
    from card_filters as cf, unnest(cf.age_bands) as band
    inner join {{ ref('int_registry_attribute_counts') }} as counts
        on counts.namespace = 'entity_age_band' and counts.attribute_value = band
    group by cf.suggestion_id
),

-- The excluded part of those age bands.
age_excluded as (
    select cf.suggestion_id, sum(ex.live_entities) as age_band_excluded
    from card_filters as cf
    inner join excluded_segments as ex on ex.tenant_id = cf.tenant_id and ex.age_band = any(cf.age_bands)
    group by cf.suggestion_id
),

-- The tenant's own customers and churned accounts that are live registry entities (and not
-- excluded, so not in any audience anyway).
own as (
    select distinct seeds.tenant_id, live.*
    from {{ ref('int_current_seeds') }} as seeds
    inner join {{ ref('int_registry_live_entities') }} as live on live.uen = seeds.uen
    where {{ tenant_filter('seeds.tenant_id') }} and seeds.match_status = 'matched'
      and not exists (
          select 1 from ssic_exclusions as x
          where x.tenant_id = seeds.tenant_id
            and (starts_with(live.ssic5, x.exclusion_value) or live.ssic_section = x.exclusion_value)
      )
),

own_matches as (
    select
        cf.suggestion_id,
        count(*) filter (where
            (cf.ssic_values is null or case cf.ssic_namespace
                when 'ssic5' then own.ssic5 when 'ssic3' then own.ssic3
                when 'ssic2' then own.ssic2 else own.ssic_section end = any(cf.ssic_values))
            and (cf.districts is null or own.postal_district = any(cf.districts))
            and (cf.age_bands is null or own.age_band = any(cf.age_bands)))                 as in_precision,
        count(*) filter (where
            case cf.ssic_namespace
                when 'ssic5' then own.ssic5 when 'ssic3' then own.ssic3
                when 'ssic2' then own.ssic2 else own.ssic_section end = any(cf.ssic_values)
            or own.postal_district = any(cf.districts)
            or own.age_band = any(cf.age_bands))                                              as in_reach,
        array_agg(own.uen)                                                                    as uens
    from card_filters as cf
    inner join own on own.tenant_id = cf.tenant_id
    group by cf.suggestion_id
)

select
    packs.tenant_id,
    packs.response_id,
    packs.suggestion_id,
    packs.rank,
    packs.audience_expression,
    packs.reach_expression,
    -- A card whose customers carry no registry attribute (none matched ACRA) cannot be sized: null.
    case when packs.audience_expression is not null then
        (coalesce(st.precision_total, 0) - coalesce(om.in_precision, 0))::bigint
    end                                                                                    as precision_total,
    case when packs.audience_expression is not null then
        (coalesce(st.narrow_total, 0) + coalesce(ages.age_band_total, 0) - coalesce(age_ex.age_band_excluded, 0)
            - coalesce(st.narrow_in_age_band, 0) - coalesce(om.in_reach, 0))::bigint
    end                                                                                    as reach_total,
    coalesce(om.in_reach, 0)::bigint                                                       as own_excluded,
    coalesce(sample.rows, '[]'::jsonb)                                                     as sample
from packs
left join card_filters as cf on cf.suggestion_id = packs.suggestion_id
left join segment_totals as st on st.suggestion_id = packs.suggestion_id
left join age_totals as ages on ages.suggestion_id = packs.suggestion_id
left join age_excluded as age_ex on age_ex.suggestion_id = packs.suggestion_id
left join own_matches as om on om.suggestion_id = packs.suggestion_id
left join lateral (
    select jsonb_agg(jsonb_build_object('uen', e.uen, 'name', e.entity_name, 'ssic', e.ssic5,
                                        'postal_code', e.postal_code) order by e.ssic5, e.uen) as rows
    from (
        select live.*
        from {{ ref('int_registry_live_entities') }} as live
        where live.ssic5 = any(st.precision_ssic5s)
          and (cf.districts is null or live.postal_district = any(cf.districts))
          and (cf.age_bands is null or live.age_band = any(cf.age_bands))
          and live.uen <> all(coalesce(om.uens, '{}'))
        order by live.ssic5, live.uen
        limit 10
    ) as e
) as sample on true
