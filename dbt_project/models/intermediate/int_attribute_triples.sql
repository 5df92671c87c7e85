-- 3-attribute clusters grown from int_attribute_pairs (apriori: all three sub-pairs must be
-- frequent), held by min_support_seeds(n) best customers.
-- lift = P(a,b,c) / (P(a) P(b) P(c)); lift_lower uses the Wilson lower bound of P(a,b,c).
-- icp_attribute_clusters shows the ones above the workflow's 25% support.
with pairs as (
    select * from {{ ref('int_attribute_pairs') }}
    where {{ tenant_filter('tenant_id') }}
),

grown as (
    select
        ab.tenant_id,
        ab.attribute_a,
        ab.attribute_b,
        ac.attribute_b                          as attribute_c,
        ab.namespace_a, ab.value_a, ab.namespace_b, ab.value_b,
        ac.namespace_b                          as namespace_c,
        ac.value_b                              as value_c,
        ab.seeds_total,
        ab.support_a, ab.support_b,
        ac.support_b                            as support_c,
        array(select unnest(ab.seed_ids) intersect select unnest(ac.seed_ids) order by 1) as seed_ids
    from pairs as ab
    inner join pairs as ac
        on ac.tenant_id = ab.tenant_id
       and ac.attribute_a = ab.attribute_a
       and ac.attribute_b > ab.attribute_b
    inner join pairs as bc
        on bc.tenant_id = ab.tenant_id
       and bc.attribute_a = ab.attribute_b
       and bc.attribute_b = ac.attribute_b
)

select
    tenant_id,
    md5(concat_ws('|', tenant_id, attribute_a, attribute_b, attribute_c))       as triple_id,
    attribute_a, attribute_b, attribute_c,
    namespace_a, value_a, namespace_b, value_b, namespace_c, value_c,
    cardinality(seed_ids)                                                       as seeds_with,
    seeds_total,
    cardinality(seed_ids)::double precision / seeds_total                       as support,
    (cardinality(seed_ids)::double precision / seeds_total) / (support_a * support_b * support_c) as lift,
    {{ wilson_lower('cardinality(seed_ids)', 'seeds_total') }} / (support_a * support_b * support_c) as lift_lower,
    seed_ids
from grown
where cardinality(seed_ids) >= {{ min_support_seeds('seeds_total') }}
