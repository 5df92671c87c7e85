-- Candidate micro-ICP segments: every frequent pair and 3-attribute cluster whose attributes
-- co-occur at least card_min_lift times more often than chance. icp_suggestions picks cards
-- from these greedily. attributes: 'namespace:key' ids; labels: display values, same order.
-- specificity (summed from the attribute_namespaces seed) breaks ties between clusters of the
-- same customers: the finer SSIC level wins, and a postal district (co-location, not a market) loses.
-- eligible_seed_ids: its customers that fall under none of the intake's declared exclusions,
-- the only ones icp_suggestions counts for a card built on it. A candidate with an excluded
-- defining attribute (e.g. ssic3:521 when 521 or 52 or section H is excluded) has none, so it is
-- never picked and another candidate takes its place. excluded_by: the exclusions the others fall
-- under.
with candidates as (
    select
        tenant_id, pair_id as candidate_id, 2 as size,
        array[attribute_a, attribute_b]                          as attributes,
        array[namespace_a, namespace_b]                          as namespaces,
        array[value_a, value_b]                                  as labels,
        seeds_with, seeds_total, support, lift, lift_lower, seed_ids
    from {{ ref('int_attribute_pairs') }}
    where {{ tenant_filter('tenant_id') }} and lift >= {{ var('card_min_lift') }}
    union all
    select
        tenant_id, triple_id, 3,
        array[attribute_a, attribute_b, attribute_c],
        array[namespace_a, namespace_b, namespace_c],
        array[value_a, value_b, value_c],
        seeds_with, seeds_total, support, lift, lift_lower, seed_ids
    from {{ ref('int_attribute_triples') }}
    where {{ tenant_filter('tenant_id') }} and lift >= {{ var('card_min_lift') }}
),

-- Best customers with an observed attribute under a declared exclusion, and those exclusions.
excluded_seeds as (
    select tenant_id, seed_id, array_agg(distinct x order by x) as exclusions
    from {{ ref('int_seed_attributes') }}, unnest(excluded_by) as x
    where {{ tenant_filter('tenant_id') }} and kind = 'best' and not is_declared
    group by tenant_id, seed_id
)

select
    candidates.tenant_id, candidates.candidate_id, candidates.size, candidates.attributes,
    candidates.namespaces, candidates.labels,
    (select coalesce(sum(ns.specificity), 0)
       from unnest(candidates.namespaces) as n (namespace)
       inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = n.namespace) as specificity,
    candidates.seeds_with, candidates.seeds_total, candidates.support, candidates.lift, candidates.lift_lower,
    candidates.seed_ids,
    array(
        select member.seed_id from unnest(candidates.seed_ids) as member (seed_id)
        where not exists (
            select 1 from excluded_seeds as excluded
            where excluded.tenant_id = candidates.tenant_id and excluded.seed_id = member.seed_id
        )
        order by member.seed_id
    )                                                           as eligible_seed_ids,
    array(
        select distinct x
        from unnest(candidates.seed_ids) as member (seed_id)
        inner join excluded_seeds as excluded
            on excluded.tenant_id = candidates.tenant_id and excluded.seed_id = member.seed_id
        cross join lateral unnest(excluded.exclusions) as x
        order by x
    )                                                           as excluded_by
from candidates
