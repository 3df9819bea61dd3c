-- Simulation (SPEC section 10): a policy tried on history in a scratch schema of its own.
--
-- collections.simulation keeps each simulation the collections_simulate DAG ran: its params,
-- when it ran and its result (the JSON of `collections simulate`), for the UI to show.
create table collections.simulation (
    id          bigint generated always as identity primary key,
    run_id      text not null,
    params      jsonb not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null,
    result      jsonb not null
);
create index simulation_run_idx on collections.simulation (run_id);

-- The app role may record simulations and read them, never change or delete one.
do $$
begin
    execute format('grant select, insert on collections.simulation to %I', collections.app_role());
    execute format('revoke update, delete, truncate on collections.simulation from %I', collections.app_role());
end
$$;

-- The scratch schema of a simulation. The app role may not create schemas (no CREATE on the
-- database): it asks for one through these functions, which run as the owner, and only for
-- names collections_sim_<12 to 32 lowercase hex digits>. The schema is the owner's; the app
-- role gets usage and create on it (it builds and fills the scratch tables), and its drop
-- takes every object in it along, whoever made them.
create function collections.create_scratch_schema(p_name text) returns text
language plpgsql security definer set search_path = pg_catalog as $$
begin
    if p_name !~ '^collections_sim_[0-9a-f]{12,32}$' then
        raise exception 'not a scratch schema name: %', p_name using errcode = 'invalid_schema_name';
    end if;
    execute format('create schema %I', p_name);
    execute format('grant usage, create on schema %I to %I', p_name, collections.app_role());
    return p_name;
end
$$;

create function collections.drop_scratch_schema(p_name text) returns boolean
language plpgsql security definer set search_path = pg_catalog as $$
begin
    if p_name !~ '^collections_sim_[0-9a-f]{12,32}$' then
        raise exception 'not a scratch schema name: %', p_name using errcode = 'invalid_schema_name';
    end if;
    execute format('drop schema if exists %I cascade', p_name);
    return true;
end
$$;

revoke execute on function collections.create_scratch_schema(text) from public;
revoke execute on function collections.drop_scratch_schema(text) from public;
do $$
begin
    execute format('grant execute on function collections.create_scratch_schema(text) to %I', collections.app_role());
    execute format('grant execute on function collections.drop_scratch_schema(text) to %I', collections.app_role());
end
$$;
