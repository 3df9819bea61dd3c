-- The accounts whose arrears this evaluation computes (filled by arrears/choose_work.sql).
create temporary table arrears_work (account_id text primary key) on commit drop;
