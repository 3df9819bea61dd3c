-- Every evaluated day of the account's cases (the output contract view), newest first.
select as_of, case_id, portfolio, dpd, bucket, overdue_amount, stage, status, hold_reason
from collections.case_day
where account_id = %(account_id)s
order by as_of desc, case_id
