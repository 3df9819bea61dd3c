-- Figures for the data-quality gates of a drop, over the rows the run covers:
-- valid rows, the previous drop's fingerprint, and the book's balance before and
-- after the drop's accounts would be upserted.
with valid_accounts as (
    select distinct on (account_id) account_id, principal_outstanding as principal, status
    from pg_temp.chk_accounts
    where reason is null
      and (%(portfolios)s::text[] is null or scope = any(%(portfolios)s::text[]))
    order by account_id, position
),

stored as (
    select account_id, principal_outstanding as principal, status
    from collections.account
    where %(portfolios)s::text[] is null or portfolio = any(%(portfolios)s::text[])
)

select
    (select count(*) from pg_temp.chk_customers where reason is null)
    + (select count(*) from pg_temp.chk_accounts where reason is null)
    + (select count(*) from pg_temp.chk_installments where reason is null)
    + (select count(*) from pg_temp.chk_repayments where reason is null)
    + (select count(*) from pg_temp.chk_events where reason is null) as valid_rows,
    (select fingerprint from collections.feed_fingerprint
     where feed_date < %(feed_date)s order by feed_date desc limit 1) as previous_fingerprint,
    (select count(*) from stored) as book_accounts,
    (select coalesce(sum(principal), 0) from stored where status = 'active') as balance_before,
    (select coalesce(sum(principal), 0) from (
        select principal, status from stored s where not exists (select 1 from valid_accounts v where v.account_id = s.account_id)
        union all
        select principal, status from valid_accounts
    ) after where status = 'active') as balance_after;
