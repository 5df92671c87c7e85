-- Accounts a tenant had graded, live as `icp score` and the account_scores asset write them (the
-- mart icp_account_scores is refreshed by tenant runs). The crawled evidence itself stays in the
-- source; here its row count.
--
-- The scoring models are tagged `scoring`, not `shared` / `tenant`: the account_scores asset writes
-- their source after the cards, so they are a dbt asset of their own (dbt_scoring_models) that runs
-- after it. In the tenant models' asset they would close a loop (dbt -> suggestion_cards ->
-- account_scores -> dbt) that Dagster can only run by splitting that asset into steps.
{{ config(schema='staging', materialized='view', tags=['scoring'], post_hook="{{ invoker_view() }}") }}

select
    account_id::bigint                               as account_id,
    tenant_id::text                                  as tenant_id,
    name::text                                       as account_name,
    website::text                                    as website,
    domain::text                                     as domain,
    website_problem::text                            as website_problem,
    case when match_status = 'matched' then uen end  as uen,
    case when match_status = 'matched' then entity_name end as entity_name,
    match_status::text                               as match_status,
    match_method::text                               as match_method,
    match_score::double precision                    as match_score,
    crawl_status::text                               as crawl_status,
    (crawl_outcome ->> 'pages_fetched')::integer     as pages_fetched,
    crawl_attempted_at::timestamptz                  as crawl_attempted_at,
    last_success_at::timestamptz                     as last_success_at,
    stale::boolean                                   as is_stale,
    jsonb_array_length(evidence)                     as evidence_rows,
    grade::text                                      as grade,
    best_rule::text                                  as best_rule,
    graded_against::text                             as graded_against,
    matched::jsonb                                   as matched_attributes,
    missed::jsonb                                    as missed_attributes,
    unknown::jsonb                                   as unknown_attributes,
    evidence_urls::text[]                            as evidence_urls,
    submitted_at::timestamptz                        as submitted_at,
    graded_at::timestamptz                           as graded_at
from {{ source('icp', 'account_scores') }}
