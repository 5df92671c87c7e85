-- What changed in each tenant's cards with its current intake, against its previous intake with
-- cards (the latest earlier intake icp_suggestion_history holds cards of): one row per card that
-- appeared, disappeared or changed. Cards are matched by their cluster of defining attributes,
-- never by rank or title. A matched card changed when one of these differs: coverage (k of n best
-- customers), lift to 0.1, audience size, SSIC codes, size band, integrations, champion titles
-- (lists as sets) -- the rules of `icp suggestions --compare` (icp_assets/domain/cards/compare.py).
-- A tenant's first intake with cards: every card appeared, previous_response_id is null.
with intake as (
    select tenant_id, response_id from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

history as (
    select * from {{ ref('icp_suggestion_history') }}
    where {{ tenant_filter('tenant_id') }}
),

previous as (
    select intake.tenant_id, max(history.response_id) as response_id
    from intake
    inner join history
        on history.tenant_id = intake.tenant_id
       and history.response_id < intake.response_id
    group by intake.tenant_id
),

now_cards as (
    select history.*
    from history
    inner join intake on intake.tenant_id = history.tenant_id and intake.response_id = history.response_id
),

before_cards as (
    select history.*
    from history
    inner join previous on previous.tenant_id = history.tenant_id and previous.response_id = history.response_id
),

paired as (
    select
        coalesce(now_cards.tenant_id, before_cards.tenant_id)               as tenant_id,
        coalesce(now_cards.cluster, before_cards.cluster)                   as cluster,
        coalesce(now_cards.suggestion_id, before_cards.suggestion_id)       as suggestion_id,
        now_cards.suggestion_id is not null                                 as is_now,
        before_cards.suggestion_id is not null                              as was_before,
        now_cards.title, before_cards.title                                 as previous_title,
        now_cards.rank, before_cards.rank                                   as previous_rank,
        now_cards.seeds_covered, before_cards.seeds_covered                 as previous_seeds_covered,
        now_cards.seeds_total, before_cards.seeds_total                     as previous_seeds_total,
        now_cards.lift, before_cards.lift                                   as previous_lift,
        now_cards.audience_size, before_cards.audience_size                 as previous_audience_size,
        array_remove(array[
            case when (now_cards.seeds_covered, now_cards.seeds_total)
                      is distinct from (before_cards.seeds_covered, before_cards.seeds_total)
                 then 'coverage' end,
            case when round(now_cards.lift::numeric, 1) is distinct from round(before_cards.lift::numeric, 1)
                 then 'lift' end,
            case when now_cards.audience_size is distinct from before_cards.audience_size
                 then 'audience_size' end,
            case when array(select distinct v from unnest(now_cards.ssic_codes) as v order by v)
                      <> array(select distinct v from unnest(before_cards.ssic_codes) as v order by v)
                 then 'ssic_codes' end,
            case when now_cards.headcount_band is distinct from before_cards.headcount_band
                 then 'headcount_band' end,
            case when array(select distinct v from unnest(now_cards.integrations) as v order by v)
                      <> array(select distinct v from unnest(before_cards.integrations) as v order by v)
                 then 'integrations' end,
            case when array(select distinct v from unnest(now_cards.champion_titles) as v order by v)
                      <> array(select distinct v from unnest(before_cards.champion_titles) as v order by v)
                 then 'champion_titles' end
        ], null)                                                            as differences
    from now_cards
    full outer join before_cards
        on before_cards.tenant_id = now_cards.tenant_id
       and before_cards.cluster = now_cards.cluster
),

classified as (
    select
        paired.*,
        case when not was_before then 'appeared'
             when not is_now then 'disappeared'
             when cardinality(differences) > 0 then 'changed'
        end as change
    from paired
)

select
    classified.tenant_id,
    intake.response_id,
    previous.response_id                                               as previous_response_id,
    classified.suggestion_id,
    classified.cluster,
    classified.change,
    case when classified.change = 'changed' then classified.differences else '{}' end as changed_fields,
    coalesce(classified.title, classified.previous_title)              as title,
    classified.rank,
    classified.previous_rank,
    classified.seeds_covered,
    classified.previous_seeds_covered,
    classified.seeds_total,
    classified.previous_seeds_total,
    classified.lift,
    classified.previous_lift,
    classified.audience_size,
    classified.previous_audience_size
from classified
inner join intake on intake.tenant_id = classified.tenant_id
left join previous on previous.tenant_id = classified.tenant_id
where classified.change is not null
