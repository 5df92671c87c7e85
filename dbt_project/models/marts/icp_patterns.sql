-- Attribute statistics per tenant: for each namespace / attribute value held by any current
-- seed, how many best customers hold it as observed evidence (support = k / n, with its Wilson
-- lower bound), how many only as an intake declaration, how many churned customers hold it, and
-- for registry namespaces (SSIC levels, section, postal district, age band) its prevalence among
-- live ACRA entities and the lift. Both sides are smoothed: support (k + 1) / (n + 2), prevalence
-- (m + 1) / (N + 2), and lift_lower uses the Wilson bound, so 5-50 seeds cannot produce a
-- confident-looking lift from two lucky customers.
with attrs as (
    select * from {{ ref('int_seed_attributes') }}
    where {{ tenant_filter('tenant_id') }}
),

seeds as (
    select * from {{ ref('int_current_seeds') }}
    where {{ tenant_filter('tenant_id') }}
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

counts as (
    select
        attrs.tenant_id,
        attrs.namespace,
        attrs.attribute_key,
        mode() within group (order by attrs.attribute_value)           as attribute_value,
        count(distinct attrs.seed_id) filter (where attrs.kind = 'best' and not attrs.is_declared) as seeds_with,
        count(distinct attrs.seed_id) filter (where attrs.kind = 'best' and attrs.is_declared) as seeds_declared,
        count(distinct attrs.seed_id) filter (where attrs.kind = 'lost' and not attrs.is_declared) as churned_with,
        sum(attrs.evidence_count) filter (where attrs.kind = 'best')   as evidence_count,
        sum(attrs.evidence_count) filter (where attrs.kind = 'lost')   as churned_evidence_count,
        bool_and(attrs.is_declared)                                    as is_declared,
        array_agg(distinct seeds.seed_name order by seeds.seed_name)
            filter (where attrs.kind = 'best')                         as best_seed_names,
        array_agg(distinct seeds.seed_name order by seeds.seed_name)
            filter (where attrs.kind = 'lost')                         as churned_seed_names
    from attrs
    inner join seeds
        on seeds.tenant_id = attrs.tenant_id
       and seeds.seed_id = attrs.seed_id
    group by attrs.tenant_id, attrs.namespace, attrs.attribute_key
),

urls as (
    select tenant_id, namespace, attribute_key,
           array_agg(distinct url order by url) as evidence_urls
    from attrs, unnest(attrs.evidence_urls) as url
    where attrs.kind = 'best'
    group by tenant_id, namespace, attribute_key
),

registry as (
    select * from {{ ref('int_registry_attribute_counts') }}
),

registry_total as (
    select coalesce(max(live_total), 0) as live_total from registry
),

ssic_titles as (
    select ssic_code, ssic_title from {{ ref('stg_registry__ssic_codes') }}
),

-- Titles of 5-digit codes as the registry evidence labelled them (fallback when the SSIC
-- reference table lacks a code).
evidence_titles as (
    select tenant_id, signal_value ->> 'code' as ssic_code, mode() within group (order by signal_label) as ssic_title
    from {{ ref('stg_icp__evidence') }}
    where signal_key = 'ssic' and {{ tenant_filter('tenant_id') }}
    group by tenant_id, signal_value ->> 'code'
),

joined as (
    select
        counts.tenant_id,
        intake.response_id,
        counts.namespace,
        counts.attribute_key,
        counts.attribute_value,
        case when ns.is_ssic_level then coalesce(ssic_titles.ssic_title, evidence_titles.ssic_title) end as ssic_title,
        counts.seeds_with,
        counts.seeds_declared,
        intake.seeds_total,
        coalesce(counts.seeds_with::double precision / nullif(intake.seeds_total, 0), 0) as support,
        {{ smoothed_share('counts.seeds_with', 'intake.seeds_total') }}  as support_smoothed,
        {{ wilson_lower('counts.seeds_with', 'intake.seeds_total') }}    as support_lower,
        counts.churned_with,
        intake.churned_total,
        coalesce(counts.churned_with::double precision / nullif(intake.churned_total, 0), 0) as churned_support,
        coalesce(counts.evidence_count, 0)::bigint                      as evidence_count,
        coalesce(counts.churned_evidence_count, 0)::bigint              as churned_evidence_count,
        case when ns.is_registry then coalesce(registry.live_entities, 0) end as registry_live_with,
        case when ns.is_registry then registry_total.live_total end     as registry_live_total,
        case when ns.is_registry
             then {{ smoothed_share('coalesce(registry.live_entities, 0)', 'registry_total.live_total') }}
        end                                                             as registry_prevalence,
        counts.is_declared,
        case counts.namespace
            when 'integration' then counts.attribute_key in (select lower(x) from unnest(intake.declared_integrations) as x)
            when 'buyer_title' then counts.attribute_key in (select lower(x) from unnest(intake.declared_champion_titles) as x)
            when 'size_band' then counts.attribute_value = intake.declared_employee_band
            else false
        end                                                             as declared_in_intake,
        coalesce(counts.best_seed_names, '{}')                          as best_seed_names,
        coalesce(counts.churned_seed_names, '{}')                       as churned_seed_names,
        coalesce(urls.evidence_urls, '{}')                              as evidence_urls
    from counts
    inner join intake on intake.tenant_id = counts.tenant_id
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = counts.namespace
    cross join registry_total
    left join registry
        on registry.namespace = counts.namespace
       and registry.attribute_value = counts.attribute_value
    left join ssic_titles
        on ns.is_ssic_level
       and ssic_titles.ssic_code = counts.attribute_value
    left join evidence_titles
        on counts.namespace = 'ssic5'
       and evidence_titles.tenant_id = counts.tenant_id
       and evidence_titles.ssic_code = counts.attribute_value
    left join urls
        on urls.tenant_id = counts.tenant_id
       and urls.namespace = counts.namespace
       and urls.attribute_key = counts.attribute_key
)

select
    *,
    support_smoothed / nullif(registry_prevalence, 0) as lift,
    support_lower / nullif(registry_prevalence, 0)    as lift_lower,
    support - churned_support                      as churn_contrast,
    row_number() over (
        partition by tenant_id, namespace
        order by seeds_with desc, support_lower / nullif(registry_prevalence, 0) desc nulls last,
                 churned_with asc, evidence_count desc, attribute_value
    )                                              as rank_in_namespace
from joined
