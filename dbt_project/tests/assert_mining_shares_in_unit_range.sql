-- Pair / cluster supports are shares within (0, 1], never above either attribute's support.
select tenant_id, pair_id as id, support from {{ ref('int_attribute_pairs') }}
where {{ tenant_filter('tenant_id') }}
  and (support <= 0 or support > 1 or support > support_a + 1e-9 or support > support_b + 1e-9 or lift_lower > lift)
union all
select tenant_id, triple_id, support from {{ ref('int_attribute_triples') }}
where {{ tenant_filter('tenant_id') }} and (support <= 0 or support > 1 or lift_lower > lift)
