{#- Headcount -> size band used across ICP Finder: 1-9, 10-49, 50-249, 250+ (null stays null). -#}
{% macro size_band(headcount) -%}
    case
        when {{ headcount }} is null then null
        when {{ headcount }} < 10 then '1-9'
        when {{ headcount }} < 50 then '10-49'
        when {{ headcount }} < 250 then '50-249'
        else '250+'
    end
{%- endmacro %}
