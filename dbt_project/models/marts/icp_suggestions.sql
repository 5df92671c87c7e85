-- Micro-ICP suggestion cards.
--
-- 1. Candidate segments are the SSIC groups (3 digits) of the tenant's best seeds. Each best seed
--    is assigned to one group (its most populated one), so cards cover different seeds.
-- 2. A group becomes a card when at least 2 best seeds share it; at most 5 cards when the
--    tenant named >= 5 best seeds, else at most 2 cards flagged reduced_evidence.
-- 3. The card takes the integrations, buyer titles, industries and size band held by at least
--    half of its seeds; champion titles fall back to the intake's declared champion titles.
-- 4. negative_flags: the card's attributes also seen among churned customers.
{% set card_namespaces = "('integration', 'buyer_title', 'size_band', 'industry_served')" %}

with seeds as (
    select * from {{ ref('int_current_seeds') }}
    where {{ tenant_filter('tenant_id') }}
),

attrs as (
    select * from {{ ref('int_seed_attributes') }}
    where {{ tenant_filter('tenant_id') }} and kind = 'best'
),

patterns as (
    select * from {{ ref('icp_patterns') }}
    where {{ tenant_filter('tenant_id') }}
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

totals as (
    select tenant_id, max(response_id) as response_id, count(*) filter (where seed_kind = 'best') as seeds_total
    from seeds
    group by tenant_id
),

seed_groups as (
    select attrs.tenant_id, attrs.seed_id, attrs.attribute_value as ssic_group,
           count(*) over (partition by attrs.tenant_id, attrs.attribute_value) as group_size
    from attrs
    where attrs.namespace = 'ssic3'
),

assigned as (
    select distinct on (tenant_id, seed_id) tenant_id, seed_id, ssic_group
    from seed_groups
    order by tenant_id, seed_id, group_size desc, ssic_group
),

candidates as (
    select
        assigned.tenant_id,
        assigned.ssic_group,
        count(*)                                   as seeds_covered,
        array_agg(assigned.seed_id order by assigned.seed_id) as seed_ids
    from assigned
    group by assigned.tenant_id, assigned.ssic_group
    having count(*) >= 2
),

ranked as (
    select
        candidates.*,
        totals.response_id,
        totals.seeds_total,
        group_pattern.ssic_title                   as ssic_group_title,
        group_pattern.lift,
        row_number() over (
            partition by candidates.tenant_id
            order by candidates.seeds_covered desc, group_pattern.lift desc nulls last, candidates.ssic_group
        )                                          as card_rank
    from candidates
    inner join totals on totals.tenant_id = candidates.tenant_id
    left join patterns as group_pattern
        on group_pattern.tenant_id = candidates.tenant_id
       and group_pattern.namespace = 'ssic3'
       and group_pattern.attribute_value = candidates.ssic_group
),

cards as (
    select *, seeds_total < 5 as thin
    from ranked
    where card_rank <= case when seeds_total >= 5 then 5 else 2 end
),

card_seeds as (
    select cards.tenant_id, cards.ssic_group, unnest(cards.seed_ids) as seed_id
    from cards
),

-- Attributes of a card's seeds, with how many of the card's seeds hold each.
card_attrs as (
    select
        card_seeds.tenant_id,
        card_seeds.ssic_group,
        attrs.namespace,
        attrs.attribute_key,
        mode() within group (order by attrs.attribute_value) as attribute_value,
        count(distinct attrs.seed_id)                        as seeds_with,
        sum(attrs.evidence_count)                            as evidence_count,
        array_agg(distinct u order by u) filter (where u is not null) as urls
    from card_seeds
    inner join attrs
        on attrs.tenant_id = card_seeds.tenant_id
       and attrs.seed_id = card_seeds.seed_id
    left join lateral unnest(attrs.evidence_urls) as u on true
    group by card_seeds.tenant_id, card_seeds.ssic_group, attrs.namespace, attrs.attribute_key
),

-- Held by at least half of the card's seeds.
kept as (
    select
        card_attrs.*,
        cards.seeds_covered,
        tenant_wide.seeds_with as tenant_seeds_with,
        row_number() over (
            partition by card_attrs.tenant_id, card_attrs.ssic_group, card_attrs.namespace
            order by card_attrs.seeds_with desc, tenant_wide.declared_in_intake desc nulls last,
                     tenant_wide.seeds_with asc, card_attrs.evidence_count desc,
                     card_attrs.attribute_value
        ) as pick
    from card_attrs
    inner join cards
        on cards.tenant_id = card_attrs.tenant_id
       and cards.ssic_group = card_attrs.ssic_group
    left join patterns as tenant_wide
        on tenant_wide.tenant_id = card_attrs.tenant_id
       and tenant_wide.namespace = card_attrs.namespace
       and lower(tenant_wide.attribute_value) = card_attrs.attribute_key
    where card_attrs.namespace in {{ card_namespaces }}
      and card_attrs.seeds_with * 2 >= cards.seeds_covered
),

ssic_attrs as (
    select card_attrs.*
    from card_attrs
    where card_attrs.namespace = 'ssic5'
),

ssic_lists as (
    select
        ssic_attrs.tenant_id,
        ssic_attrs.ssic_group,
        array_agg(ssic_attrs.attribute_value order by ssic_attrs.attribute_value) as ssic_codes,
        array_agg(coalesce(p.ssic_title, ssic_attrs.attribute_value) order by ssic_attrs.attribute_value) as ssic_titles,
        sum(ssic_attrs.evidence_count) as evidence_count
    from ssic_attrs
    left join patterns as p
        on p.tenant_id = ssic_attrs.tenant_id
       and p.namespace = 'ssic5'
       and p.attribute_value = ssic_attrs.attribute_value
    group by ssic_attrs.tenant_id, ssic_attrs.ssic_group
),

kept_lists as (
    select
        tenant_id,
        ssic_group,
        array_agg(attribute_value order by pick)
            filter (where namespace = 'integration' and pick <= 4)            as integrations,
        array_agg(attribute_value order by attribute_value)
            filter (where namespace = 'integration' and pick <= 4)            as integrations_sorted,
        array_agg(attribute_value order by pick)
            filter (where namespace = 'buyer_title' and pick <= 3)            as observed_titles,
        max(attribute_value) filter (where namespace = 'size_band' and pick = 1)      as headcount_band,
        max(attribute_value) filter (where namespace = 'industry_served' and pick = 1) as industry,
        sum(evidence_count) filter (where namespace in ('integration', 'size_band')
                                       or (namespace = 'buyer_title' and pick <= 3)) as evidence_count,
        string_agg(
            format('%s seen on %s of them (%s)', attribute_value, seeds_with,
                   array_to_string((array(
                       select regexp_replace(x, '^https?://(www\.)?', '') from unnest(urls) as x
                   ))[1:2], ', ')
                   || case when cardinality(urls) > 2 then ' ...' else '' end),
            '; ' order by pick
        ) filter (where namespace = 'integration' and pick <= 4)              as integration_text,
        max(format('%s of %s have %s staff', seeds_with, seeds_covered, attribute_value))
            filter (where namespace = 'size_band' and pick = 1)               as size_text,
        string_agg(format('%s (%s)', attribute_value, seeds_with), ', ' order by pick)
            filter (where namespace = 'buyer_title' and pick <= 3)            as title_text
    from kept
    group by tenant_id, ssic_group
),

seed_names as (
    select card_seeds.tenant_id, card_seeds.ssic_group,
           array_agg(seeds.seed_name order by seeds.seed_name) as seed_names,
           bool_or(seeds.crawl_reduced_evidence) as any_crawl_reduced
    from card_seeds
    inner join seeds on seeds.tenant_id = card_seeds.tenant_id and seeds.seed_id = card_seeds.seed_id
    group by card_seeds.tenant_id, card_seeds.ssic_group
),

-- Card attributes that churned customers also had.
flags as (
    select
        cards.tenant_id,
        cards.ssic_group,
        array_agg(
            format('%s %s also seen at %s of %s churned customers (%s)',
                   case p.namespace when 'size_band' then 'Size' when 'integration' then 'Integration'
                        when 'buyer_title' then 'Title' when 'industry_served' then 'Industry'
                        else 'SSIC' end,
                   p.attribute_value, p.churned_with, p.churned_total, array_to_string(p.churned_seed_names, ', '))
            order by p.churned_with desc, p.namespace, p.attribute_value
        ) as negative_flags
    from cards
    inner join patterns as p
        on p.tenant_id = cards.tenant_id
       and p.churned_with > 0
       and (
            (p.namespace = 'ssic3' and p.attribute_value = cards.ssic_group)
            or exists (
                select 1 from kept
                where kept.tenant_id = cards.tenant_id and kept.ssic_group = cards.ssic_group
                  and kept.namespace = p.namespace and kept.attribute_key = lower(p.attribute_value)
                  and (kept.namespace <> 'buyer_title' or kept.pick <= 3)
                  and (kept.namespace <> 'integration' or kept.pick <= 4)
                  and (kept.namespace not in ('size_band', 'industry_served') or kept.pick = 1)
            )
       )
    group by cards.tenant_id, cards.ssic_group
),

vendor_integrations as (
    select intake.tenant_id, array_agg(distinct ev.signal_label order by ev.signal_label) as labels
    from intake
    inner join {{ ref('stg_icp__evidence') }} as ev
        on ev.tenant_id = intake.tenant_id
       and ev.company_id = intake.vendor_company_id
       and ev.signal_key = 'integration'
    where {{ tenant_filter('ev.tenant_id') }}
    group by intake.tenant_id
),

assembled as (
    select
        cards.tenant_id,
        cards.response_id,
        cards.card_rank                                           as rank,
        cards.ssic_group,
        cards.ssic_group_title,
        coalesce(ssic_lists.ssic_codes, '{}')                     as ssic_codes,
        coalesce(ssic_lists.ssic_titles, '{}')                    as ssic_titles,
        kept_lists.headcount_band,
        coalesce(kept_lists.integrations, '{}')                   as integrations,
        coalesce(kept_lists.integrations_sorted, '{}')            as integrations_sorted,
        coalesce(kept_lists.observed_titles, intake.declared_champion_titles, '{}') as champion_titles,
        kept_lists.observed_titles is null                        as champion_titles_declared,
        kept_lists.industry,
        (coalesce(ssic_lists.evidence_count, 0) + coalesce(kept_lists.evidence_count, 0))::bigint as evidence_count,
        cards.seeds_covered,
        cards.seeds_total,
        cards.seeds_covered::double precision / cards.seeds_total as seed_coverage,
        cards.lift,
        seed_names.seed_names,
        kept_lists.integration_text,
        kept_lists.size_text,
        kept_lists.title_text,
        array(
            select x from unnest(coalesce(kept_lists.integrations, '{}')) as x
            where lower(x) in (select lower(v) from unnest(vendor_integrations.labels) as v)
        )                                                         as vendor_confirmed,
        coalesce(flags.negative_flags, '{}')                      as negative_flags,
        cards.thin
            or seed_names.any_crawl_reduced
            or kept_lists.evidence_count is null                  as reduced_evidence
    from cards
    left join ssic_lists on ssic_lists.tenant_id = cards.tenant_id and ssic_lists.ssic_group = cards.ssic_group
    left join kept_lists on kept_lists.tenant_id = cards.tenant_id and kept_lists.ssic_group = cards.ssic_group
    left join seed_names on seed_names.tenant_id = cards.tenant_id and seed_names.ssic_group = cards.ssic_group
    left join flags on flags.tenant_id = cards.tenant_id and flags.ssic_group = cards.ssic_group
    left join intake on intake.tenant_id = cards.tenant_id
    left join vendor_integrations on vendor_integrations.tenant_id = cards.tenant_id
)

select
    tenant_id,
    response_id,
    md5(concat_ws('|', tenant_id, ssic_group, coalesce(headcount_band, ''),
                  array_to_string(integrations_sorted, ',')))      as suggestion_id,
    rank,
    concat(
        initcap(left(coalesce(industry, ssic_group_title, 'SSIC ' || ssic_group), 1))
            || substr(coalesce(industry, ssic_group_title, 'SSIC ' || ssic_group), 2),
        ' companies',
        case when headcount_band is not null then format(' (%s staff)', headcount_band) end,
        case when cardinality(integrations) > 0 then ' on ' || array_to_string(integrations, ' + ') end
    )                                                             as title,
    ssic_group,
    ssic_group_title,
    ssic_codes,
    ssic_titles,
    headcount_band,
    integrations,
    champion_titles,
    evidence_count,
    seeds_covered,
    seeds_total,
    seed_coverage,
    lift,
    seed_names,
    concat_ws('; ',
        format('%s of %s best customers are in SSIC %s %s (%s)', seeds_covered, seeds_total, ssic_group,
               coalesce(ssic_group_title, ''), array_to_string(seed_names, ', ')),
        case when lift is not null
             then format('%sx as common as among live ACRA companies', round(lift::numeric, 1)) end,
        integration_text,
        case when cardinality(vendor_confirmed) > 0
             then format('the vendor''s own site lists %s', array_to_string(vendor_confirmed, ', ')) end,
        size_text,
        case when title_text is not null then 'buyer titles seen: ' || title_text
             when cardinality(champion_titles) > 0
             then 'champion titles as declared in the intake: ' || array_to_string(champion_titles, ', ') end
    )                                                             as rationale,
    negative_flags,
    reduced_evidence
from assembled
