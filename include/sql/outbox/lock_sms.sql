-- SMS deliveries of a day run one at a time across portfolios, so that the
-- one-SMS-per-customer-per-day rule holds between them (released by unlock_sms.sql).
select pg_advisory_lock(hashtext('collections-sms'), hashtext(%(as_of)s::date::text));
