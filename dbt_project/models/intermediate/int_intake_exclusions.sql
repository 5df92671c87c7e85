-- The current intake's declared exclusions (answers.exclusions), one row each: an SSIC code at
-- any level (5-digit subclass, 4-digit class, 3-digit group, 2-digit division, section letter),
-- a headcount floor (headcount_below: fewer staff are excluded) and ceiling (headcount_above),
-- and integrations.
--
-- Registry exclusions (SSIC) have an `icp audience` term that audiences carry as AND NOT; ACRA
-- holds neither headcount nor integrations, so those act on crawled evidence only (cards whose
-- customers they exclude; the targeting pack lists them for the enrichment step).
-- A section covers the divisions the SSIC reference puts in it (ssic_divisions).
with intake as (
    select * from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

ssic_codes as (
    select * from {{ ref('stg_registry__ssic_codes') }}
),

ssic as (
    select
        intake.tenant_id,
        intake.response_id,
        'ssic'                                                   as exclusion_kind,
        code                                                     as exclusion_value,
        case length(code) when 5 then 'ssic5' when 3 then 'ssic3' when 2 then 'ssic2'
                          when 1 then 'ssic_section' end         as namespace,
        case length(code) when 5 then 'ssic' when 4 then 'ssic4' when 3 then 'ssic3'
                          when 2 then 'ssic2' else 'section' end || ':' || code as audience_term,
        case length(code) when 5 then 'SSIC ' when 4 then 'SSIC class ' when 3 then 'SSIC group '
                          when 2 then 'SSIC division ' else 'SSIC section ' end
            || code || coalesce(' ' || titles.ssic_title, '')     as exclusion_text,
        case when length(code) = 1 then array(
            select divisions.ssic_code from ssic_codes as divisions
            where divisions.ssic_section = code and divisions.ssic_code ~ '^[0-9]{2}$'
            order by divisions.ssic_code
        ) end                                                    as ssic_divisions,
        null::int                                                as headcount_limit
    from intake
    cross join lateral (select distinct unnest(intake.exclude_ssic) as code) as codes
    left join ssic_codes as titles on titles.ssic_code = codes.code
),

headcount as (
    select tenant_id, response_id, 'headcount_below', exclude_headcount_below::text, 'size_band', null,
           format('fewer than %s staff', to_char(exclude_headcount_below, 'FM999,999,990')), null::text[],
           exclude_headcount_below
    from intake
    where exclude_headcount_below is not null
    union all
    select tenant_id, response_id, 'headcount_above', exclude_headcount_above::text, 'size_band', null,
           format('more than %s staff', to_char(exclude_headcount_above, 'FM999,999,990')), null::text[],
           exclude_headcount_above
    from intake
    where exclude_headcount_above is not null
),

integrations as (
    select distinct on (intake.tenant_id, lower(label))
        intake.tenant_id, intake.response_id, 'integration', label, 'integration', null,
        format('uses %s', label), null::text[], null::int
    from intake, unnest(intake.exclude_integrations) as label
    order by intake.tenant_id, lower(label), label
),

unioned as (
    select * from ssic
    union all
    select * from headcount
    union all
    select * from integrations
)

select
    tenant_id,
    response_id,
    exclusion_kind || ':' || case when exclusion_kind = 'integration' then lower(exclusion_value)
                                  else exclusion_value end        as exclusion_key,
    exclusion_kind,
    exclusion_value,
    namespace,
    audience_term,
    exclusion_text,
    ssic_divisions,
    headcount_limit
from unioned
