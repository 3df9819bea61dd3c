-- Upsert the valid installments of the drop that belong to the run's portfolios.
insert into collections.installment as i (account_id, seq, due_date, amount_due, feed_date, load_seq)
select distinct on (s.account_id, s.seq)
       s.account_id, s.seq, s.due_date, s.amount_due, %(feed_date)s::date, %(load_seq)s
from pg_temp.chk_installments s
where s.reason is null
  and (%(portfolios)s::text[] is null or s.scope = any(%(portfolios)s::text[]))
order by s.account_id, s.seq, s.position
on conflict (account_id, seq) do update
set due_date = excluded.due_date, amount_due = excluded.amount_due, feed_date = excluded.feed_date,
    load_seq = excluded.load_seq
where (i.due_date, i.amount_due) is distinct from (excluded.due_date, excluded.amount_due);
