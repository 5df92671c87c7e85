{#- Tenant-scoped builds.

    The tenants a build covers come from the environment variable ICP_DBT_TENANTS, a JSON list of
    tenant ids (icp_assets.platform.dbt_runner.tenant_scope_env); unset, every tenant is rebuilt.
    It is read only while executing (`execute`), never while parsing, and it is not a `--vars`
    value, so a build for other tenants reuses the parsed project instead of parsing it again.

    Models put `where {{ tenant_filter('tenant_id') }}` on the relations they read, and the
    folder-level pre-hook `tenant_scope_cleanup()` first deletes the rows being rebuilt (so a
    tenant whose new result is empty loses its stale rows); the append strategy then inserts the
    fresh rows. Tests of tenant-scoped models read only the tenants in scope (`where: tenant_scope`
    in dbt_project.yml, applied by get_where_subquery below). -#}

{% macro scoped_tenants() -%}
    {#- The tenant ids in scope, or none for every tenant (and always none while parsing). -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set raw = env_var('ICP_DBT_TENANTS', '') -%}
    {%- if raw == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tenants = fromjson(raw) -%}
    {%- if tenants is string or tenants is mapping or tenants is not iterable or tenants | length == 0 -%}
        {{ exceptions.raise_compiler_error("ICP_DBT_TENANTS must be a non-empty JSON list of tenant ids") }}
    {%- endif -%}
    {{ return(tenants | map('string') | list) }}
{%- endmacro %}

{% macro tenant_filter(column='tenant_id') -%}
    {%- set tenants = scoped_tenants() -%}
    {%- if tenants is none -%}
        true
    {%- elif tenants | length == 1 -%}
        {{ column }} = {{ sql_text_literal(tenants[0]) }}
    {%- else -%}
        {{ column }} in (
        {%- for tenant in tenants -%}
            {{ sql_text_literal(tenant) }}{{ ", " if not loop.last }}
        {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}

{% macro sql_text_literal(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro tenant_scope_cleanup() -%}
    {#- Runs inside the model's transaction, only when the table already exists. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ tenant_filter('tenant_id') }}
    {%- endif -%}
{%- endmacro %}

{#- Tests of tenant-scoped models: the marker `where: tenant_scope` stands for the tenants in scope. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == 'tenant_scope' -%}
        {%- set where = tenant_filter('tenant_id') -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
