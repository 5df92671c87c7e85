{#- Post-hooks for tenant isolation (migration 0004 holds the SQL functions they call).

    tenant_isolation(): intermediate and mart tables carry tenant_id; enable and force row-level
    security with the pipeline's (icp_owner) and the analysts' (icp_analyst, own tenant only)
    policies. A no-op once applied; a table dbt recreates (full refresh) gets it again.
    analyst_read(): registry models are public data, readable by analysts.
    invoker_view(): staging views read as the querying user, so the RLS of the `icp` tables under
    them applies to analysts; readable by analysts. -#}

{% macro tenant_isolation() -%}
    select icp.apply_tenant_isolation('{{ this.include(database=False) }}'::regclass)
{%- endmacro %}

{% macro analyst_read() -%}
    select icp.grant_analyst_read('{{ this.include(database=False) }}'::regclass)
{%- endmacro %}

{% macro invoker_view() -%}
    {%- if config.get('materialized') == 'view' -%}
        select icp.apply_invoker_view('{{ this.include(database=False) }}'::regclass)
    {%- else -%}
        select icp.grant_analyst_read('{{ this.include(database=False) }}'::regclass)
    {%- endif -%}
{%- endmacro %}
