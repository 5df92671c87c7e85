select
    tenant_id::text              as tenant_id,
    company_id::bigint           as company_id,
    site_url::text               as site_url,
    pages_fetched::integer       as pages_fetched,
    robots_refused::integer      as robots_refused,
    http_errors::integer         as http_errors,
    timeouts::integer            as timeouts,
    refused_by_policy::integer   as refused_by_policy,
    reduced_evidence::boolean    as is_reduced_evidence,
    stale::boolean               as is_stale,
    last_success_at::timestamptz as last_success_at,
    crawled_at::timestamptz      as crawled_at
from {{ source('icp', 'crawl_outcomes') }}
