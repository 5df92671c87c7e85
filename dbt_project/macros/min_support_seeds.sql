{#- The minimum support of card mining, in best customers out of n: a frequent attribute, a pair,
    a 3-attribute cluster and each greedy card pick need at least card_min_support * n of them,
    and never fewer than 2 (one customer is an anecdote, not a pattern). -#}
{% macro min_support_seeds(seeds_total) -%}
    greatest(2, ceil({{ var('card_min_support') }} * ({{ seeds_total }})))
{%- endmacro %}
