-- Hardening the product's databases is serialised: `icp run`, `icp ui` and `icp analyst add` all
-- call icp.harden_product_databases(), and two of them at once made one fail with "tuple
-- concurrently updated" (concurrent REVOKEs on the same pg_database row). Same body as 0006, with
-- an advisory lock first.
create or replace function icp.harden_product_databases() returns void
language plpgsql set search_path = pg_catalog as $$
declare
    product text := current_database();
    dagster text := current_database() || '_dagster';
    lo_owner oid := (select proowner from pg_proc where oid = 'pg_catalog.lo_from_bytea(oid, bytea)'::regprocedure);
begin
    -- One caller at a time: two sessions revoking on one database at once fail ("tuple concurrently
    -- updated"). Held until the caller's transaction ends.
    perform pg_advisory_xact_lock(hashtextextended('icp-harden-databases', 0));
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
