select
    response_id::bigint          as response_id,
    tenant_id::text              as tenant_id,
    submitted_by::text           as submitted_by,
    website::text                as vendor_website,
    lower(website_domain)::text  as vendor_domain,
    answers::jsonb               as answers,
    submitted_at::timestamptz    as submitted_at
from {{ source('icp', 'icp_intake_responses') }}
