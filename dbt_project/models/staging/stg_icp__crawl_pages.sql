select
    page_id::bigint          as page_id,
    company_id::bigint       as company_id,
    url::text                as page_url,
    page_type::text          as page_type,
    http_status::integer     as http_status,
    title::text              as page_title,
    content_hash::text       as content_hash,
    fetched_at::timestamptz  as fetched_at
from {{ source('icp', 'crawl_pages') }}
