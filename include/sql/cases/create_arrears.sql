-- The portfolio's arrears of as_of, for cases/evaluate.sql (cases/fill_work.sql fills it).
create temporary table case_arrears (
    account_id text primary key, dpd integer not null, overdue_amount numeric(17, 2) not null
) on commit drop;
