-- Negative ICP per tenant: who not to target, and why.
--
-- kind = churn_theme: keyword themes (seed `churn_reason_themes`, case-insensitive regex) found in
--   the churn reasons of the current intake's lost customers; a reason matching no theme is kept
--   verbatim under theme_key 'unclassified'.
-- kind = declared_exclusion: the intake's structured exclusions (int_intake_exclusions: SSIC
--   codes, headcount floor / ceiling, integrations), with how many best and churned customers
--   fall under each; theme_key is the exclusion's key (e.g. 'ssic:521').
-- kind = price_floor: churned customers who left over price or budget (theme 'price') while the
--   intake names a price floor: accounts that cannot pay the floor are poor fits.
-- kind = anti_icp: the same themes found in the intake's advanced answers (free text, A-H) and
--   the exclusions' notes; statements matching no theme are kept verbatim under 'stated'.
-- kind = attribute: seed attributes (SSIC subclass, size band, integration, industry, company age) more common
--   among churned than among best customers.
with seeds as (
    select * from {{ ref('int_current_seeds') }}
    where {{ tenant_filter('tenant_id') }}
),

intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

themes as (
    select * from {{ ref('churn_reason_themes') }}
),

reasons as (
    select tenant_id, seed_id, seed_name, trim(churn_reason) as reason
    from seeds
    where seed_kind = 'lost' and nullif(trim(churn_reason), '') is not null
),

reason_hits as (
    select reasons.*, coalesce(themes.theme_key, 'unclassified') as theme_key,
           coalesce(themes.theme, reasons.reason) as theme
    from reasons
    left join themes on reasons.reason ~* themes.pattern
),

churn_themes as (
    select
        reason_hits.tenant_id,
        'churn_theme'                                        as kind,
        reason_hits.theme_key,
        reason_hits.theme,
        null::text                                           as namespace,
        null::text                                           as attribute_value,
        count(distinct reason_hits.seed_id)                  as churned_with,
        null::bigint                                         as best_with,
        array_agg(distinct reason_hits.seed_name order by reason_hits.seed_name) as churned_customers,
        'Churn reasons: ' || string_agg(format('"%s" (%s)', reason_hits.reason, reason_hits.seed_name), '; '
                                        order by reason_hits.seed_name) as evidence
    from reason_hits
    group by reason_hits.tenant_id, reason_hits.theme_key, reason_hits.theme
),

statements as (
    select intake.tenant_id, 'advanced answers' as source, s as statement
    from intake, unnest(intake.advanced_statements) as s
    union all
    select intake.tenant_id, 'exclusion notes', intake.exclusion_notes
    from intake
    where intake.exclusion_notes is not null
),

statement_hits as (
    select statements.*, coalesce(themes.theme_key, 'stated') as theme_key,
           coalesce(themes.theme, statements.statement) as theme
    from statements
    left join themes on statements.statement ~* themes.pattern
),

anti_icp as (
    select
        tenant_id,
        'anti_icp'                                           as kind,
        theme_key,
        theme,
        null::text                                           as namespace,
        null::text                                           as attribute_value,
        null::bigint                                         as churned_with,
        null::bigint                                         as best_with,
        '{}'::text[]                                         as churned_customers,
        format('Intake (%s): ', string_agg(distinct source, ', ' order by source))
            || string_agg(format('"%s"', statement), '; ' order by statement) as evidence
    from statement_hits
    group by tenant_id, theme_key, theme
),

-- Who falls under each declared exclusion (int_seed_attributes.excluded_by, observed rows).
excluded_seeds as (
    select attrs.tenant_id, x as exclusion_key, attrs.kind, attrs.seed_id, seeds.seed_name
    from {{ ref('int_seed_attributes') }} as attrs
    cross join lateral unnest(attrs.excluded_by) as x
    inner join seeds on seeds.tenant_id = attrs.tenant_id and seeds.seed_id = attrs.seed_id
    where {{ tenant_filter('attrs.tenant_id') }} and not attrs.is_declared
),

declared_exclusions as (
    select
        x.tenant_id,
        'declared_exclusion'                                 as kind,
        x.exclusion_key                                      as theme_key,
        upper(left(x.exclusion_text, 1)) || substr(x.exclusion_text, 2) as theme,
        x.namespace,
        x.exclusion_value                                    as attribute_value,
        count(distinct hit.seed_id) filter (where hit.kind = 'lost') as churned_with,
        count(distinct hit.seed_id) filter (where hit.kind = 'best') as best_with,
        coalesce(array_agg(distinct hit.seed_name order by hit.seed_name) filter (where hit.kind = 'lost'),
                 '{}')                                       as churned_customers,
        concat(
            'Intake (exclusions): ', x.exclusion_text,
            case when x.audience_term is not null
                 then format('; audiences carry AND NOT %s', x.audience_term)
                 else '; not in the ACRA registry: applies to crawled evidence (cards, targeting pack)' end,
            format('; %s best and %s churned customers fall under it',
                   count(distinct hit.seed_id) filter (where hit.kind = 'best'),
                   count(distinct hit.seed_id) filter (where hit.kind = 'lost')),
            ' (' || nullif(string_agg(distinct hit.seed_name, ', ' order by hit.seed_name)
                            filter (where hit.kind = 'best'), '') || ')'
        )                                                    as evidence
    from {{ ref('int_intake_exclusions') }} as x
    left join excluded_seeds as hit on hit.tenant_id = x.tenant_id and hit.exclusion_key = x.exclusion_key
    where {{ tenant_filter('x.tenant_id') }}
    group by x.tenant_id, x.exclusion_key, x.exclusion_text, x.namespace, x.exclusion_value, x.audience_term
),

-- Churned customers lost over price or budget, compared with the declared price floor.
price_floor as (
    select
        hits.tenant_id,
        'price_floor'                                        as kind,
        'budget_below_price_floor'                           as theme_key,
        format('Lost on budget while the price floor is USD %s: accounts below the floor are poor fits',
               to_char(intake.price_floor_usd, 'FM999,999,999,990')) as theme,
        null::text                                           as namespace,
        null::text                                           as attribute_value,
        count(distinct hits.seed_id)                         as churned_with,
        null::bigint                                         as best_with,
        array_agg(distinct hits.seed_name order by hits.seed_name) as churned_customers,
        concat(
            'Churn reasons: ',
            string_agg(format('"%s" (%s)', hits.reason, hits.seed_name), '; ' order by hits.seed_name),
            format('; intake deal: price floor USD %s', to_char(intake.price_floor_usd, 'FM999,999,999,990')),
            ', ACV USD ' || to_char(intake.acv_usd, 'FM999,999,999,990')
        )                                                    as evidence
    from reason_hits as hits
    inner join intake on intake.tenant_id = hits.tenant_id
    where hits.theme_key = 'price' and intake.price_floor_usd is not null
    group by hits.tenant_id, intake.price_floor_usd, intake.acv_usd
),

over_represented as (
    select
        p.tenant_id,
        'attribute'                                          as kind,
        p.namespace                                          as theme_key,
        upper(left(phrased.text, 1)) || substr(phrased.text, 2) as theme,
        p.namespace,
        p.attribute_value,
        p.churned_with,
        p.seeds_with                                         as best_with,
        p.churned_seed_names                                 as churned_customers,
        format('%s of %s churned customers (%s) vs %s of %s best customers',
               p.churned_with, p.churned_total, array_to_string(p.churned_seed_names, ', '),
               p.seeds_with, p.seeds_total)                 as evidence
    from {{ ref('icp_patterns') }} as p
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = p.namespace
    cross join lateral (
        select format(ns.phrase, p.attribute_value, coalesce(p.ssic_title, '')) as text
    ) as phrased
    where {{ tenant_filter('p.tenant_id') }}
      and p.namespace in ('ssic5', 'size_band', 'integration', 'industry_served', 'entity_age_band')
      and p.churned_with > 0
      and p.churned_support > p.support
),

unioned as (
    select * from declared_exclusions
    union all
    select * from churn_themes
    union all
    select * from price_floor
    union all
    select * from anti_icp
    union all
    select * from over_represented
)

select
    unioned.tenant_id,
    intake.response_id,
    md5(concat_ws('|', unioned.tenant_id, unioned.kind, unioned.theme_key, unioned.theme,
                  unioned.attribute_value))                  as negative_id,
    row_number() over (
        partition by unioned.tenant_id
        order by case unioned.kind when 'declared_exclusion' then 1 when 'churn_theme' then 2
                                   when 'price_floor' then 3 when 'anti_icp' then 4 else 5 end,
                 unioned.churned_with desc nulls last, unioned.best_with asc nulls last,
                 unioned.theme_key, unioned.theme
    )                                                        as rank,
    unioned.kind,
    unioned.theme_key,
    unioned.theme,
    unioned.namespace,
    unioned.attribute_value,
    unioned.churned_with,
    intake.churned_total,
    unioned.best_with,
    intake.seeds_total                                       as best_total,
    unioned.churned_customers,
    unioned.evidence
from unioned
inner join intake on intake.tenant_id = unioned.tenant_id
