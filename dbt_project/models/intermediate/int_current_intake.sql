-- Each tenant's current intake (its latest response_id): how many best and churned customers it
-- names (the n every share is computed over, counted once here), the declared answers the models
-- use parsed out of the jsonb payload, and the vendor's own company (by domain) when known.
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
    -- The intake's bands 250-999 and 1000+ are one band, 250+, in the size_band macro's scale.
    case
        when latest.answers ->> 'employee_band' in ('250-999', '1000+') then '250+'
        else nullif(trim(latest.answers ->> 'employee_band'), '')
    end                                                        as declared_employee_band,
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
    )                                                          as advanced_statements
from latest
left join seed_counts
    on seed_counts.tenant_id = latest.tenant_id
   and seed_counts.response_id = latest.response_id
left join {{ ref('stg_icp__companies') }} as vendor
    on vendor.company_domain = latest.vendor_domain
