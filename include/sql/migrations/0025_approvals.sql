-- Approvals for the steps that cannot be taken back (SPEC section 11).
--
-- A rung that requires approval plans its actions as awaiting_approval; a person approves
-- (the action becomes planned, with approved_by, and goes out) or rejects it (rejected, with
-- the reason). Every decision is kept in collections.approval_decision, which the app role may
-- add to and read, never change or delete: the audit trail of who decided what, when, how
-- (through Airflow's human-in-the-loop request or the Collections view) and why.
alter table collections.action_log drop constraint action_log_status_check;
alter table collections.action_log add constraint action_log_status_check check (status in (
    'planned', 'sent', 'delivered', 'suppressed', 'deferred', 'failed', 'awaiting_approval', 'rejected'
));
alter table collections.action_log add column approved_by text;
alter table collections.action_log add column decided_at timestamptz;
create index action_log_awaiting_idx on collections.action_log (portfolio, kind)
    where status = 'awaiting_approval';

create table collections.approval_decision (
    decision_id     bigint generated always as identity primary key,
    idempotency_key text not null,
    portfolio       text not null,
    as_of           date not null,
    account_id      text not null,
    kind            text not null,
    decision        text not null check (decision in ('approved', 'rejected')),
    reason          text check (decision = 'approved' or length(trim(reason)) > 0),
    decided_by      text not null,
    decided_at      timestamptz not null,
    via             text not null check (via in ('airflow', 'collections_view')),
    request         text  -- the human-in-the-loop request (dag run, task and map index), if any
);
create index approval_decision_key_idx on collections.approval_decision (idempotency_key, decided_at desc);

do $$
begin
    execute format('grant select, insert on collections.approval_decision to %I', collections.app_role());
    execute format('revoke update, delete, truncate on collections.approval_decision from %I',
                   collections.app_role());
end
$$;

-- A rerun supersedes the day's actions that no partner has, now also those waiting for a
-- decision and those rejected: the rerun plans them again, and a decision already taken on
-- the same action (its idempotency key) is applied again from the audit trail (actions/plan.sql).
create or replace function collections.supersede_unsent_actions(
    p_portfolio text, p_as_of date, p_kinds text[], p_dry_run boolean, p_run_id text
) returns bigint
language sql security definer set search_path = pg_catalog, collections as $$
    with gone as (
        delete from collections.action_log
        where portfolio = p_portfolio and as_of = p_as_of and kind = any(p_kinds)
          and status in ('planned', 'suppressed', 'deferred', 'awaiting_approval', 'rejected')
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

-- The output contract gains approved_by (SPEC section 6); the old columns stay as they were.
create or replace view collections.action as
select as_of, account_id, case_id, kind, status, reason, channel, assignee, template, variant, approved_by
from collections.action_log;
