-- AND never finds more companies than OR; samples hold at most 10 rows.
select tenant_id, suggestion_id from {{ ref('icp_audience') }}
where {{ tenant_filter('tenant_id') }}
  and (precision_total > reach_total or precision_total < 0 or jsonb_array_length(sample) > 10)
