-- One row per (tenant, seed, namespace, attribute value): the attributes of each current seed,
-- derived from the tenant's own evidence rows on the seed's company.
--
-- Namespaces: ssic5 (subclass), ssic3 (group), ssic2 (division) from registry `ssic` evidence;
-- size_band from headcount evidence (the median of the rows' midpoints, one band per seed);
-- integration, technology, buyer_title, industry_served from crawl / llm evidence.
-- Labels are grouped case-insensitively; the most frequent spelling is shown.
-- is_declared is true when every backing row has source 'intake' (a vendor-declared fact, not an
-- observation). Tenant-level intake answers (must_have_integrations, champion_titles,
-- employee_band) are not seed attributes: int_current_intake keeps them, and icp_patterns flags
-- attributes the vendor also declared.
with seeds as (
    select * from {{ ref('int_current_seeds') }}
    where {{ tenant_filter('tenant_id') }} and company_id is not null
),

evidence as (
    select
        seeds.tenant_id,
        seeds.seed_id,
        seeds.seed_kind,
        ev.evidence_id,
        ev.signal_key,
        ev.signal_value,
        ev.signal_label,
        ev.evidence_source,
        ev.source_url,
        ev.confidence
    from seeds
    inner join {{ ref('stg_icp__evidence') }} as ev
        on ev.tenant_id = seeds.tenant_id
       and ev.company_id = seeds.company_id
    where {{ tenant_filter('ev.tenant_id') }}
),

ssic as (
    select evidence.*, evidence.signal_value ->> 'code' as code
    from evidence
    where signal_key = 'ssic' and evidence.signal_value ->> 'code' ~ '^[0-9]{5}$'
),

ssic_levels as (
    select tenant_id, seed_id, seed_kind, 'ssic5' as namespace, code as attr_key, code as attr_value,
           evidence_id, evidence_source, source_url, confidence
    from ssic
    union all
    select tenant_id, seed_id, seed_kind, 'ssic3', left(code, 3), left(code, 3),
           evidence_id, evidence_source, source_url, confidence
    from ssic
    union all
    select tenant_id, seed_id, seed_kind, 'ssic2', left(code, 2), left(code, 2),
           evidence_id, evidence_source, source_url, confidence
    from ssic
),

labelled as (
    select tenant_id, seed_id, seed_kind, signal_key as namespace,
           lower(signal_label) as attr_key, signal_label as attr_value,
           evidence_id, evidence_source, source_url, confidence
    from evidence
    where signal_key in ('integration', 'technology', 'buyer_title', 'industry_served')
      and signal_label is not null
),

headcount as (
    select
        evidence.*,
        case
            when signal_value ->> 'min' ~ '^[0-9]+(\.[0-9]+)?$' and signal_value ->> 'max' ~ '^[0-9]+(\.[0-9]+)?$'
                then ((signal_value ->> 'min')::numeric + (signal_value ->> 'max')::numeric) / 2
            when signal_value ->> 'min' ~ '^[0-9]+(\.[0-9]+)?$' then (signal_value ->> 'min')::numeric
            when signal_value ->> 'max' ~ '^[0-9]+(\.[0-9]+)?$' then (signal_value ->> 'max')::numeric
            when signal_label ~ '^[0-9]+$' then signal_label::numeric
        end as headcount_mid
    from evidence
    where signal_key = 'headcount'
),

size_per_seed as (
    select
        tenant_id, seed_id, seed_kind,
        percentile_cont(0.5) within group (order by headcount_mid) as median_headcount
    from headcount
    where headcount_mid is not null
    group by tenant_id, seed_id, seed_kind
),

size_band as (
    select
        size_per_seed.tenant_id, size_per_seed.seed_id, size_per_seed.seed_kind, 'size_band' as namespace,
        {{ size_band('size_per_seed.median_headcount') }} as attr_key,
        {{ size_band('size_per_seed.median_headcount') }} as attr_value,
        headcount.evidence_id, headcount.evidence_source, headcount.source_url, headcount.confidence
    from size_per_seed
    inner join headcount
        on headcount.tenant_id = size_per_seed.tenant_id
       and headcount.seed_id = size_per_seed.seed_id
       and headcount.headcount_mid is not null
),

all_rows as (
    select * from ssic_levels
    union all
    select * from labelled
    union all
    select * from size_band
)

select
    tenant_id,
    seed_id,
    seed_kind                                    as kind,
    namespace,
    mode() within group (order by attr_value)    as attribute_value,
    attr_key                                     as attribute_key,
    bool_and(evidence_source = 'intake')         as is_declared,
    count(distinct evidence_id)                  as evidence_count,
    max(confidence)                              as max_confidence,
    array_agg(distinct evidence_source order by evidence_source) as evidence_sources,
    array_remove(array_agg(distinct source_url order by source_url), null) as evidence_urls
from all_rows
group by tenant_id, seed_id, seed_kind, namespace, attr_key
