-- Core store: master data, append-only money and events, staging, quarantine,
-- the daily evaluation (account_day, case_day), actions and the run report.

-- Checks used by feed validation: pure expressions, no exception handling,
-- so a whole staging table is validated in one set-based pass.
create function collections.is_decimal(v text) returns boolean
language sql immutable parallel safe
return v ~ '^-?[0-9]{1,15}(\.[0-9]{1,2})?$';

create function collections.is_date(v text) returns boolean
language sql immutable parallel safe
return case
    when v is null or v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then false
    when substr(v, 1, 4)::int < 1900 or substr(v, 1, 4)::int > 2200 then false
    when substr(v, 6, 2)::int not between 1 and 12 then false
    else substr(v, 9, 2)::int between 1 and extract(day from (make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, 1) + interval '1 month - 1 day'))::int
end;

-- ISO 8601 with an explicit offset (or Z): a timestamp without one is ambiguous.
create function collections.is_timestamptz(v text) returns boolean
language sql immutable parallel safe
return case
    when v is null or v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then false
    when not collections.is_date(substr(v, 1, 10)) then false
    else substr(v, 12, 2)::int < 24 and substr(v, 15, 2)::int < 60
         and (substr(v, 17, 1) <> ':' or substr(v, 18, 2)::int < 60)
end;

create function collections.bucket(dpd integer) returns text
language sql immutable parallel safe
return case
    when dpd <= 0 then 'M0'
    when dpd <= 30 then 'M1'
    when dpd <= 60 then 'M2'
    when dpd <= 90 then 'M3'
    when dpd <= 120 then 'M4'
    when dpd <= 150 then 'M5'
    when dpd <= 180 then 'M6'
    else 'M7+'
end;

-- Master data (upserted by key) ------------------------------------------------
create table collections.customer (
    customer_id text primary key,
    full_name   text not null,
    phone       text,
    region      text not null,
    timezone    text not null,
    language    text not null check (language in ('zh-CN', 'en')),
    feed_date   date not null
);

create table collections.account (
    account_id            text primary key,
    customer_id           text not null references collections.customer,
    portfolio             text not null,
    product               text not null check (product in ('loan', 'lease', 'finance_lease')),
    vin                   text,
    currency              char(3) not null,
    principal_outstanding numeric(17, 2) not null,
    opened_on             date not null,
    status                text not null check (status in ('active', 'closed', 'written_off')),
    feed_date             date not null
);
create index account_portfolio_idx on collections.account (portfolio);
create index account_customer_idx on collections.account (customer_id);

create table collections.installment (
    account_id text not null references collections.account,
    seq        integer not null,
    due_date   date not null,
    amount_due numeric(17, 2) not null check (amount_due >= 0),
    feed_date  date not null,
    primary key (account_id, seq)
);

-- Append-only by id -------------------------------------------------------------
create table collections.repayment (
    payment_id text primary key,
    account_id text not null references collections.account,
    paid_at    timestamptz not null,
    amount     numeric(17, 2) not null,
    reverses   text,
    channel    text,
    feed_date  date not null
);
create index repayment_account_idx on collections.repayment (account_id, paid_at);

create table collections.event (
    event_id   text primary key,
    account_id text not null references collections.account,
    at         timestamptz not null,
    kind       text not null check (kind in ('dispute', 'dispute_resolved', 'bankruptcy', 'deceased',
                                             'cease_contact', 'promise_to_pay', 'payment_plan')),
    amount     numeric(17, 2),
    until      date,
    feed_date  date not null
);
create index event_account_idx on collections.event (account_id, at);

-- Staging: every field as text, exactly as delivered; replaced per feed date.
-- Half-full pages let validation write reason and scope as HOT updates.
create unlogged table collections.stg_customers (
    feed_date date not null, position bigint not null, source text not null, raw text not null,
    parse_error text, reason text, scope text,
    customer_id text, full_name text, phone text, region text, timezone text, language text
) with (fillfactor = 50);
create unlogged table collections.stg_accounts (
    feed_date date not null, position bigint not null, source text not null, raw text not null,
    parse_error text, reason text, scope text,
    account_id text, customer_id text, portfolio text, product text, vin text, currency text,
    principal_outstanding text, opened_on text, status text
) with (fillfactor = 50);
create unlogged table collections.stg_installments (
    feed_date date not null, position bigint not null, source text not null, raw text not null,
    parse_error text, reason text, scope text,
    account_id text, seq text, due_date text, amount_due text
) with (fillfactor = 50);
create unlogged table collections.stg_repayments (
    feed_date date not null, position bigint not null, source text not null, raw text not null,
    parse_error text, reason text, scope text,
    payment_id text, account_id text, paid_at text, amount text, reverses text, channel text
) with (fillfactor = 50);
create unlogged table collections.stg_events (
    feed_date date not null, position bigint not null, source text not null, raw text not null,
    parse_error text, reason text, scope text,
    event_id text, account_id text, at text, kind text, amount text, until text
) with (fillfactor = 50);
alter table collections.stg_customers add primary key (feed_date, position);
create index stg_customers_key on collections.stg_customers (feed_date, customer_id);
alter table collections.stg_accounts add primary key (feed_date, position);
create index stg_accounts_key on collections.stg_accounts (feed_date, account_id);
alter table collections.stg_installments add primary key (feed_date, position);
create index stg_installments_key on collections.stg_installments (feed_date, account_id);
alter table collections.stg_repayments add primary key (feed_date, position);
create index stg_repayments_key on collections.stg_repayments (feed_date, payment_id);
alter table collections.stg_events add primary key (feed_date, position);
create index stg_events_key on collections.stg_events (feed_date, event_id);

-- Rows that failed validation, with where they came from and why.
create table collections.quarantine (
    feed_date date not null,
    entity    text not null,
    source    text not null,
    position  bigint not null,
    portfolio text,
    raw       text not null,
    reason    text not null,
    primary key (feed_date, entity, position)
);

-- One row per entity per feed date loaded: what came in, what was kept out.
create table collections.feed_load (
    feed_date   date not null,
    entity      text not null,
    source      text not null,
    rows_in     integer not null,
    quarantined integer not null,
    primary key (feed_date, entity)
);

-- The daily evaluation ----------------------------------------------------------
-- Arrears of every account with something past due on as_of.
create table collections.account_day (
    portfolio      text not null,
    as_of          date not null,
    account_id     text not null,
    dpd            integer not null,
    overdue_amount numeric(17, 2) not null,
    primary key (portfolio, as_of, account_id)
);

-- One row per case per evaluated day. A case is identified by
-- (account, opened_on); its state on a day derives from the previous
-- evaluated day and that day's inputs, so a rerun recomputes it exactly.
create table collections.case_state (
    portfolio       text not null,
    as_of           date not null,
    case_id         text not null,
    account_id      text not null,
    customer_id     text not null,
    opened_on       date not null,
    dpd             integer not null,
    bucket          text not null,
    overdue_amount  numeric(17, 2) not null,
    stage           text,
    stage_since     date,
    status          text not null check (status in ('open', 'on_hold', 'cured', 'closed')),
    hold_reason     text,
    action_due      boolean not null default false,
    suppress_reason text,
    cease_contact   boolean not null default false,
    promise_status  text,
    plan_status     text,
    primary key (portfolio, as_of, case_id)
);
create index case_state_case_idx on collections.case_state (case_id, as_of);
create index case_state_account_idx on collections.case_state (account_id, as_of);

-- Actions: one per (case, kind, as_of). The idempotency key is what partners receive.
create table collections.action_log (
    idempotency_key text primary key,
    portfolio       text not null,
    as_of           date not null,
    account_id      text not null,
    customer_id     text not null,
    case_id         text not null,
    kind            text not null check (kind in ('notice', 'call', 'visit', 'legal')),
    stage           text not null,
    status          text not null check (status in ('planned', 'sent', 'delivered', 'suppressed', 'deferred', 'failed')),
    reason          text,
    channel         text,
    assignee        text,
    template        text,
    priority        numeric(6, 2),
    window_opens_at  timestamptz,
    window_closes_at timestamptz,
    dry_run         boolean not null default false,
    unique (case_id, kind, as_of)
);
create index action_log_day_idx on collections.action_log (portfolio, as_of, kind);

-- The day's figures per portfolio, read by the report and the UI.
create table collections.portfolio_day (
    portfolio   text not null,
    as_of       date not null,
    dag_id      text not null,
    run_id      text,
    dry_run     boolean not null,
    figures     jsonb not null,
    primary key (portfolio, as_of)
);

-- The output contract (SPEC section 6): stable views over the tables above.
create view collections.case_day as
select as_of, account_id, portfolio, case_id, dpd, bucket, overdue_amount, stage, status, hold_reason
from collections.case_state;

create view collections.action as
select as_of, account_id, case_id, kind, status, reason, channel, assignee, template
from collections.action_log;
