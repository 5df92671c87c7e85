-- Pairs of frequent attributes that co-occur on the same best customers (observed evidence only).
--
-- An attribute is frequent when min_support_seeds(n) best customers hold it; a pair is kept when
-- as many hold both. lift = P(a,b) / (P(a) P(b)) over the tenant's best customers; lift_lower
-- puts the Wilson lower bound of P(a,b) on top. The SSIC levels (ssic5 / ssic3 / ssic2 / section)
-- are one family: a pair never joins two levels of the same code hierarchy.
-- icp_attribute_pairs shows the ones above the workflow's 30% support.
with totals as (
    select tenant_id, seeds_total
    from {{ ref('int_current_intake') }}
    where {{ tenant_filter('tenant_id') }}
),

attrs as (
    select
        a.tenant_id, a.seed_id, a.namespace, a.attribute_key, a.attribute_value,
        ns.is_ssic_level,
        a.namespace || ':' || a.attribute_key as attribute_id
    from {{ ref('int_seed_attributes') }} as a
    inner join {{ ref('attribute_namespaces') }} as ns on ns.namespace = a.namespace
    where {{ tenant_filter('a.tenant_id') }} and a.kind = 'best' and not a.is_declared
),

frequent as (
    select attrs.tenant_id, attrs.attribute_id, count(*) as seeds_with, totals.seeds_total
    from attrs
    inner join totals on totals.tenant_id = attrs.tenant_id
    group by attrs.tenant_id, attrs.attribute_id, totals.seeds_total
    having count(*) >= {{ min_support_seeds('totals.seeds_total') }}
),

top_attrs as (
    select attrs.*, frequent.seeds_with, frequent.seeds_total
    from attrs
    inner join frequent
        on frequent.tenant_id = attrs.tenant_id and frequent.attribute_id = attrs.attribute_id
),

pairs as (
    select
        a.tenant_id,
        a.attribute_id                              as attribute_a,
        b.attribute_id                              as attribute_b,
        min(a.namespace)                            as namespace_a,
        min(a.attribute_value)                      as value_a,
        min(b.namespace)                            as namespace_b,
        min(b.attribute_value)                      as value_b,
        min(a.seeds_with)                           as seeds_with_a,
        min(b.seeds_with)                           as seeds_with_b,
        min(a.seeds_total)                          as seeds_total,
        count(*)                                    as seeds_with,
        array_agg(a.seed_id order by a.seed_id)     as seed_ids
    from top_attrs as a
    inner join top_attrs as b
        on b.tenant_id = a.tenant_id
       and b.seed_id = a.seed_id
       and b.attribute_id > a.attribute_id
       and not (a.is_ssic_level and b.is_ssic_level)
    group by a.tenant_id, a.attribute_id, b.attribute_id
    having count(*) >= {{ min_support_seeds('min(a.seeds_total)') }}
)

select
    tenant_id,
    md5(concat_ws('|', tenant_id, attribute_a, attribute_b))                    as pair_id,
    attribute_a,
    attribute_b,
    namespace_a,
    value_a,
    namespace_b,
    value_b,
    seeds_with,
    seeds_total,
    seeds_with::double precision / seeds_total                                  as support,
    seeds_with_a::double precision / seeds_total                                as support_a,
    seeds_with_b::double precision / seeds_total                                as support_b,
    (seeds_with::double precision / seeds_total)
        / ((seeds_with_a::double precision / seeds_total) * (seeds_with_b::double precision / seeds_total)) as lift,
    {{ wilson_lower('seeds_with', 'seeds_total') }}
        / ((seeds_with_a::double precision / seeds_total) * (seeds_with_b::double precision / seeds_total)) as lift_lower,
    seed_ids
from pairs
