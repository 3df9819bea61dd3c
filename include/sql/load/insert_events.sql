-- Append the valid events of the drop that belong to the run's portfolios;
-- an event_id already stored (with the same content: validation checked) is a no-op.
insert into collections.event (event_id, account_id, at, kind, amount, until, reason, source, feed_date)
select distinct on (s.event_id)
       s.event_id, s.account_id, s.at, s.kind, s.amount, s.until, s.reason_code,
       coalesce(s.event_source, 'feed'), %(feed_date)s::date
from pg_temp.chk_events s
where s.reason is null
  and (%(portfolios)s::text[] is null or s.scope = any(%(portfolios)s::text[]))
order by s.event_id, s.position
on conflict (event_id) do nothing;
