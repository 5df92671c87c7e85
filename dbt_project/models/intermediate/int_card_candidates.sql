-- Candidate micro-ICP segments: every frequent pair and 3-attribute cluster whose attributes
-- co-occur at least card_min_lift times more often than chance. icp_suggestions picks cards
-- from these greedily. attributes: 'namespace:key' ids; labels: display values, same order.
-- specificity (summed from the attribute_namespaces seed) breaks ties between clusters of the
-- same customers: the finer SSIC level wins, and a postal district (co-location, not a market) loses.
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
)

select
    tenant_id, candidate_id, size, attributes, namespaces, labels,
    (select coalesce(sum(ns.specificity), 0)
       from unnest(candidates.namespaces) as n (namespace)
       inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = n.namespace) as specificity,
    seeds_with, seeds_total, support, lift, lift_lower, seed_ids
from candidates
