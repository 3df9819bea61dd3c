-- Benchmark reference: what one account paid up to the day (reversals subtract).
select coalesce(sum(amount), 0) as paid from collections.repayment
where account_id = %(account_id)s and (paid_at at time zone %(tz)s)::date <= %(as_of)s;
