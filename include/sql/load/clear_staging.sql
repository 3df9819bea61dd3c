-- Forget a previous staging of the same drop, so a rerun stages it afresh.
with c as (delete from collections.stg_customers where feed_date = %(feed_date)s),
     a as (delete from collections.stg_accounts where feed_date = %(feed_date)s),
     i as (delete from collections.stg_installments where feed_date = %(feed_date)s),
     r as (delete from collections.stg_repayments where feed_date = %(feed_date)s)
delete from collections.stg_events where feed_date = %(feed_date)s;
