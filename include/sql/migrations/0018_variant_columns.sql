-- The variant of every case day and action (SPEC sections 6 and 9). A policy without
-- variants has one, named champion; the columns come last in the views, as SPEC 6 says
-- columns added later do.
alter table collections.case_state add column variant text not null default 'champion';
alter table collections.action_log add column variant text not null default 'champion';

create or replace view collections.case_day as
select as_of, account_id, portfolio, case_id, dpd, bucket, overdue_amount, stage, status, hold_reason, variant
from collections.case_state;

create or replace view collections.action as
select as_of, account_id, case_id, kind, status, reason, channel, assignee, template, variant
from collections.action_log;
