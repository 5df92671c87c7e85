{#- Tenant-scoped runs.

    `dbt build --vars '{tenant_id: acme}'` rebuilds only tenant `acme` in every intermediate and
    mart table; with no var every tenant is rebuilt. Models put `where {{ tenant_filter('tenant_id') }}`
    on the relations they read, and the folder-level pre-hook `tenant_scope_cleanup()` first
    deletes the rows being rebuilt (so a tenant whose new result is empty loses its stale rows);
    the append strategy then inserts the fresh rows. -#}

{% macro tenant_id_literal() -%}
    '{{ var("tenant_id") | string | replace("'", "''") }}'
{%- endmacro %}

{% macro tenant_filter(column='tenant_id') -%}
    {%- if var('tenant_id', none) is not none -%}
        {{ column }} = {{ tenant_id_literal() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro tenant_scope_cleanup() -%}
    {#- Runs inside the model's transaction, only when the table already exists. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ tenant_filter('tenant_id') }}
    {%- endif -%}
{%- endmacro %}
