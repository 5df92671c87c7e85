-- Supports are shares: always within [0, 1], and k never exceeds n.
select tenant_id, namespace, attribute_value, support, churned_support
from {{ ref('icp_patterns') }}
where {{ tenant_filter('tenant_id') }}
  and (support not between 0 and 1
   or churned_support not between 0 and 1
   or support_lower > support + 1e-9
   or seeds_with > seeds_total
   or churned_with > coalesce(churned_total, 0))
