{{ config(meta={"dagster": {"ref": {"name": "icp_patterns"}}}) }}
-- Every pattern row of a tenant is backed by that tenant's own current seeds.
select p.tenant_id, p.namespace, p.attribute_key
from {{ ref('icp_patterns') }} as p
where {{ tenant_filter('p.tenant_id') }}
  and not exists (
    select 1
    from {{ ref('int_seed_attributes') }} as a
    where a.tenant_id = p.tenant_id
      and a.namespace = p.namespace
      and a.attribute_key = p.attribute_key
)
