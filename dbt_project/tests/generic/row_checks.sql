{#- Every row check of one model in one test: one query instead of one per column (a tenant build
    pays each test's dbt overhead, well above its query on one tenant's rows).

    not_null: columns never null. accepted_values: {column: [values]}, nulls pass (as in dbt's
    test). conditions: SQL conditions every row meets, as a CHECK constraint (false fails, null
    passes). relationships: [{column, to, field, same_tenant}], each non-null value found in `to`'s
    `field` (same_tenant: in a row of the same tenant_id; `to` is then read for the tenants in
    scope only). unique: expressions no two rows share (nulls pass).

    Returns one row per failure, naming the check that failed. -#}

{% test row_checks(model, not_null=[], accepted_values={}, conditions=[], relationships=[], unique=[]) %}

{%- set row_failures = [] -%}
{%- for column in not_null -%}
    {%- do row_failures.append(('not_null ' ~ column, column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append(sql_text_literal(value)) -%}
    {%- endfor -%}
    {%- do row_failures.append(
        ('accepted_values ' ~ column, 'coalesce(' ~ column ~ ' not in (' ~ listed | join(', ') ~ '), false)')
    ) -%}
{%- endfor -%}
{%- for condition in conditions -%}
    {%- do row_failures.append(('condition ' ~ condition, '(' ~ condition ~ ') is false')) -%}
{%- endfor -%}

{%- set parts = [] -%}
{%- if row_failures -%}
    {#- The scan keeps the failing rows only; each is then expanded into the checks it fails. -#}
    {%- set part -%}
select failure.check_name as failed_check
from checked
cross join lateral (values
    {%- for name, failing in row_failures %}
    ({{ sql_text_literal(name) }}, {{ failing }}){{ "," if not loop.last }}
    {%- endfor %}
) as failure (check_name, failing)
where ({{ row_failures | map(attribute=1) | join(' or ') }}) and failure.failing
    {%- endset -%}
    {%- do parts.append(part) -%}
{%- endif -%}
{%- for relationship in relationships -%}
    {%- set part -%}
select {{ sql_text_literal('relationships ' ~ relationship.column ~ ' -> ' ~ relationship.to.identifier) }} as failed_check
from checked
where checked.{{ relationship.column }} is not null and not exists (
    select from {{ relationship.to }} as parent
    where parent.{{ relationship.field }} = checked.{{ relationship.column }}
    {%- if relationship.same_tenant %}
      and parent.tenant_id = checked.tenant_id and {{ tenant_filter('parent.tenant_id') }}
    {%- endif %}
)
    {%- endset -%}
    {%- do parts.append(part) -%}
{%- endfor -%}
{%- for expression in unique -%}
    {%- set part -%}
select {{ sql_text_literal('unique ' ~ expression) }} as failed_check
from checked
where ({{ expression }}) is not null
group by ({{ expression }})
having count(*) > 1
    {%- endset -%}
    {%- do parts.append(part) -%}
{%- endfor %}

{#- Not materialized: each part reads the model's rows in scope itself (an index scan by tenant). -#}
with checked as not materialized (
    select * from {{ model }}
)

{{ parts | join('\nunion all\n') }}

{% endtest %}
