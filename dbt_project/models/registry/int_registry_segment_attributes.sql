-- Registry baseline: each segment unpivoted into (namespace, attribute_value) rows, the same
-- namespaces and values as int_seed_attributes, so card filters join on equality.
{{ config(post_hook=[
    "create index if not exists int_registry_segment_attributes_attr_idx on {{ this }} (namespace, attribute_value)",
    "analyze {{ this }}",
]) }}

select segment_id, namespace, attribute_value, live_entities
from {{ ref('int_registry_segments') }}
cross join lateral (
    values ('ssic5', ssic5), ('ssic3', ssic3), ('ssic2', ssic2), ('ssic_section', ssic_section),
           ('geo', postal_district), ('entity_age_band', age_band)
) as attrs (namespace, attribute_value)
where attribute_value is not null
