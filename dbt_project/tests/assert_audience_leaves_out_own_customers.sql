{{ config(meta={"dagster": {"ref": {"name": "icp_audience"}}}) }}
-- A lookalike audience never samples the tenant's own customers or churned accounts.
select a.tenant_id, a.suggestion_id, s.seed_name, s.uen
from {{ ref('icp_audience') }} as a
cross join jsonb_array_elements(a.sample) as e
inner join {{ ref('int_current_seeds') }} as s
    on s.tenant_id = a.tenant_id and s.match_status = 'matched' and s.uen = e ->> 'uen'
where {{ tenant_filter('a.tenant_id') }}
