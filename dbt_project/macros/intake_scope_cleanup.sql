{#- Pre-hook of the models that keep every intake's rows (models/history), in place of
    tenant_scope_cleanup(): deletes the rows being rebuilt, those of each in-scope tenant's current
    intake, and the rows of intakes that no longer exist; the rows of earlier intakes stay. The
    model declares the two relations read here (`-- depends_on:`), so dbt builds them first. -#}

{% macro intake_scope_cleanup() -%}
    {#- Runs inside the model's transaction, only when the table already exists. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} as kept
        where {{ tenant_filter('kept.tenant_id') }}
          and not exists (
              select 1
              from {{ ref('stg_icp__intake_responses') }} as earlier
              inner join {{ ref('int_current_intake') }} as current_intake
                  on current_intake.tenant_id = earlier.tenant_id
              where earlier.tenant_id = kept.tenant_id
                and earlier.response_id = kept.response_id
                and earlier.response_id < current_intake.response_id
          )
    {%- endif -%}
{%- endmacro %}
