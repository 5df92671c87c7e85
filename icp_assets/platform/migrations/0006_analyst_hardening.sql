-- Analyst hardening: nothing an analyst login makes may outlive its session or block its revocation.
--
-- An analyst that owns an object cannot be dropped (DROP ROLE fails while it owns anything), so
-- analysts get nothing they could own:
--   * TEMPORARY on the product database is taken from PUBLIC and given to icp_owner: the pipeline
--     keeps it (dbt-postgres builds incremental models through temporary tables; the migrating user
--     is a member of icp_owner with inherit, and a database's owner keeps its own privileges);
--   * EXECUTE on the functions that create large objects (lo_create, lo_creat, lo_from_bytea,
--     lo_import) is taken from PUBLIC in this database and given to icp_owner. They belong to the
--     bootstrap superuser: a migrating user who is not a superuser cannot revoke it, and a WARNING
--     says what an administrator runs instead;
--   * CONNECT and TEMPORARY on the product's Dagster database (<database>_dagster) are taken from
--     PUBLIC when it exists and the migrating user owns it (`icp analyst add` repeats this, since
--     `icp run` creates that database after migrating). Other databases of the server are not the
--     product's: on a shared server the administrator revokes CONNECT on `postgres` and `template1`
--     from PUBLIC. `icp analyst revoke` does not depend on any of this: it disables and unmaps the
--     login first, then ends its sessions, drops what it owns here, and only then drops the role.
-- Each analyst login also gets a connection limit, a default statement_timeout and
-- idle_in_transaction_session_timeout, and (when the migrating user may set it) temp_file_limit,
-- which an analyst cannot raise.

create function icp.harden_product_databases() returns void
language plpgsql set search_path = pg_catalog as $$
declare
    product text := current_database();
    dagster text := current_database() || '_dagster';
    lo_owner oid := (select proowner from pg_proc where oid = 'pg_catalog.lo_from_bytea(oid, bytea)'::regprocedure);
begin
    if (select pg_has_role(current_user, datdba, 'USAGE') from pg_database where datname = product) then
        execute format('revoke temporary on database %I from public', product);
        execute format('grant temporary on database %I to icp_owner', product);
    else
        raise warning 'icp: % does not own database %; as its owner run: revoke temporary on database % from public;'
            ' grant temporary on database % to icp_owner', current_user, product, product, product;
    end if;
    if pg_has_role(current_user, lo_owner, 'USAGE') then
        revoke execute on function pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
            pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid)
            from public;
        grant execute on function pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
            pg_catalog.lo_from_bytea(oid, bytea) to icp_owner;
    elsif has_function_privilege('public', 'pg_catalog.lo_from_bytea(oid, bytea)', 'EXECUTE') then
        raise warning 'icp: analysts can create large objects in database %; as a superuser run there: revoke execute'
            ' on function lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea), lo_import(text),'
            ' lo_import(text, oid) from public', product;
    end if;
    if (select pg_has_role(current_user, datdba, 'USAGE') from pg_database where datname = dagster) then
        execute format('revoke connect, temporary on database %I from public', dagster);
    end if;
end
$$;

-- Limits of one analyst login (its sessions, their statements and temporary files).
create function icp.apply_analyst_limits(login text) returns void
language plpgsql set search_path = pg_catalog as $$
begin
    execute format('alter role %I connection limit 5', login);
    execute format('alter role %I set statement_timeout = %L', login, '60s');
    execute format('alter role %I set idle_in_transaction_session_timeout = %L', login, '10min');
    if has_parameter_privilege('temp_file_limit', 'SET') then  -- a superuser's, or granted
        execute format('alter role %I set temp_file_limit = %L', login, '1GB');
    end if;
end
$$;

grant execute on function icp.harden_product_databases(), icp.apply_analyst_limits(text) to icp_owner;
revoke execute on function icp.harden_product_databases(), icp.apply_analyst_limits(text) from public;

select icp.harden_product_databases();

-- Logins made before this migration get their limits too (a role the migrating user may not
-- alter is left as it is, with a warning).
do $$
declare
    login text;
begin
    for login in
        select l.role_name from icp.analyst_logins l join pg_roles r on r.rolname = l.role_name
        where pg_has_role(r.oid, 'icp_analyst', 'MEMBER')
    loop
        begin
            perform icp.apply_analyst_limits(login);
        exception when insufficient_privilege then
            raise warning 'icp: cannot set the limits of analyst login %: %', login, sqlerrm;
        end;
    end loop;
end
$$;
