-- Upsert the valid installments of the drop that belong to the run's portfolios.
insert into collections.installment as i (account_id, seq, due_date, amount_due, feed_date, load_seq)
select distinct on (s.account_id, s.seq::int)
       s.account_id, s.seq::int, s.due_date::date, s.amount_due::numeric, s.feed_date, %(load_seq)s
from collections.stg_installments s
where s.load_id = %(load_id)s
  and s.reason is null
  and (%(portfolios)s::text[] is null or s.scope = any(%(portfolios)s::text[]))
order by s.account_id, s.seq::int, s.position
on conflict (account_id, seq) do update
set due_date = excluded.due_date, amount_due = excluded.amount_due, feed_date = excluded.feed_date,
    load_seq = excluded.load_seq
where (i.due_date, i.amount_due) is distinct from (excluded.due_date, excluded.amount_due);
