-- Append the valid repayments of the drop that belong to the run's portfolios;
-- a payment_id already stored (with the same content: validation checked) is a no-op.
insert into collections.repayment (payment_id, account_id, paid_at, amount, reverses, channel, feed_date, load_seq)
select distinct on (s.payment_id)
       s.payment_id, s.account_id, s.paid_at, s.amount, s.reverses, s.channel, %(feed_date)s::date,
       %(load_seq)s
from pg_temp.chk_repayments s
where s.reason is null
  and (%(portfolios)s::text[] is null or s.scope = any(%(portfolios)s::text[]))
order by s.payment_id, s.position
on conflict (payment_id) do nothing;
