-- The ICP analysis workflow's 3-attribute clusters: held together by >= triple_min_support (25%)
-- of a tenant's best customers, ranked by lift = P(a,b,c) / (P(a) P(b) P(c)).
select
    tenant_id, triple_id as cluster_id, namespace_a, value_a, namespace_b, value_b, namespace_c, value_c,
    seeds_with, seeds_total, support, lift, lift_lower,
    row_number() over (partition by tenant_id order by lift desc, seeds_with desc, triple_id) as rank
from {{ ref('int_attribute_triples') }}
where {{ tenant_filter('tenant_id') }}
  and support >= {{ var('triple_min_support') }}
