-- Each tenant's current intake (its latest response_id): how many best and churned customers it
-- names (the n every share is computed over, counted once here), the declared answers the models
-- use parsed out of the jsonb payload (employee band, integrations, champion titles, free-text
-- anti-ICP answers, the declared exclusions, the deal and the triggers), and the vendor's own
-- company (by domain) when known.
with latest as (
    select distinct on (tenant_id) *
    from {{ ref('stg_icp__intake_responses') }}
    where {{ tenant_filter('tenant_id') }}
    order by tenant_id, response_id desc
),

seed_counts as (
    select
        tenant_id,
        response_id,
        count(*) filter (where seed_kind = 'best')   as seeds_total,
        count(*) filter (where seed_kind = 'lost')   as churned_total
    from {{ ref('stg_icp__customer_seeds') }}
    where {{ tenant_filter('tenant_id') }}
    group by tenant_id, response_id
)

select
    latest.tenant_id,
    latest.response_id,
    latest.submitted_at,
    latest.vendor_website,
    latest.vendor_domain,
    vendor.company_id                                          as vendor_company_id,
    coalesce(seed_counts.seeds_total, 0)                       as seeds_total,
    coalesce(seed_counts.churned_total, 0)                     as churned_total,
    -- The intake's band ("50-200", "1000+") in the size_band macro's scale, by its midpoint
    -- (its floor for "N+"): 50-200 -> 50-249, 250-999 and 1000+ -> 250+.
    {{ size_band('coalesce((band.low + band.high) / 2.0, band.low)') }} as declared_employee_band,
    band.low                                                   as declared_headcount_min,
    band.high                                                  as declared_headcount_max,
    array(
        select trim(x) from jsonb_array_elements_text(
            case when jsonb_typeof(latest.answers -> 'must_have_integrations') = 'array'
                 then latest.answers -> 'must_have_integrations' else '[]'::jsonb end) as x
        where trim(x) <> ''
    )                                                          as declared_integrations,
    array(
        select trim(x) from jsonb_array_elements_text(
            case when jsonb_typeof(latest.answers -> 'champion_titles') = 'array'
                 then latest.answers -> 'champion_titles' else '[]'::jsonb end) as x
        where trim(x) <> ''
    )                                                          as declared_champion_titles,
    -- Every string anywhere under answers.advanced (sections A-H): free-text anti-ICP hints.
    array(
        select trim(s #>> '{}')
        from jsonb_path_query(coalesce(latest.answers -> 'advanced', '{}'::jsonb),
                              'strict $.** ? (@.type() == "string")') as s
        where trim(s #>> '{}') <> ''
    )                                                          as advanced_statements,
    -- Declared exclusions (answers.exclusions): SSIC codes at any level, a headcount floor and
    -- ceiling, integrations, and free-text notes.
    array(
        select upper(trim(x)) from jsonb_array_elements_text(
            case when jsonb_typeof(latest.answers -> 'exclusions' -> 'ssic') = 'array'
                 then latest.answers -> 'exclusions' -> 'ssic' else '[]'::jsonb end) as x
        where upper(trim(x)) ~ '^([0-9]{2,5}|[A-U])$'
    )                                                          as exclude_ssic,
    case when latest.answers -> 'exclusions' ->> 'headcount_min' ~ '^[0-9]{1,8}$'
         then (latest.answers -> 'exclusions' ->> 'headcount_min')::int end as exclude_headcount_below,
    case when latest.answers -> 'exclusions' ->> 'headcount_max' ~ '^[0-9]{1,8}$'
         then (latest.answers -> 'exclusions' ->> 'headcount_max')::int end as exclude_headcount_above,
    array(
        select trim(x) from jsonb_array_elements_text(
            case when jsonb_typeof(latest.answers -> 'exclusions' -> 'integrations') = 'array'
                 then latest.answers -> 'exclusions' -> 'integrations' else '[]'::jsonb end) as x
        where trim(x) <> ''
    )                                                          as exclude_integrations,
    nullif(trim(latest.answers -> 'exclusions' ->> 'notes'), '') as exclusion_notes,
    -- The deal (answers.deal) and the buying triggers.
    case when latest.answers -> 'deal' ->> 'acv_usd' ~ '^[0-9]+(\.[0-9]+)?$'
         then (latest.answers -> 'deal' ->> 'acv_usd')::double precision end   as acv_usd,
    case when latest.answers -> 'deal' ->> 'price_floor_usd' ~ '^[0-9]+(\.[0-9]+)?$'
         then (latest.answers -> 'deal' ->> 'price_floor_usd')::double precision end as price_floor_usd,
    case when latest.answers -> 'deal' ->> 'cycle_days' ~ '^[0-9]{1,4}$'
         then (latest.answers -> 'deal' ->> 'cycle_days')::int end             as sales_cycle_days,
    array(
        select trim(x) from jsonb_array_elements_text(
            case when jsonb_typeof(latest.answers -> 'triggers') = 'array'
                 then latest.answers -> 'triggers' else '[]'::jsonb end) as x
        where trim(x) <> ''
    )                                                          as triggers
from latest
-- answers.employee_band as validated by the intake: "LOW-HIGH" or "LOW+".
cross join lateral (
    select
        substring(latest.answers ->> 'employee_band' from '^([0-9]{1,8})(-[0-9]{1,8}|\+)$')::int as low,
        substring(latest.answers ->> 'employee_band' from '^[0-9]{1,8}-([0-9]{1,8})$')::int      as high
) as band
left join seed_counts
    on seed_counts.tenant_id = latest.tenant_id
   and seed_counts.response_id = latest.response_id
left join {{ ref('stg_icp__companies') }} as vendor
    on vendor.company_domain = latest.vendor_domain
