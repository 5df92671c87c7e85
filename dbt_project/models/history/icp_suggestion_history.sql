-- Every intake's cards, kept: icp_suggestions holds only each tenant's current intake, and this
-- table adds those cards to the ones of the tenant's earlier intakes (its pre-hook,
-- intake_scope_cleanup, deletes only the current intake's rows before they are appended again).
-- The cluster (the card's defining attributes) is sorted: it is what matches a card across
-- intakes (icp_suggestion_changes). The folder is never full-refreshed (dbt_project.yml): a
-- rebuild from scratch would lose the earlier intakes.
-- depends_on: {{ ref('stg_icp__intake_responses') }}
-- depends_on: {{ ref('int_current_intake') }}
with cards as (
    select * from {{ ref('icp_suggestions') }}
    where {{ tenant_filter('tenant_id') }}
),

audiences as (
    select * from {{ ref('icp_audience') }}
    where {{ tenant_filter('tenant_id') }}
)

select
    cards.tenant_id,
    cards.response_id,
    cards.suggestion_id,
    cards.rank,
    cards.title,
    array(select attr from unnest(cards.cluster) as attr order by attr) as cluster,
    cards.ssic_codes,
    cards.headcount_band,
    cards.integrations,
    cards.champion_titles,
    cards.seeds_covered,
    cards.seeds_total,
    cards.seed_coverage,
    cards.lift,
    cards.reduced_evidence,
    audiences.precision_total                                         as audience_size,
    audiences.audience_expression,
    current_timestamp                                                 as built_at
from cards
left join audiences
    on audiences.tenant_id = cards.tenant_id
   and audiences.suggestion_id = cards.suggestion_id
