select
    evidence_id::bigint             as evidence_id,
    tenant_id::text                 as tenant_id,
    company_id::bigint              as company_id,
    signal_key::text                as signal_key,
    value::jsonb                    as signal_value,
    nullif(trim(value ->> 'label'), '')::text as signal_label,
    source::text                    as evidence_source,
    url::text                       as source_url,
    page_type::text                 as page_type,
    snippet::text                   as snippet,
    confidence::double precision    as confidence,
    observed_at::timestamptz        as observed_at
from {{ source('icp', 'icp_evidence') }}
