-- SingStat writes section, division and group titles in capitals; analysts read sentence case.
select
    code::text         as ssic_code,
    level::text        as ssic_level,
    case
        when title = upper(title) then upper(left(title, 1)) || lower(substr(title, 2))
        else title
    end                as ssic_title,
    parent_code::text  as parent_code,
    section::text      as ssic_section
from {{ source('registry', 'ssic_codes') }}
