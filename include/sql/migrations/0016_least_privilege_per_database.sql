-- Least privilege per database, and a history the app cannot rewrite (#15).
--
-- 0005 granted this schema to collections_app, a role of the whole server: a login
-- role made for one database could read and write the collections tables of every
-- other database on it. From here each database has an app role of its own,
-- collections_app_<database> (collections.app_role() names it), which alone may
-- connect to the database; collections_app keeps nothing here. DAGs and the UI
-- connect as a login role in it:
--     create role collections_dags login password '...' in role collections_app_<database>;
--
-- What the app role may not do: change or delete history. Feed events and
-- repayments, evaluations and superseded rows are append-only for it; an evaluation
-- leaves case_state, and an unsent action action_log, only through the functions
-- below, which keep the row in collections.superseded (SPEC 12); quarantine, feed
-- loads, fingerprints, the book and the day's figures are never deleted; and an
-- action handed to a partner only moves forward (the trigger at the end, which holds
-- for every role).
do $$
declare
    db text := current_database();
    app text := case when length('collections_app_' || db) <= 63 then 'collections_app_' || db
                     else 'collections_app_' || left(md5(db), 16) end;
begin
    if not exists (select 1 from pg_roles where rolname = app) then
        execute format('create role %I nologin', app);
    end if;
    execute format('create function collections.app_role() returns text language sql immutable as %L',
                   format('select %L::text', app));

    revoke all on all tables in schema collections from collections_app;
    revoke all on all sequences in schema collections from collections_app;
    revoke all on all functions in schema collections from collections_app;
    revoke all on schema collections from collections_app;
    alter default privileges in schema collections revoke all on tables from collections_app;

    execute format('revoke connect, temporary on database %I from public', db);
    execute format('grant connect, temporary on database %I to %I', db, app);
    execute format('grant usage on schema collections to %I', app);
    execute format('grant select, insert, update, delete on all tables in schema collections to %I', app);
    execute format('grant usage, select on all sequences in schema collections to %I', app);
    execute format('grant execute on all functions in schema collections to %I', app);
    execute format('alter default privileges in schema collections grant select, insert, update, delete on tables to %I', app);
    execute format('alter default privileges in schema collections grant usage, select on sequences to %I', app);

    execute format('revoke insert, update, delete on collections.schema_migration from %I', app);
    execute format('revoke update, delete on collections.event, collections.repayment, collections.case_state,
                    collections.superseded from %I', app);
    execute format('revoke delete on collections.action_log, collections.quarantine, collections.feed_load,
                    collections.feed_fingerprint, collections.customer, collections.account,
                    collections.installment, collections.portfolio_day, collections.arrears_day from %I', app);
end
$$;

-- A rerun supersedes the day's evaluation of a portfolio: the rows move to superseded,
-- whole, with the run that wrote them and the run that replaces them.
create function collections.supersede_cases(p_portfolio text, p_as_of date, p_run_id text) returns bigint
language sql security definer set search_path = pg_catalog, collections as $$
    with gone as (
        delete from collections.case_state where portfolio = p_portfolio and as_of = p_as_of returning *
    ),
    kept as (
        insert into collections.superseded (entity, portfolio, as_of, account_id, case_id, run_id, superseded_by, row_data)
        select 'case_state', g.portfolio, g.as_of, g.account_id, g.case_id, g.run_id, p_run_id, to_jsonb(g) from gone g
        returning 1
    )
    select count(*) from kept
$$;

-- ... and the day's actions of the given kinds that no partner has: planned, suppressed
-- or deferred (a dry run's only, when p_dry_run).
create function collections.supersede_unsent_actions(
    p_portfolio text, p_as_of date, p_kinds text[], p_dry_run boolean, p_run_id text
) returns bigint
language sql security definer set search_path = pg_catalog, collections as $$
    with gone as (
        delete from collections.action_log
        where portfolio = p_portfolio and as_of = p_as_of and kind = any(p_kinds)
          and status in ('planned', 'suppressed', 'deferred')
          and (not p_dry_run or dry_run)
        returning *
    ),
    kept as (
        insert into collections.superseded (entity, portfolio, as_of, account_id, case_id, run_id, superseded_by, row_data)
        select 'action_log', g.portfolio, g.as_of, g.account_id, g.case_id, g.run_id, p_run_id, to_jsonb(g) from gone g
        returning 1
    )
    select count(*) from kept
$$;

revoke execute on function collections.supersede_cases(text, date, text) from public;
revoke execute on function collections.supersede_unsent_actions(text, date, text[], boolean, text) from public;
do $$
begin
    execute format('grant execute on function collections.supersede_cases(text, date, text) to %I',
                   collections.app_role());
    execute format('grant execute on function collections.supersede_unsent_actions(text, date, text[], boolean, text) to %I',
                   collections.app_role());
end
$$;

-- An action handed to a partner is a fact: it is never deleted, what it was (key, case,
-- kind, channel, assignee, template, dry run, when it was sent) never changes, and its
-- status only moves forward: sent to delivered or failed; a failed one may be retried
-- (back to planned, by an operator's resend, or settled by a receipt); delivered is final.
create function collections.guard_handed_actions() returns trigger
language plpgsql set search_path = pg_catalog, collections as $$
begin
    if old.status not in ('sent', 'delivered', 'failed') then
        return case when tg_op = 'DELETE' then old else new end;
    end if;
    if tg_op = 'DELETE' then
        raise exception 'action % was handed to a partner (status %): it is history and is never deleted',
            old.idempotency_key, old.status using errcode = 'insufficient_privilege';
    end if;
    if old.status = 'delivered'
       or (old.status = 'sent' and new.status not in ('delivered', 'failed'))
       or (new.idempotency_key, new.portfolio, new.as_of, new.account_id, new.customer_id, new.case_id, new.kind,
           new.stage, new.channel, new.assignee, new.template, new.dry_run)
          is distinct from
          (old.idempotency_key, old.portfolio, old.as_of, old.account_id, old.customer_id, old.case_id, old.kind,
           old.stage, old.channel, old.assignee, old.template, old.dry_run)
       or (old.status = 'sent' and new.sent_at is distinct from old.sent_at) then
        raise exception 'action % was handed to a partner (status %): it cannot become % or change what it was',
            old.idempotency_key, old.status, new.status using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;

create trigger action_log_guard before update or delete on collections.action_log
for each row execute function collections.guard_handed_actions();
