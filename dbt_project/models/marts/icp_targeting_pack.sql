-- Targeting pack per card: registry filters (SSIC, postal district, company age) as an
-- `icp audience` expression, technographic filters (integrations), title filters (champions)
-- and a short pitch. The SSIC filter is the card's defining SSIC attribute, or else the SSIC
-- subclasses of its customers. Registry filters of one namespace are OR'ed, namespaces AND'ed
-- (precision); reach_expression OR's them all; both are limited to live companies and end with
-- the intake's SSIC exclusions as AND NOT terms. The exclusions the registry cannot apply
-- (headcount floor / ceiling, integrations: not in ACRA) are listed for the enrichment step,
-- beside the deal (ACV, price floor, sales cycle) and the buying triggers.
with cards as (
    select * from {{ ref('icp_suggestions') }}
    where {{ tenant_filter('tenant_id') }}
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

-- The declared SSIC exclusions as `icp audience` terms, e.g. " AND NOT ssic3:521".
exclusions as (
    select
        tenant_id,
        array_agg(audience_term order by audience_term)                         as terms,
        string_agg(' AND NOT ' || audience_term, '' order by audience_term)     as clause
    from {{ ref('int_intake_exclusions') }}
    where {{ tenant_filter('tenant_id') }} and audience_term is not null
    group by tenant_id
),

namespaces as (
    select * from {{ ref('attribute_namespaces') }}
),

-- The card's defining attributes that the registry holds.
defining as (
    select cards.tenant_id, cards.suggestion_id, split_part(attr, ':', 1) as namespace,
           substr(attr, length(split_part(attr, ':', 1)) + 2) as attribute_value
    from cards, unnest(cards.cluster) as attr
    where split_part(attr, ':', 1) in (select namespace from namespaces where is_registry)
),

filters as (
    select tenant_id, suggestion_id, namespace, attribute_value from defining
    union all
    select cards.tenant_id, cards.suggestion_id, 'ssic5', code
    from cards, unnest(cards.ssic_codes) as code
    where not exists (
        select 1 from defining
        where defining.suggestion_id = cards.suggestion_id and defining.namespace like 'ssic%'
    )
),

terms as (
    select
        filters.tenant_id, filters.suggestion_id, filters.namespace, filters.attribute_value,
        namespaces.audience_term || ':' || filters.attribute_value as term
    from filters
    inner join namespaces on namespaces.namespace = filters.namespace
),

by_namespace as (
    select tenant_id, suggestion_id, namespace,
           case when count(*) > 1 then '(' || string_agg(term, ' OR ' order by term) || ')'
                else max(term) end as clause
    from terms
    group by tenant_id, suggestion_id, namespace
),

expressions as (
    select
        terms.tenant_id,
        terms.suggestion_id,
        array_agg(terms.namespace order by terms.namespace, terms.attribute_value)       as filter_namespaces,
        array_agg(terms.attribute_value order by terms.namespace, terms.attribute_value) as filter_values,
        array_agg(terms.term order by terms.namespace, terms.attribute_value)
            filter (where terms.namespace like 'ssic%')                                  as ssic_filters,
        string_agg(terms.term, ' OR ' order by terms.namespace, terms.attribute_value)   as reach_expression
    from terms
    group by terms.tenant_id, terms.suggestion_id
)

select
    cards.tenant_id,
    cards.response_id,
    cards.suggestion_id,
    cards.rank,
    cards.title,
    coalesce(expressions.ssic_filters, '{}')                        as ssic_filters,
    coalesce(expressions.filter_namespaces, '{}')                   as filter_namespaces,
    coalesce(expressions.filter_values, '{}')                       as filter_values,
    cards.integrations                                              as technographic_filters,
    cards.champion_titles                                           as title_filters,
    cards.headcount_band,
    -- Audiences count live companies, so both expressions say so: pasted into `icp audience`
    -- they give the totals icp_audience reports.
    'status:live AND ' || (select string_agg(clause, ' AND ' order by namespace) from by_namespace as b
      where b.suggestion_id = cards.suggestion_id)
      || coalesce(exclusions.clause, '')                            as audience_expression,
    'status:live AND (' || expressions.reach_expression || ')'
      || coalesce(exclusions.clause, '')                            as reach_expression,
    coalesce(exclusions.terms, '{}')                                as exclusion_terms,
    intake.exclude_integrations                                     as excluded_integrations,
    intake.exclude_headcount_below                                  as headcount_floor,
    intake.exclude_headcount_above                                  as headcount_ceiling,
    intake.acv_usd,
    intake.price_floor_usd,
    intake.sales_cycle_days,
    intake.triggers,
    concat(
        format('For %s', coalesce(nullif(array_to_string(cards.champion_titles, ' / '), ''), 'operations leads')),
        format(' at %s', lower(left(cards.title, 1)) || substr(cards.title, 2)),
        format(': %s of your best customers (%s) share this profile', cards.seeds_covered,
               array_to_string(cards.seed_names[1:3], ', ')),
        case when cardinality(cards.integrations) > 0
             then format(' and run %s', array_to_string(cards.integrations, ' + ')) end,
        '.'
    )                                                               as pitch
from cards
inner join intake on intake.tenant_id = cards.tenant_id
left join expressions on expressions.suggestion_id = cards.suggestion_id
left join exclusions on exclusions.tenant_id = cards.tenant_id
