select
    tenant_id::text              as tenant_id,
    created_at::timestamptz      as tenant_created_at
from {{ source('icp', 'tenants') }}
