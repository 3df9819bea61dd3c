-- Give each staged event row the first reason it cannot be loaded (null = valid).
-- Events are append-only by event_id, like repayments.
update collections.stg_events s
set scope = x.portfolio,
    reason = case
    when s.parse_error is not null then s.parse_error
    when s.event_id is null then 'missing field: event_id'
    when s.account_id is null then 'missing field: account_id'
    when s.at is null then 'missing field: at'
    when s.kind is null then 'missing field: kind'
    when s.kind not in ('dispute', 'dispute_resolved', 'bankruptcy', 'deceased', 'cease_contact', 'promise_to_pay', 'payment_plan')
        then 'bad kind: ' || left(s.kind, 32) || ' (allowed: dispute, dispute_resolved, bankruptcy, deceased, cease_contact, promise_to_pay, payment_plan)'
    when not collections.is_timestamptz(s.at) then 'bad timestamp in at (ISO 8601 with a UTC offset): ' || left(s.at, 40)
    when s.amount is not null and not collections.is_decimal(s.amount) then 'amount is not a finite decimal with at most 2 places: ' || left(s.amount, 32)
    when s.until is not null and not collections.is_date(s.until) then 'bad date in until: ' || left(s.until, 32)
    when s.kind in ('promise_to_pay', 'payment_plan') and s.amount is null then 'missing field: amount (required for ' || s.kind || ')'
    when s.kind in ('promise_to_pay', 'payment_plan') and s.until is null then 'missing field: until (required for ' || s.kind || ')'
    when s.kind in ('promise_to_pay', 'payment_plan') and s.amount::numeric <= 0 then 'amount must be positive for ' || s.kind
    when x.portfolio is null then 'unknown account_id: ' || left(s.account_id, 64)
    when exists (
        select 1 from collections.event e
        where e.event_id = s.event_id
          and (e.account_id, e.at, e.kind, e.amount, e.until)
              is distinct from (s.account_id, s.at::timestamptz, s.kind, s.amount::numeric, s.until::date)
    ) then 'conflicting re-delivery: event_id ' || left(s.event_id, 64) || ' was loaded before with other content'
    when exists (
        select 1 from collections.stg_events d
        where d.feed_date = s.feed_date and d.event_id = s.event_id and d.position < s.position
          and d.parse_error is null
          and (d.account_id, d.at, d.kind, d.amount, d.until)
              is distinct from (s.account_id, s.at, s.kind, s.amount, s.until)
    ) then 'conflicting re-delivery: event_id ' || left(s.event_id, 64) || ' repeated in this drop with other content'
end
from (
    select st.position,
           coalesce((select sa.portfolio from collections.stg_accounts sa
                     where sa.feed_date = st.feed_date and sa.account_id = st.account_id and sa.reason is null
                     limit 1),
                    a.portfolio) as portfolio
    from collections.stg_events st
    left join collections.account a on a.account_id = st.account_id
    where st.feed_date = %(feed_date)s
) x
where s.feed_date = %(feed_date)s and s.position = x.position;
