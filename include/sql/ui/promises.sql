-- Promises to pay decided over the days from_day .. to_day (kept or broken), counted and summed from
-- the days' reports, for the book or one portfolio.
select
    coalesce(sum((figures ->> 'promises_kept')::int), 0) as kept,
    coalesce(sum((figures ->> 'promised_kept')::numeric), 0) as kept_amount,
    coalesce(sum((figures ->> 'promises_broken')::int), 0) as broken,
    coalesce(sum((figures ->> 'promised_broken')::numeric), 0) as broken_amount
from collections.portfolio_day
where as_of between %(from_day)s and %(to_day)s
  and (%(portfolio)s::text is null or portfolio = %(portfolio)s);
