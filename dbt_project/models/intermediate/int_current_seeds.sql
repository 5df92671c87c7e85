-- The seeds (best and lost customers) of each tenant's current intake, with their company,
-- their registry match and whether the tenant's crawl of the seed's site came back thin.
select
    seeds.tenant_id,
    seeds.response_id,
    seeds.seed_id,
    seeds.seed_kind,
    seeds.seed_name,
    seeds.seed_domain,
    seeds.churn_reason,
    seeds.company_id,
    companies.company_name,
    companies.company_domain,
    coalesce(matches.match_status, 'unmatched')  as match_status,
    matches.match_method,
    matches.match_score,
    matches.uen,
    matches.matched_entity_name,
    coalesce(outcomes.is_reduced_evidence, outcomes.company_id is null) as crawl_reduced_evidence
from {{ ref('stg_icp__customer_seeds') }} as seeds
inner join {{ ref('int_current_intake') }} as intake
    on intake.tenant_id = seeds.tenant_id
   and intake.response_id = seeds.response_id
left join {{ ref('stg_icp__companies') }} as companies
    on companies.company_id = seeds.company_id
left join {{ ref('stg_icp__seed_matches') }} as matches
    on matches.seed_id = seeds.seed_id
   and matches.tenant_id = seeds.tenant_id
left join {{ ref('stg_icp__crawl_outcomes') }} as outcomes
    on outcomes.tenant_id = seeds.tenant_id
   and outcomes.company_id = seeds.company_id
where {{ tenant_filter('seeds.tenant_id') }}
  and {{ tenant_filter('intake.tenant_id') }}
