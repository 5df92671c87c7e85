-- The ICP analysis workflow's pairs: two attributes held together by >= pair_min_support (30%)
-- of a tenant's best customers, ranked by lift = P(a,b) / (P(a) P(b)).
select
    tenant_id, pair_id, namespace_a, value_a, namespace_b, value_b,
    seeds_with, seeds_total, support, support_a, support_b, lift, lift_lower,
    row_number() over (partition by tenant_id order by lift desc, seeds_with desc, pair_id) as rank
from {{ ref('int_attribute_pairs') }}
where {{ tenant_filter('tenant_id') }}
  and support >= {{ var('pair_min_support') }}
