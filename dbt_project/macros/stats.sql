{#- Small-sample statistics for k of n seeds (5-50 seeds must not look like certainty). -#}

{#- Wilson score lower bound of a proportion k / n (z = 1.96, ~95%); 0 when n = 0. -#}
{% macro wilson_lower(k, n, z=1.96) -%}
    case when ({{ n }}) > 0 then
        greatest(0.0, (
            ({{ k }})::double precision / ({{ n }}) + {{ z }} * {{ z }} / (2.0 * ({{ n }}))
            - {{ z }} * sqrt(
                (({{ k }})::double precision / ({{ n }})) * (1 - ({{ k }})::double precision / ({{ n }})) / ({{ n }})
                + {{ z }} * {{ z }} / (4.0 * ({{ n }}) * ({{ n }})))
        ) / (1 + {{ z }} * {{ z }} / ({{ n }})))
    else 0.0 end
{%- endmacro %}

{#- Laplace-smoothed share (k + 1) / (n + 2): finite and never 0 or 1 on small samples. -#}
{% macro smoothed_share(k, n) -%}
    ((({{ k }}) + 1.0) / (({{ n }}) + 2.0))
{%- endmacro %}

{#- Years since incorporation -> entity age band, the same bands for seeds and the registry. -#}
{% macro age_band(incorporation_year) -%}
    case
        when {{ incorporation_year }} is null then null
        when extract(year from current_date)::int - ({{ incorporation_year }}) < 3 then '0-2y'
        when extract(year from current_date)::int - ({{ incorporation_year }}) < 10 then '3-9y'
        when extract(year from current_date)::int - ({{ incorporation_year }}) < 20 then '10-19y'
        else '20y+'
    end
{%- endmacro %}

{#- Post-hook: tenant-scoped tables are read and deleted by tenant_id; keep that an index scan.
    After a build of many tenants, refresh the planner's statistics too: downstream models join
    these tables within the same run, and a fresh table without statistics gets nested-loop plans. -#}
{% macro tenant_index() -%}
    create index if not exists "{{ this.identifier }}_tenant_idx" on {{ this }} (tenant_id)
    {%- if not one_tenant_build() %};
    analyze {{ this }}
    {%- endif %}
{%- endmacro %}

{#- Pre-hook: a build of many tenants joins large inputs through CTEs whose row estimates are poor
    (jsonb filters, unnest); nested loops over them go quadratic, so prefer hash joins. A
    one-tenant build keeps the default planner (small inputs, index lookups). -#}
{% macro full_build_planner() -%}
    {#- Empty for one tenant: dbt runs no statement for an empty hook. -#}
    {%- if not one_tenant_build() -%}
        set local enable_nestloop = off
    {%- endif -%}
{%- endmacro %}

{% macro one_tenant_build() -%}
    {%- set tenants = scoped_tenants() -%}
    {{ return(tenants is not none and tenants | length == 1) }}
{%- endmacro %}
