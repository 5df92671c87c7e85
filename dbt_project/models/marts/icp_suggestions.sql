-- Micro-ICP suggestion cards.
--
-- 1. Candidates are the attribute pairs and 3-attribute clusters of int_card_candidates
--    (conjunctive segments: e.g. SSIC group 521 AND NetSuite AND Salesforce).
-- 2. Cards are picked greedily: the candidate with the best score = Wilson lower bound of its
--    share of not-yet-covered best customers x ln(lift); its customers are then taken, so cards
--    cover different customers. A pick needs min_support_seeds(n) uncovered customers.
--    At most 5 cards when the intake named >= 5 best customers, else at most 2. Customers under
--    the intake's declared exclusions are never counted (int_card_candidates.eligible_seed_ids):
--    a candidate with an excluded defining attribute has none left and is never picked, so
--    another candidate takes its place, and no card shows an excluded customer.
-- 3. A card is reduced_evidence when the intake named < 5 best customers, it covers fewer than
--    max(card_confident_seeds, card_confident_support * n) customers, its lift's Wilson lower bound is under card_min_lift_lower,
--    or a crawl of its customers was blocked / missing. Nothing co-occurring: no card at all.
-- 4. The card takes the integrations, buyer titles, industries and size band held by at least
--    half of its customers (its defining attributes first); champion titles fall back to the
--    intake's declared ones. negative_flags: its attributes also seen among churned customers,
--    led, when the intake names a price floor, by a budget flag: churned customers who left over
--    price and share an attribute with the card.
{% set card_namespaces = "('integration', 'buyer_title', 'size_band', 'industry_served')" %}

with recursive seeds as (
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

picks as (
    select intake.tenant_id, intake.seeds_total, 1 as rank, best.candidate_id, best.new_seeds as seed_ids,
           best.new_seeds as covered
    from intake
    cross join lateral (
        select c.candidate_id, c.eligible_seed_ids as new_seeds
        from {{ ref('int_card_candidates') }} as c
        where c.tenant_id = intake.tenant_id
          and cardinality(c.eligible_seed_ids) >= {{ min_support_seeds('intake.seeds_total') }}
        order by {{ wilson_lower('cardinality(c.eligible_seed_ids)', 'intake.seeds_total') }} * ln(c.lift) desc,
                 c.specificity desc, c.candidate_id
        limit 1
    ) as best
    union all
    select picks.tenant_id, picks.seeds_total, picks.rank + 1, best.candidate_id, best.new_seeds,
           picks.covered || best.new_seeds
    from picks
    cross join lateral (
        select c.candidate_id, fresh.new_seeds
        from {{ ref('int_card_candidates') }} as c
        cross join lateral (
            select array(select unnest(c.eligible_seed_ids) except select unnest(picks.covered) order by 1) as new_seeds
        ) as fresh
        where c.tenant_id = picks.tenant_id
          and cardinality(fresh.new_seeds) >= {{ min_support_seeds('picks.seeds_total') }}
        order by {{ wilson_lower('cardinality(fresh.new_seeds)', 'picks.seeds_total') }} * ln(c.lift) desc,
                 c.specificity desc, c.candidate_id
        limit 1
    ) as best
    where picks.rank < case when picks.seeds_total >= 5 then 5 else 2 end
),

cards as (
    select
        picks.tenant_id,
        picks.rank,
        picks.seed_ids,
        cardinality(picks.seed_ids)              as seeds_covered,
        intake.seeds_total,
        intake.response_id,
        c.attributes                             as cluster,
        c.namespaces                             as cluster_namespaces,
        c.labels                                 as cluster_labels,
        c.lift,
        c.lift_lower,
        intake.seeds_total < 5
            or cardinality(picks.seed_ids) < greatest({{ var('card_confident_seeds') }},
                                                      ceil({{ var('card_confident_support') }} * intake.seeds_total))
            or c.lift_lower < {{ var('card_min_lift_lower') }} as thin
    from picks
    inner join {{ ref('int_card_candidates') }} as c
        on c.tenant_id = picks.tenant_id and c.candidate_id = picks.candidate_id
    inner join intake on intake.tenant_id = picks.tenant_id
),

card_seeds as (
    select cards.tenant_id, cards.rank, unnest(cards.seed_ids) as seed_id
    from cards
),

-- Attributes of a card's seeds, with how many of the card's seeds hold each and the evidence
-- rows behind them.
card_attrs as (
    select
        card_seeds.tenant_id,
        card_seeds.rank,
        attrs.namespace,
        attrs.attribute_key,
        mode() within group (order by attrs.attribute_value) as attribute_value,
        count(distinct attrs.seed_id)                        as seeds_with,
        sum(attrs.evidence_count)                            as evidence_count
    from card_seeds
    inner join attrs
        on attrs.tenant_id = card_seeds.tenant_id
       and attrs.seed_id = card_seeds.seed_id
       and not attrs.is_declared
    group by card_seeds.tenant_id, card_seeds.rank, attrs.namespace, attrs.attribute_key
),

-- Their pages, apart: unnesting URLs next to the counts would repeat each row once per URL.
card_attr_urls as (
    select card_seeds.tenant_id, card_seeds.rank, attrs.namespace, attrs.attribute_key,
           array_agg(distinct u order by u) as urls
    from card_seeds
    inner join attrs
        on attrs.tenant_id = card_seeds.tenant_id
       and attrs.seed_id = card_seeds.seed_id
       and not attrs.is_declared
    cross join lateral unnest(attrs.evidence_urls) as u
    group by card_seeds.tenant_id, card_seeds.rank, attrs.namespace, attrs.attribute_key
),

-- Held by at least half of the card's seeds, ranked per namespace: the card's defining attributes first.
kept as (
    select
        card_attrs.*,
        card_attr_urls.urls,
        cards.seeds_covered,
        row_number() over (
            partition by card_attrs.tenant_id, card_attrs.rank, card_attrs.namespace
            order by (card_attrs.namespace || ':' || card_attrs.attribute_key) = any(cards.cluster) desc,
                     card_attrs.seeds_with desc, tenant_wide.declared_in_intake desc nulls last,
                     tenant_wide.seeds_with asc, card_attrs.evidence_count desc,
                     card_attrs.attribute_value
        ) as pick
    from card_attrs
    inner join cards
        on cards.tenant_id = card_attrs.tenant_id
       and cards.rank = card_attrs.rank
    left join card_attr_urls
        on card_attr_urls.tenant_id = card_attrs.tenant_id
       and card_attr_urls.rank = card_attrs.rank
       and card_attr_urls.namespace = card_attrs.namespace
       and card_attr_urls.attribute_key = card_attrs.attribute_key
    left join patterns as tenant_wide
        on tenant_wide.tenant_id = card_attrs.tenant_id
       and tenant_wide.namespace = card_attrs.namespace
       and tenant_wide.attribute_key = card_attrs.attribute_key
    where card_attrs.namespace in {{ card_namespaces }}
      and card_attrs.seeds_with * 2 >= cards.seeds_covered
),

-- What the card shows: up to 4 integrations, 3 buyer titles, 1 size band and 1 industry.
shown as (
    select * from kept
    where pick <= case namespace when 'integration' then 4 when 'buyer_title' then 3 else 1 end
),

ssic_lists as (
    select
        card_attrs.tenant_id,
        card_attrs.rank,
        array_agg(card_attrs.attribute_value order by card_attrs.attribute_value) as ssic_codes,
        array_agg(coalesce(p.ssic_title, card_attrs.attribute_value) order by card_attrs.attribute_value) as ssic_titles,
        sum(card_attrs.evidence_count) as evidence_count
    from card_attrs
    left join patterns as p
        on p.tenant_id = card_attrs.tenant_id
       and p.namespace = 'ssic5'
       and p.attribute_value = card_attrs.attribute_value
    where card_attrs.namespace = 'ssic5'
    group by card_attrs.tenant_id, card_attrs.rank
),

ssic_groups as (
    select distinct on (card_attrs.tenant_id, card_attrs.rank)
        card_attrs.tenant_id, card_attrs.rank, card_attrs.attribute_value as ssic_group, p.ssic_title as ssic_group_title
    from card_attrs
    left join patterns as p
        on p.tenant_id = card_attrs.tenant_id and p.namespace = 'ssic3' and p.attribute_value = card_attrs.attribute_value
    where card_attrs.namespace = 'ssic3'
    order by card_attrs.tenant_id, card_attrs.rank, card_attrs.seeds_with desc, card_attrs.attribute_value
),

kept_lists as (
    select
        tenant_id,
        rank,
        array_agg(attribute_value order by pick) filter (where namespace = 'integration') as integrations,
        array_agg(attribute_value order by pick) filter (where namespace = 'buyer_title') as observed_titles,
        max(attribute_value) filter (where namespace = 'size_band')       as headcount_band,
        max(attribute_value) filter (where namespace = 'industry_served') as industry,
        -- The evidence behind its integrations, size band and buyer titles (SSIC rows: ssic_lists).
        sum(evidence_count) filter (where namespace <> 'industry_served') as evidence_count,
        string_agg(
            format('%s seen on %s of them (%s)', attribute_value, seeds_with,
                   array_to_string((array(
                       select regexp_replace(x, '^https?://(www\.)?', '') from unnest(urls) as x
                   ))[1:2], ', ')
                   || case when cardinality(urls) > 2 then ' ...' else '' end),
            '; ' order by pick
        ) filter (where namespace = 'integration')                        as integration_text,
        max(format('%s of %s have %s staff', seeds_with, seeds_covered, attribute_value))
            filter (where namespace = 'size_band')                            as size_text,
        string_agg(format('%s (%s)', attribute_value, seeds_with), ', ' order by pick)
            filter (where namespace = 'buyer_title')                          as title_text
    from shown
    group by tenant_id, rank
),

seed_names as (
    select card_seeds.tenant_id, card_seeds.rank,
           array_agg(seeds.seed_name order by seeds.seed_name) as seed_names,
           bool_or(seeds.crawl_reduced_evidence) as any_crawl_reduced
    from card_seeds
    inner join seeds on seeds.tenant_id = card_seeds.tenant_id and seeds.seed_id = card_seeds.seed_id
    group by card_seeds.tenant_id, card_seeds.rank
),

-- Card attributes that churned customers also had.
flags as (
    select
        cards.tenant_id,
        cards.rank,
        array_agg(
            format('%s %s also seen at %s of %s churned customers (%s)', ns.label, p.attribute_value,
                   p.churned_with, p.churned_total, array_to_string(p.churned_seed_names, ', '))
            order by p.churned_with desc, p.namespace, p.attribute_value
        ) as negative_flags
    from cards
    inner join patterns as p
        on p.tenant_id = cards.tenant_id
       and p.churned_with > 0
       and (
            (p.namespace || ':' || p.attribute_key) = any(cards.cluster)
            or exists (
                select 1 from shown
                where shown.tenant_id = cards.tenant_id and shown.rank = cards.rank
                  and shown.namespace = p.namespace and shown.attribute_key = p.attribute_key
            )
       )
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = p.namespace
    group by cards.tenant_id, cards.rank
),

-- Churned customers who left over price or budget (churn_reason_themes 'price'), when the intake
-- names a price floor.
budget_churned as (
    select seeds.tenant_id, seeds.seed_id, seeds.seed_name, intake.price_floor_usd
    from seeds
    inner join intake on intake.tenant_id = seeds.tenant_id and intake.price_floor_usd is not null
    inner join {{ ref('churn_reason_themes') }} as themes
        on themes.theme_key = 'price' and seeds.churn_reason ~* themes.pattern
    where seeds.seed_kind = 'lost'
),

-- A card sharing an attribute (defining or shown) with them: their budget fell short of the
-- price floor, so the card's accounts of their kind are poor fits.
budget_flags as (
    select
        cards.tenant_id,
        cards.rank,
        format('Lost on budget while your price floor is USD %s: %s left over price and shared %s'
               || ' with this card; accounts below the floor are poor fits',
               to_char(min(budget.price_floor_usd), 'FM999,999,999,990'),
               string_agg(distinct budget.seed_name, ', ' order by budget.seed_name),
               string_agg(distinct trim(format(ns.phrase, lost.attribute_value, '')), ', '
                          order by trim(format(ns.phrase, lost.attribute_value, '')))) as flag
    from cards
    inner join budget_churned as budget on budget.tenant_id = cards.tenant_id
    inner join {{ ref('int_seed_attributes') }} as lost
        on lost.tenant_id = budget.tenant_id and lost.seed_id = budget.seed_id
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = lost.namespace
    where {{ tenant_filter('lost.tenant_id') }}
      and (
            (lost.namespace || ':' || lost.attribute_key) = any(cards.cluster)
            or exists (
                select 1 from shown
                where shown.tenant_id = cards.tenant_id and shown.rank = cards.rank
                  and shown.namespace = lost.namespace and shown.attribute_key = lost.attribute_key
            )
      )
    group by cards.tenant_id, cards.rank
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

-- The defining attributes in words (attribute_namespaces.phrase), e.g.
-- "SSIC group 521 Warehousing and storage AND uses NetSuite".
cluster_text as (
    select
        cards.tenant_id,
        cards.rank,
        string_agg(format(ns.phrase, c.label, coalesce(p.ssic_title, '')), ' AND ' order by c.ord) as text
    from cards
    cross join lateral unnest(cards.cluster_namespaces, cards.cluster_labels) with ordinality as c (namespace, label, ord)
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = c.namespace
    left join patterns as p
        on p.tenant_id = cards.tenant_id and p.namespace = c.namespace and p.attribute_value = c.label
    group by cards.tenant_id, cards.rank
),

assembled as (
    select
        cards.tenant_id,
        cards.response_id,
        cards.rank,
        cards.cluster,
        ssic_groups.ssic_group,
        ssic_groups.ssic_group_title,
        coalesce(ssic_lists.ssic_codes, '{}')                     as ssic_codes,
        coalesce(ssic_lists.ssic_titles, '{}')                    as ssic_titles,
        kept_lists.headcount_band,
        coalesce(kept_lists.integrations, '{}')                   as integrations,
        coalesce(kept_lists.observed_titles, intake.declared_champion_titles, '{}') as champion_titles,
        kept_lists.observed_titles is null                        as champion_titles_declared,
        kept_lists.industry,
        (coalesce(ssic_lists.evidence_count, 0) + coalesce(kept_lists.evidence_count, 0))::bigint as evidence_count,
        cards.seeds_covered,
        cards.seeds_total,
        cards.seeds_covered::double precision / cards.seeds_total as seed_coverage,
        cards.lift,
        cards.lift_lower,
        group_pattern.lift                                        as registry_lift,
        seed_names.seed_names,
        cluster_text.text                                         as cluster_text,
        kept_lists.integration_text,
        kept_lists.size_text,
        kept_lists.title_text,
        array(
            select x from unnest(coalesce(kept_lists.integrations, '{}')) as x
            where lower(x) in (select lower(v) from unnest(vendor_integrations.labels) as v)
        )                                                         as vendor_confirmed,
        array_remove(array[budget_flags.flag], null) || coalesce(flags.negative_flags, '{}') as negative_flags,
        cards.thin
            or seed_names.any_crawl_reduced
            or kept_lists.evidence_count is null                  as reduced_evidence
    from cards
    left join ssic_lists on ssic_lists.tenant_id = cards.tenant_id and ssic_lists.rank = cards.rank
    left join ssic_groups on ssic_groups.tenant_id = cards.tenant_id and ssic_groups.rank = cards.rank
    left join kept_lists on kept_lists.tenant_id = cards.tenant_id and kept_lists.rank = cards.rank
    left join seed_names on seed_names.tenant_id = cards.tenant_id and seed_names.rank = cards.rank
    left join flags on flags.tenant_id = cards.tenant_id and flags.rank = cards.rank
    left join budget_flags on budget_flags.tenant_id = cards.tenant_id and budget_flags.rank = cards.rank
    left join cluster_text on cluster_text.tenant_id = cards.tenant_id and cluster_text.rank = cards.rank
    left join intake on intake.tenant_id = cards.tenant_id
    left join vendor_integrations on vendor_integrations.tenant_id = cards.tenant_id
    left join patterns as group_pattern
        on group_pattern.tenant_id = cards.tenant_id
       and group_pattern.namespace = 'ssic3'
       and group_pattern.attribute_value = ssic_groups.ssic_group
)

select
    tenant_id,
    response_id,
    md5(concat_ws('|', tenant_id, array_to_string(cluster, ',')))  as suggestion_id,
    rank,
    concat(
        initcap(left(coalesce(industry, ssic_group_title, 'SSIC ' || ssic_group, 'B2B'), 1))
            || substr(coalesce(industry, ssic_group_title, 'SSIC ' || ssic_group, 'B2B'), 2),
        ' companies',
        case when headcount_band is not null then format(' (%s staff)', headcount_band) end,
        case when cardinality(integrations) > 0 then ' on ' || array_to_string(integrations, ' + ') end
    )                                                             as title,
    cluster,
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
    lift_lower,
    registry_lift,
    seed_names,
    concat_ws('; ',
        format('%s of %s best customers share %s (%s)', seeds_covered, seeds_total, cluster_text,
               array_to_string(seed_names, ', ')),
        format('together %sx as often as chance (at least %sx at 95%%)', round(lift::numeric, 1),
               round(lift_lower::numeric, 1)),
        case when registry_lift is not null
             then format('SSIC group %s is %sx as common as among live ACRA companies', ssic_group,
                         round(registry_lift::numeric, 1)) end,
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
