-- The card-count rule: at most 5 cards with >= 5 best customers, at most 2 (all reduced_evidence)
-- below that; ranks are 1..count; coverage within (0, 1]; a card of fewer than
-- card_confident_seeds customers is always reduced_evidence.
select tenant_id, count(*) as cards, max(rank) as max_rank
from {{ ref('icp_suggestions') }}
where {{ tenant_filter('tenant_id') }}
group by tenant_id
having count(*) > case when max(seeds_total) >= 5 then 5 else 2 end
    or max(rank) <> count(*)
    or bool_or(seed_coverage <= 0 or seed_coverage > 1)
    or bool_or(seeds_total < 5 and not reduced_evidence)
    or bool_or(seeds_covered < {{ var('card_confident_seeds') }} and not reduced_evidence)
