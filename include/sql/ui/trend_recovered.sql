-- Per day: the money recovered (SPEC 8), credited to a contact or a self-cure. The
-- bounds read the days' repayments by the index on paid_at (a day either side covers
-- every portfolio's timezone); paid_on, in the policy's timezone, picks the days.
select paid_on as as_of, action_kind is not null as after_contact, sum(amount) as amount
from collections.recoveries(
    (select min(d) from unnest(%(days)s::date[]) d)::timestamp at time zone 'UTC' - interval '1 day',
    (select max(d) from unnest(%(days)s::date[]) d)::timestamp at time zone 'UTC' + interval '2 days'
)
where paid_on = any(%(days)s::date[])
  and (%(portfolio)s::text is null or portfolio = %(portfolio)s)
group by 1, 2
order by 1, 2;
