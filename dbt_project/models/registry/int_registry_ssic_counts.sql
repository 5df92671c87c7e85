-- Registry baseline (not tenant data): how many live ACRA entities have each SSIC subclass,
-- group and division as primary activity, with the code's SSIC title. Rebuilt in full.
with live as (
    select primary_ssic_code as code
    from {{ ref('stg_registry__acra_entities') }}
    where is_live and primary_ssic_code is not null
),

totals as (
    select count(*) as live_total from live
),

per_level as (
    select 'ssic5' as namespace, code as ssic_code, count(*) as live_entities from live group by code
    union all
    select 'ssic3', left(code, 3), count(*) from live group by left(code, 3)
    union all
    select 'ssic2', left(code, 2), count(*) from live group by left(code, 2)
),

titles as (
    select ssic_code, ssic_title from {{ ref('stg_registry__ssic_codes') }}
)

select
    per_level.namespace,
    per_level.ssic_code,
    titles.ssic_title,
    per_level.live_entities,
    totals.live_total,
    per_level.live_entities::double precision / nullif(totals.live_total, 0) as prevalence
from per_level
cross join totals
left join titles on titles.ssic_code = per_level.ssic_code
