select
    company_id::bigint         as company_id,
    lower(domain)::text        as company_domain,
    name::text                 as company_name,
    website::text              as company_website,
    created_at::timestamptz    as company_created_at
from {{ source('icp', 'companies') }}
