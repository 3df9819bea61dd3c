-- Every evaluated day of the account's cases (the output contract's columns, with what the
-- customer told us: the latest delinquency reason and contact outcome), newest first.
select as_of, case_id, portfolio, dpd, bucket, overdue_amount, stage, status, hold_reason,
       delinquency_reason, contact_outcome
from collections.case_state
where account_id = %(account_id)s
order by as_of desc, case_id
