-- Incremental arrears: a day's arrears start from the day before and recompute only
-- the accounts whose arrears may have changed since (SPEC section 3 is unchanged:
-- the figures equal a full computation; tests/test_incremental_arrears.py checks it).
-- Every row a load writes or changes carries the load's number; each evaluated
-- (portfolio, day) records the last load number it saw, and how it was computed.
create sequence collections.load_seq;
grant usage, select on sequence collections.load_seq to collections_app;

alter table collections.account add column load_seq bigint not null default 0;
alter table collections.installment add column load_seq bigint not null default 0;
alter table collections.repayment add column load_seq bigint not null default 0;

-- what changed after a given load; what falls due on a day; what was paid on a day
create index installment_load_seq_idx on collections.installment (load_seq);
create index repayment_load_seq_idx on collections.repayment (load_seq);
create index account_load_seq_idx on collections.account (load_seq);
create index installment_due_date_idx on collections.installment (due_date);
create index repayment_paid_at_idx on collections.repayment (paid_at);

create table collections.arrears_day (
    portfolio         text not null,
    as_of             date not null,
    timezone          text not null,
    tolerance         numeric(17, 2) not null,
    load_seq          bigint not null,  -- the last load whose rows this computation saw
    incremental       boolean not null,  -- started from the day before, else every account
    accounts_computed integer not null,
    primary key (portfolio, as_of)
);
