-- Cards of one tenant never share a best customer.
select tenant_id, seed_name, count(*) as cards
from {{ ref('icp_suggestions') }}, unnest(seed_names) as seed_name
where {{ tenant_filter('tenant_id') }}
group by tenant_id, seed_name
having count(*) > 1
