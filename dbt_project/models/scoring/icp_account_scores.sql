-- One row per account a tenant had graded: its grade against the tenant's accepted rules (or its
-- cards), the rule it fits best, and the attributes matched, missed and unknown in words with the
-- URL or ACRA field behind each, beside the ACRA entity it matched. Rebuilt by every tenant run,
-- after the account_scores asset regraded the accounts; stg_icp__account_scores is the live view.
-- Configured as the marts folder's models are (tenant-scoped incremental, row-level security).
{{ config(
    schema='marts',
    tags=['scoring'],
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=["{{ tenant_scope_cleanup() }}", "{{ full_build_planner() }}"],
    post_hook="{{ tenant_index() }}; {{ tenant_isolation() }}",
) }}

with accounts as (
    select * from {{ ref('stg_icp__account_scores') }}
    where {{ tenant_filter('tenant_id') }}
),

entities as (
    select * from {{ ref('stg_registry__acra_entities') }}
),

ssic as (
    select * from {{ ref('stg_registry__ssic_codes') }}
)

select
    accounts.tenant_id,
    accounts.account_id,
    accounts.account_name,
    accounts.website,
    accounts.domain,
    accounts.uen,
    entities.entity_name,
    entities.entity_status,
    entities.primary_ssic_code                                          as ssic_code,
    coalesce(ssic.ssic_title, entities.primary_ssic_description)        as ssic_title,
    accounts.match_status,
    accounts.crawl_status,
    accounts.website_problem,
    accounts.last_success_at                                            as crawled_at,
    accounts.is_stale                                                   as crawl_evidence_is_stale,
    coalesce(accounts.grade, 'unknown')                                 as grade,
    accounts.best_rule,
    accounts.graded_against,
    jsonb_array_length(accounts.matched_attributes)                     as matched_count,
    jsonb_array_length(accounts.missed_attributes)                      as missed_count,
    jsonb_array_length(accounts.unknown_attributes)                     as unknown_count,
    array(
        select format('%s = %s (%s)', m ->> 'attribute', m ->> 'value', m ->> 'source')
        from jsonb_array_elements(accounts.matched_attributes) with ordinality as x (m, n) order by n
    )                                                                   as matched,
    array(
        select format('%s, found %s (%s)', m ->> 'attribute', m ->> 'value', m ->> 'source')
        from jsonb_array_elements(accounts.missed_attributes) with ordinality as x (m, n) order by n
    )                                                                   as missed,
    array(
        select format('%s: %s', u ->> 'attribute', u ->> 'reason')
        from jsonb_array_elements(accounts.unknown_attributes) with ordinality as x (u, n) order by n
    )                                                                   as unknown,
    accounts.evidence_urls,
    accounts.graded_at
from accounts
left join entities on entities.uen = accounts.uen
left join ssic on ssic.ssic_code = entities.primary_ssic_code
