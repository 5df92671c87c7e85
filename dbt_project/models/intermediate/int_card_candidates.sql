-- Candidate micro-ICP segments: every frequent pair and 3-attribute cluster whose attributes
-- co-occur at least card_min_lift times more often than chance. icp_suggestions picks cards
-- from these greedily. attributes: 'namespace:key' ids; labels: display values, same order.
-- specificity breaks ties between clusters of the same customers: the finer SSIC level wins, and
-- a postal district (customers' co-location, not a market) loses.
select
    tenant_id, pair_id as candidate_id, 2 as size,
    array[attribute_a, attribute_b]                          as attributes,
    array[namespace_a, namespace_b]                          as namespaces,
    array[value_a, value_b]                                  as labels,
    (select coalesce(sum(case ns when 'ssic5' then 4 when 'ssic3' then 3 when 'ssic2' then 2
                                 when 'ssic_section' then 1 when 'geo' then -2 else 0 end), 0)
       from unnest(array[namespace_a, namespace_b]) as ns)                     as specificity,
    seeds_with, seeds_total, support, lift, lift_lower, seed_ids
from {{ ref('int_attribute_pairs') }}
where {{ tenant_filter('tenant_id') }} and lift >= {{ var('card_min_lift') }}
union all
select
    tenant_id, triple_id, 3,
    array[attribute_a, attribute_b, attribute_c],
    array[namespace_a, namespace_b, namespace_c],
    array[value_a, value_b, value_c],
    (select coalesce(sum(case ns when 'ssic5' then 4 when 'ssic3' then 3 when 'ssic2' then 2
                                 when 'ssic_section' then 1 when 'geo' then -2 else 0 end), 0)
       from unnest(array[namespace_a, namespace_b, namespace_c]) as ns)                     as specificity,
    seeds_with, seeds_total, support, lift, lift_lower, seed_ids
from {{ ref('int_attribute_triples') }}
where {{ tenant_filter('tenant_id') }} and lift >= {{ var('card_min_lift') }}
