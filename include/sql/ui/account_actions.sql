-- Every action of the account's cases (the output contract view), newest first.
-- Going through the account's case ids lets the (case_id, kind, as_of) key be used.
with cases as (
    select distinct case_id from collections.case_state where account_id = %(account_id)s
)

select a.as_of, a.case_id, a.kind, a.status, a.reason, a.channel, a.assignee, a.template
from collections.action as a
where a.case_id in (select case_id from cases)
  and a.account_id = %(account_id)s
order by a.as_of desc, a.case_id, a.kind
