-- A call's dial budget counts on its number and its debtor from the moment it is granted (#17).
--
-- At send time a call gets what is left of its number's dial attempts and its debtor's connected
-- calls today (outbox/apply_send_rules.sql), counted over the calls already with the dialer. The
-- DAG delivers a rung's calls for each portfolio in a task of its own, and those run at once: two
-- portfolios' deliveries whose customers share a number both counted before either had sent, and
-- both gave their calls the number's whole allowance. Now the budgets are granted one delivery at
-- a time (a transaction lock held for the rules statement only, not while the dialer answers), and
-- a budgeted call not yet sent counts in full for the others, from budget_at, until its result is
-- written back (sent: counted as sent; failed: not at all).
alter table collections.action_log add column budget_at timestamptz;

create index action_log_dialer_budgeted_idx on collections.action_log (budget_at)
    where channel = 'dialer' and not dry_run and sent_at is null and dial_budget is not null
      and budget_at is not null and status in ('planned', 'deferred');
