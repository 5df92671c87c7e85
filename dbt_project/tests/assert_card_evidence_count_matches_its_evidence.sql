{{ config(meta={"dagster": {"ref": {"name": "icp_suggestions"}}}) }}
-- A card's evidence_count is the number of evidence rows behind what it shows, counted from the
-- seed attributes of its customers: their SSIC subclasses, and the integrations, size band and
-- observed buyer titles on the card (a title counts when at least half of them hold it: declared
-- fallback titles have no evidence). Catches row fan-out and attributes counted but not shown.
with cards as (
    select tenant_id, rank, seed_names, seeds_covered, evidence_count,
           integrations, champion_titles, headcount_band
    from {{ ref('icp_suggestions') }}
    where {{ tenant_filter('tenant_id') }}
),

behind as (
    select cards.tenant_id, cards.rank, a.namespace, a.attribute_key,
           count(*) as seeds_with, sum(a.evidence_count) as evidence_rows
    from cards
    cross join unnest(cards.seed_names) as n (seed_name)
    inner join {{ ref('int_current_seeds') }} as s
        on s.tenant_id = cards.tenant_id and s.seed_kind = 'best' and s.seed_name = n.seed_name
    inner join {{ ref('int_seed_attributes') }} as a
        on a.tenant_id = s.tenant_id and a.seed_id = s.seed_id and not a.is_declared
    group by cards.tenant_id, cards.rank, a.namespace, a.attribute_key
),

recounted as (
    select
        cards.tenant_id, cards.rank, cards.evidence_count,
        coalesce(sum(behind.evidence_rows) filter (where
            behind.namespace = 'ssic5'
            or (behind.namespace = 'integration'
                and behind.attribute_key in (select lower(x) from unnest(cards.integrations) as x))
            or (behind.namespace = 'size_band' and behind.attribute_key = cards.headcount_band)
            or (behind.namespace = 'buyer_title' and behind.seeds_with * 2 >= cards.seeds_covered
                and behind.attribute_key in (select lower(x) from unnest(cards.champion_titles) as x))
        ), 0) as evidence_rows
    from cards
    left join behind on behind.tenant_id = cards.tenant_id and behind.rank = cards.rank
    group by cards.tenant_id, cards.rank, cards.evidence_count
)

select * from recounted where evidence_count <> evidence_rows
