select
    seed_id::bigint      as seed_id,
    response_id::bigint  as response_id,
    tenant_id::text      as tenant_id,
    kind::text           as seed_kind,
    name::text           as seed_name,
    website::text        as seed_website,
    lower(domain)::text  as seed_domain,
    reason::text         as churn_reason,
    company_id::bigint   as company_id
from {{ source('icp', 'customer_seeds') }}
