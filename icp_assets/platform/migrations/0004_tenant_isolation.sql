-- Tenant isolation: roles and row-level security.
--
-- Two group roles (NOLOGIN, cluster-wide, so created only when missing):
--   icp_owner    the pipeline. The user that migrates is granted it; every tenant-scoped table
--                carries the policy `icp_owner_all` (all rows, all commands) for it: the explicit
--                RLS bypass, which also holds for a non-superuser table owner under FORCE.
--   icp_analyst  read-only SQL access. Its members are the logins `icp analyst add` creates, each
--                mapped to one tenant in icp.analyst_logins; the policy `icp_analyst_tenant` lets
--                them select their tenant's rows and nothing else. The registry is public to them.
-- Every table with a tenant_id column in `icp` gets RLS enabled and forced with both policies
-- (icp.isolate_tenant_tables(), rerun by `migrate` after every batch of migrations); dbt applies the
-- same to its intermediate and mart tables (icp.apply_tenant_isolation) and makes its staging views
-- security_invoker (icp.apply_invoker_view), so RLS applies through them (macros/analyst_access.sql).
do $$
begin
    if not exists (select from pg_roles where rolname = 'icp_owner') then
        begin
            create role icp_owner nologin;
        exception when duplicate_object or unique_violation then null;  -- another database's migration won
        end;
    end if;
    if not exists (select from pg_roles where rolname = 'icp_analyst') then
        begin
            create role icp_analyst nologin;
        exception when duplicate_object or unique_violation then null;
        end;
    end if;
    if not exists (
        select from pg_auth_members m
        join pg_roles g on g.oid = m.roleid and g.rolname = 'icp_owner'
        join pg_roles u on u.oid = m.member and u.rolname = current_user
    ) or not pg_has_role(current_user, 'icp_owner', 'USAGE') then
        begin
            if current_setting('server_version_num')::int >= 160000 then
                execute format('grant icp_owner to %I with inherit true', current_user);
            else
                execute format('grant icp_owner to %I', current_user);
            end if;
        exception when duplicate_object or unique_violation then null;
        end;
    end if;
end
$$;

-- dbt's schemas exist from here on, so access to them can be granted before the first build.
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;

-- Which tenant each analyst login reads. A login's own row is the only one it can see.
create table icp.analyst_logins (
    role_name   text primary key,
    tenant_id   text not null references icp.tenants,
    created_by  text not null default session_user,
    created_at  timestamptz not null default now()
);
create index analyst_logins_tenant_idx on icp.analyst_logins (tenant_id);
alter table icp.analyst_logins enable row level security;
alter table icp.analyst_logins force row level security;
create policy icp_owner_all on icp.analyst_logins for all to icp_owner using (true) with check (true);
create policy icp_analyst_self on icp.analyst_logins for select to icp_analyst
    using (role_name = current_user::text);
grant select on icp.analyst_logins to icp_analyst;

-- RLS enabled and forced on one table with a tenant_id column: the pipeline (icp_owner) reads and
-- writes every row, an analyst selects its tenant's rows. Idempotent, and a no-op (no lock taken)
-- when already applied, so dbt can call it after every model build.
create function icp.apply_tenant_isolation(relation regclass) returns void
language plpgsql set search_path = pg_catalog as $$
declare
    rel record;
begin
    select relrowsecurity, relforcerowsecurity into rel from pg_class where oid = relation;
    if not rel.relrowsecurity then
        execute format('alter table %s enable row level security', relation);
    end if;
    if not rel.relforcerowsecurity then
        execute format('alter table %s force row level security', relation);
    end if;
    if not exists (select from pg_policy where polrelid = relation and polname = 'icp_owner_all') then
        execute format(
            'create policy icp_owner_all on %s for all to icp_owner using (true) with check (true)', relation);
    end if;
    if not exists (select from pg_policy where polrelid = relation and polname = 'icp_analyst_tenant') then
        execute format(
            'create policy icp_analyst_tenant on %s for select to icp_analyst using (tenant_id in'
            ' (select l.tenant_id from icp.analyst_logins l where l.role_name = current_user::text))',
            relation);
    end if;
    if not has_table_privilege('icp_owner', relation, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') then
        execute format('grant select, insert, update, delete, truncate on %s to icp_owner', relation);
    end if;
    if not has_table_privilege('icp_analyst', relation, 'SELECT') then
        execute format('grant select on %s to icp_analyst', relation);
    end if;
end
$$;

-- Public data (the registry and its dbt models): analysts may read all of it.
create function icp.grant_analyst_read(relation regclass) returns void
language plpgsql set search_path = pg_catalog as $$
begin
    if not has_table_privilege('icp_analyst', relation, 'SELECT') then
        execute format('grant select on %s to icp_analyst', relation);
    end if;
end
$$;

-- A view that reads as the querying user (PostgreSQL 15+), so the RLS of the tables under it applies
-- to an analyst; readable by analysts.
create function icp.apply_invoker_view(relation regclass) returns void
language plpgsql set search_path = pg_catalog as $$
begin
    if not coalesce((select 'security_invoker=true' = any(reloptions) from pg_class where oid = relation), false) then
        execute format('alter view %s set (security_invoker = true)', relation);
    end if;
    perform icp.grant_analyst_read(relation);
end
$$;

-- Every table in schema icp with a tenant_id column (except the login map, which has its own
-- policy) gets apply_tenant_isolation. `migrate` reruns this after each batch of migrations, so a
-- table a later migration adds is covered without anyone remembering to.
create function icp.isolate_tenant_tables() returns integer
language plpgsql set search_path = pg_catalog as $$
declare
    relation regclass;
    n integer := 0;
begin
    for relation in
        select c.oid::regclass
        from pg_class c
        join pg_namespace s on s.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where s.nspname = 'icp' and c.relkind in ('r', 'p') and c.relname <> 'analyst_logins'
        order by c.relname
    loop
        perform icp.apply_tenant_isolation(relation);
        n := n + 1;
    end loop;
    return n;
end
$$;

select icp.isolate_tenant_tables();

-- Companies are shared by tenants: an analyst sees those its tenant's seeds, evidence or crawl
-- outcomes name (those subqueries run under the analyst's own RLS). Crawl pages and the LLM cache
-- stay unreadable to analysts (no grant).
alter table icp.companies enable row level security;
alter table icp.companies force row level security;
create policy icp_owner_all on icp.companies for all to icp_owner using (true) with check (true);
create policy icp_analyst_tenant on icp.companies for select to icp_analyst using (
    company_id in (select s.company_id from icp.customer_seeds s)
    or company_id in (select e.company_id from icp.icp_evidence e)
    or company_id in (select o.company_id from icp.crawl_outcomes o)
);
grant select on icp.companies to icp_analyst;

-- Schema access. Analysts: usage, no create anywhere. The pipeline role: everything.
grant usage on schema icp, registry, staging, intermediate, marts to icp_analyst;
grant usage, create on schema icp, registry, staging, intermediate, marts to icp_owner;
grant select, insert, update, delete, truncate on all tables in schema icp, registry, staging, intermediate, marts
    to icp_owner;
grant usage, select, update on all sequences in schema icp, registry to icp_owner;
alter default privileges in schema icp, registry, staging, intermediate, marts
    grant select, insert, update, delete, truncate on tables to icp_owner;
alter default privileges in schema icp, registry grant usage, select, update on sequences to icp_owner;
grant execute on function icp.apply_tenant_isolation(regclass), icp.grant_analyst_read(regclass),
    icp.apply_invoker_view(regclass), icp.isolate_tenant_tables() to icp_owner;
revoke execute on function icp.apply_tenant_isolation(regclass), icp.grant_analyst_read(regclass),
    icp.apply_invoker_view(regclass), icp.isolate_tenant_tables() from public;

-- The registry is public data.
grant select on all tables in schema registry to icp_analyst;
alter default privileges in schema registry grant select on tables to icp_analyst;
