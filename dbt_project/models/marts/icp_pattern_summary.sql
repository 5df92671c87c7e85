-- One row per tenant: the patterns an analyst reads first. Top SSICs with titles, common
-- integrations and buyer titles (observed at >= 2 best customers, with k/n), the median
-- headcount of best customers, and recurring themes (industries served by >= 2 best customers,
-- churn themes given by >= 2 churned customers).
with patterns as (
    select * from {{ ref('icp_patterns') }}
    where {{ tenant_filter('tenant_id') }}
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

headcount as (
    select tenant_id, percentile_cont(0.5) within group (order by numeric_value) as median_headcount
    from {{ ref('int_seed_attributes') }}
    where {{ tenant_filter('tenant_id') }} and kind = 'best' and namespace = 'size_band' and not is_declared
    group by tenant_id
),

lists as (
    select
        tenant_id,
        array_agg(format('%s %s (%s/%s)', attribute_value, coalesce(ssic_title, ''), seeds_with, seeds_total)
                  order by rank_in_namespace) filter (where namespace = 'ssic5' and rank_in_namespace <= 5) as top_ssics,
        array_agg(format('%s (%s/%s)', attribute_value, seeds_with, seeds_total) order by rank_in_namespace)
            filter (where namespace = 'integration' and rank_in_namespace <= 5)   as common_integrations,
        array_agg(format('%s (%s/%s)', attribute_value, seeds_with, seeds_total) order by rank_in_namespace)
            filter (where namespace = 'buyer_title' and rank_in_namespace <= 5)   as frequent_buyer_titles,
        array_agg(format('serves %s (%s/%s)', attribute_value, seeds_with, seeds_total) order by rank_in_namespace)
            filter (where namespace = 'industry_served' and rank_in_namespace <= 5) as industry_themes
    from patterns
    where seeds_with >= 2
    group by tenant_id
),

churn as (
    select tenant_id,
           array_agg(format('%s (%s churned)', theme, churned_with) order by rank) as churn_themes
    from {{ ref('icp_negative_icp') }}
    where {{ tenant_filter('tenant_id') }} and kind = 'churn_theme' and churned_with >= 2
    group by tenant_id
)

select
    intake.tenant_id,
    intake.response_id,
    intake.seeds_total,
    coalesce(lists.top_ssics, '{}')                 as top_ssics,
    coalesce(lists.common_integrations, '{}')       as common_integrations,
    headcount.median_headcount,
    coalesce(lists.frequent_buyer_titles, '{}')     as frequent_buyer_titles,
    coalesce(lists.industry_themes, '{}') || coalesce(churn.churn_themes, '{}') as recurring_themes
from intake
left join lists on lists.tenant_id = intake.tenant_id
left join headcount on headcount.tenant_id = intake.tenant_id
left join churn on churn.tenant_id = intake.tenant_id
