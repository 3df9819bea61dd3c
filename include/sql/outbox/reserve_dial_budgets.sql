-- The calls about to go to the dialer (keys) hold their dial budgets from now: until their results
-- are written back, other deliveries' rules count them in full on their numbers and debtors
-- (apply_send_rules.sql, "dialled"; migration 0031). In the rules' transaction, under
-- lock_dial_budgets.sql; calls left waiting (no dialer connected) hold nothing.
update collections.action_log
set budget_at = %(now)s::timestamptz
where idempotency_key = any(%(keys)s::text[]) and channel = 'dialer' and dial_budget is not null;
