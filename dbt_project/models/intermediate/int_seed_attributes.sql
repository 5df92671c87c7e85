-- One row per (tenant, seed, namespace, attribute value): the attributes of each current seed,
-- derived from the tenant's own evidence rows on the seed's company.
--
-- Namespaces: ssic5 (subclass), ssic3 (group), ssic2 (division), ssic_section from registry
-- `ssic` evidence; geo (2-digit postal district) from registry `postal_district` and crawled
-- `location` evidence; entity_age_band from registry `incorporation_year`; size_band from
-- headcount evidence (the median of the rows' midpoints, one band per seed); integration,
-- technology, buyer_title, industry_served from crawl / llm evidence. Labels are grouped
-- case-insensitively; the most frequent spelling is shown.
-- is_declared: every backing row is a vendor-declared fact (source 'intake'), not an observation.
-- Where a best customer has no observed size band, integration or buyer title, the intake's
-- answers (employee_band, must_have_integrations, champion_titles) fill in as declared rows with
-- no evidence behind them; statistics count observed rows only.
-- excluded_by: the intake's declared exclusions (int_intake_exclusions) the attribute falls
-- under: an SSIC level inside an excluded code or section, an integration or technology the
-- vendor excluded, or a size band whose seed's median headcount lies below the floor or above
-- the ceiling.
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

ssic_sections as (
    select ssic.code, coalesce(sub.ssic_section, div.ssic_section) as ssic_section
    from (select distinct code from ssic) as ssic
    left join {{ ref('stg_registry__ssic_codes') }} as sub on sub.ssic_code = ssic.code
    left join {{ ref('stg_registry__ssic_codes') }} as div on div.ssic_code = left(ssic.code, 2)
),

ssic_levels as (
    select tenant_id, seed_id, seed_kind, 'ssic5' as namespace, code as attr_key, code as attr_value,
           evidence_id, evidence_source, source_url, confidence, null::double precision as numeric_value
    from ssic
    union all
    select tenant_id, seed_id, seed_kind, 'ssic3', left(code, 3), left(code, 3),
           evidence_id, evidence_source, source_url, confidence, null
    from ssic
    union all
    select tenant_id, seed_id, seed_kind, 'ssic2', left(code, 2), left(code, 2),
           evidence_id, evidence_source, source_url, confidence, null
    from ssic
    union all
    select ssic.tenant_id, ssic.seed_id, ssic.seed_kind, 'ssic_section', s.ssic_section, s.ssic_section,
           ssic.evidence_id, ssic.evidence_source, ssic.source_url, ssic.confidence, null
    from ssic
    inner join ssic_sections as s on s.code = ssic.code and s.ssic_section is not null
),

geo as (
    select tenant_id, seed_id, seed_kind, 'geo' as namespace, district as attr_key, district as attr_value,
           evidence_id, evidence_source, source_url, confidence, null::double precision as numeric_value
    from (
        select evidence.*,
               case
                   when signal_key = 'postal_district' and signal_label ~ '^[0-9]{2}$' then signal_label
                   when coalesce(signal_value ->> 'postal_code', '') ~ '^[0-9]{6}$' then left(signal_value ->> 'postal_code', 2)
               end as district
        from evidence
        where signal_key in ('postal_district', 'location')
    ) as located
    where district is not null
),

age as (
    select tenant_id, seed_id, seed_kind, 'entity_age_band' as namespace,
           {{ age_band('year') }} as attr_key, {{ age_band('year') }} as attr_value,
           evidence_id, evidence_source, source_url, confidence, year::double precision as numeric_value
    from (
        select evidence.*,
               case when coalesce(signal_value ->> 'year', signal_label) ~ '^[0-9]{4}$'
                    then coalesce(signal_value ->> 'year', signal_label)::int end as year
        from evidence
        where signal_key = 'incorporation_year'
    ) as incorporated
    where year is not null
),

labelled as (
    select tenant_id, seed_id, seed_kind, signal_key as namespace,
           lower(signal_label) as attr_key, signal_label as attr_value,
           evidence_id, evidence_source, source_url, confidence, null::double precision as numeric_value
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
        headcount.evidence_id, headcount.evidence_source, headcount.source_url, headcount.confidence,
        size_per_seed.median_headcount::double precision as numeric_value
    from size_per_seed
    inner join headcount
        on headcount.tenant_id = size_per_seed.tenant_id
       and headcount.seed_id = size_per_seed.seed_id
       and headcount.headcount_mid is not null
),

all_rows as (
    select * from ssic_levels
    union all
    select * from geo
    union all
    select * from age
    union all
    select * from labelled
    union all
    select * from size_band
),

observed as (
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
        max(numeric_value)                           as numeric_value,
        array_agg(distinct evidence_source order by evidence_source) as evidence_sources,
        array_remove(array_agg(distinct source_url order by source_url), null) as evidence_urls
    from all_rows
    group by tenant_id, seed_id, seed_kind, namespace, attr_key
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

-- Intake answers for best customers whose evidence says nothing in that namespace.
declared_answers as (
    select tenant_id, 'size_band' as namespace, declared_employee_band as label
    from intake where declared_employee_band is not null
    union all
    select tenant_id, 'integration', x from intake, unnest(declared_integrations) as x
    union all
    select tenant_id, 'buyer_title', x from intake, unnest(declared_champion_titles) as x
),

declared as (
    select distinct on (seeds.tenant_id, seeds.seed_id, answers.namespace, lower(answers.label))
        seeds.tenant_id,
        seeds.seed_id,
        seeds.seed_kind                              as kind,
        answers.namespace,
        answers.label                                as attribute_value,
        lower(answers.label)                         as attribute_key,
        true                                         as is_declared,
        0::bigint                                    as evidence_count,
        null::real                                   as max_confidence,
        null::double precision                       as numeric_value,
        array['intake']::text[]                      as evidence_sources,
        '{}'::text[]                                 as evidence_urls
    from seeds
    inner join declared_answers as answers on answers.tenant_id = seeds.tenant_id
    where seeds.seed_kind = 'best'
      and not exists (
          select 1 from observed
          where observed.tenant_id = seeds.tenant_id and observed.seed_id = seeds.seed_id
            and observed.namespace = answers.namespace
      )
),

attributes as (
    select * from observed
    union all
    select * from declared
),

exclusions as (
    select * from {{ ref('int_intake_exclusions') }}
    where {{ tenant_filter('tenant_id') }}
)

select
    attributes.*,
    array(
        select x.exclusion_key
        from exclusions as x
        where x.tenant_id = attributes.tenant_id
          and case x.exclusion_kind
              when 'ssic' then
                  (attributes.namespace in ('ssic5', 'ssic3', 'ssic2')
                   and (starts_with(attributes.attribute_key, x.exclusion_value)
                        or left(attributes.attribute_key, 2) = any(x.ssic_divisions)))
                  or (attributes.namespace = 'ssic_section' and attributes.attribute_key = x.exclusion_value)
              when 'integration' then
                  attributes.namespace in ('integration', 'technology')
                  and attributes.attribute_key = lower(x.exclusion_value)
              when 'headcount_below' then
                  attributes.namespace = 'size_band' and attributes.numeric_value < x.headcount_limit
              when 'headcount_above' then
                  attributes.namespace = 'size_band' and attributes.numeric_value > x.headcount_limit
              else false
          end
        order by x.exclusion_key
    )                                                as excluded_by
from attributes
