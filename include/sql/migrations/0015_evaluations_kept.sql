-- Every evaluation is kept (SPEC section 12): a rerun supersedes a day's case rows
-- and unsent actions, and the superseded rows stay readable with the run that wrote them.
alter table collections.case_state add column run_id text;         -- the run that wrote the row
alter table collections.case_state add column evaluated_at timestamptz;
alter table collections.case_state alter column evaluated_at set default now();
alter table collections.action_log add column run_id text;
alter table collections.action_log add column planned_at timestamptz;
alter table collections.action_log alter column planned_at set default now();

-- The superseded rows, whole (as jsonb, so that columns added later need no change here).
create table collections.superseded (
    id            bigint generated always as identity primary key,
    entity        text not null check (entity in ('case_state', 'action_log')),
    portfolio     text not null,
    as_of         date not null,
    account_id    text not null,
    case_id       text,
    run_id        text,                               -- the run that wrote the row
    superseded_at timestamptz not null default now(),
    superseded_by text,                               -- the run that replaced it
    row_data      jsonb not null
);
create index superseded_account_idx on collections.superseded (account_id, as_of);
-- append-only for the app: it adds superseded rows and reads them, never changes one
grant select, insert on collections.superseded to collections_app;
revoke update, delete, truncate on collections.superseded from collections_app;

-- What the ladder decided for each case on each day, the current row and every
-- superseded one, newest first within a day (superseded_at null: the current row).
create view collections.case_day_history as
select as_of, account_id, portfolio, case_id, dpd, bucket, overdue_amount, stage, status, hold_reason,
       run_id, evaluated_at, null::timestamptz as superseded_at, null::text as superseded_by
from collections.case_state
union all
select s.as_of, s.account_id, s.portfolio, s.case_id, (s.row_data ->> 'dpd')::integer, s.row_data ->> 'bucket',
       (s.row_data ->> 'overdue_amount')::numeric(17, 2), s.row_data ->> 'stage', s.row_data ->> 'status',
       s.row_data ->> 'hold_reason', s.run_id, (s.row_data ->> 'evaluated_at')::timestamptz, s.superseded_at,
       s.superseded_by
from collections.superseded s
where s.entity = 'case_state';
grant select on collections.case_day_history to collections_app;
