-- Registry baseline (not tenant data): the live ACRA entities (stg's is_live: listed in the latest
-- full release, status "Live ...") with the attributes the ICP models compare seeds against
-- (SSIC levels, postal district, age band). Indexed for audience samples.
{{ config(post_hook=[
    "create index if not exists int_registry_live_entities_ssic_idx on {{ this }} (ssic5, uen)",
    "analyze {{ this }}",
]) }}

select
    acra.uen,
    acra.entity_name,
    acra.primary_ssic_code                              as ssic5,
    left(acra.primary_ssic_code, 3)                     as ssic3,
    left(acra.primary_ssic_code, 2)                     as ssic2,
    coalesce(sub.ssic_section, div.ssic_section)        as ssic_section,
    acra.postal_code,
    left(acra.postal_code, 2)                           as postal_district,
    {{ age_band('extract(year from acra.incorporated_on)::int') }} as age_band
from {{ ref('stg_registry__acra_entities') }} as acra
left join {{ ref('stg_registry__ssic_codes') }} as sub on sub.ssic_code = acra.primary_ssic_code
left join {{ ref('stg_registry__ssic_codes') }} as div on div.ssic_code = left(acra.primary_ssic_code, 2)
where acra.is_live and acra.primary_ssic_code is not null
