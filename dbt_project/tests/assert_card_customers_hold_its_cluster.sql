{{ config(meta={"dagster": {"ref": {"name": "icp_suggestions"}}}) }}
-- Every customer a card names holds every attribute of its cluster (observed evidence), and the
-- card's lift is its cluster's: P(cluster) / product of P(attribute) over the tenant's best
-- customers, recounted from int_seed_attributes.
with cards as (
    select tenant_id, rank, cluster, seed_names, seeds_total, lift
    from {{ ref('icp_suggestions') }}
    where {{ tenant_filter('tenant_id') }}
),

card_attributes as (
    select cards.tenant_id, cards.rank, c.attribute_id
    from cards, unnest(cards.cluster) as c (attribute_id)
),

observed as (
    select tenant_id, seed_id, namespace || ':' || attribute_key as attribute_id
    from {{ ref('int_seed_attributes') }}
    where {{ tenant_filter('tenant_id') }} and kind = 'best' and not is_declared
),

holders as (
    select card_attributes.tenant_id, card_attributes.rank, card_attributes.attribute_id, observed.seed_id
    from card_attributes
    inner join observed
        on observed.tenant_id = card_attributes.tenant_id and observed.attribute_id = card_attributes.attribute_id
),

-- Per card and best customer: how many of the cluster's attributes it holds.
held as (
    select tenant_id, rank, seed_id, count(*) as attributes_held
    from holders
    group by tenant_id, rank, seed_id
),

attribute_shares as (
    select holders.tenant_id, holders.rank, count(*)::double precision / min(cards.seeds_total) as share
    from holders
    inner join cards on cards.tenant_id = holders.tenant_id and cards.rank = holders.rank
    group by holders.tenant_id, holders.rank, holders.attribute_id
),

recounted as (
    select
        cards.tenant_id, cards.rank, cards.lift,
        whole.seeds::double precision / cards.seeds_total / product.value as cluster_lift
    from cards
    left join (
        select held.tenant_id, held.rank, count(*) as seeds
        from held
        inner join cards on cards.tenant_id = held.tenant_id and cards.rank = held.rank
        where held.attributes_held = cardinality(cards.cluster)
        group by held.tenant_id, held.rank
    ) as whole on whole.tenant_id = cards.tenant_id and whole.rank = cards.rank
    left join (
        select tenant_id, rank, exp(sum(ln(share))) as value
        from attribute_shares
        group by tenant_id, rank
    ) as product on product.tenant_id = cards.tenant_id and product.rank = cards.rank
),

named_without_cluster as (
    select cards.tenant_id, cards.rank, n.seed_name
    from cards
    cross join unnest(cards.seed_names) as n (seed_name)
    left join {{ ref('int_current_seeds') }} as s
        on s.tenant_id = cards.tenant_id and s.seed_kind = 'best' and s.seed_name = n.seed_name
    left join held on held.tenant_id = cards.tenant_id and held.rank = cards.rank and held.seed_id = s.seed_id
    where coalesce(held.attributes_held, 0) <> cardinality(cards.cluster)
)

select tenant_id, rank, seed_name as problem from named_without_cluster
union all
select tenant_id, rank, format('lift %s, cluster lift %s', lift, cluster_lift)
from recounted
where cluster_lift is null or abs(lift - cluster_lift) > 1e-9 * cluster_lift
