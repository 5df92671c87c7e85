-- No tenant has more than 5 cards; ranks are 1..count; coverage is within (0, 1].
select tenant_id, count(*) as cards, max(rank) as max_rank
from {{ ref('icp_suggestions') }}
group by tenant_id
having count(*) > 5
    or max(rank) <> count(*)
    or bool_or(seed_coverage <= 0 or seed_coverage > 1)
