-- SMS deliveries run one at a time (every portfolio, business day and kind that can
-- text: notices, reminders), so that the one-SMS-per-customer-per-day check at send
-- time holds between them. Released by unlock_sms.sql.
select pg_advisory_lock(hashtext('collections-sms'), 0);
