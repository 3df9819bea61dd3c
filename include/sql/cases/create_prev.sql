-- The open and on-hold cases of the previous evaluated day, for cases/evaluate.sql (cases/fill_work.sql fills it).
create temporary table case_prev (
    case_id text primary key, account_id text not null, customer_id text not null, opened_on date not null,
    stage text, stage_since date, variant text not null
) on commit drop;
