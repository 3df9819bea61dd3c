insert into rowwise_case (account_id, dpd, overdue_amount, stage) values (%(account_id)s, %(dpd)s, %(overdue)s, %(stage)s)
on conflict (account_id) do update set dpd = excluded.dpd, overdue_amount = excluded.overdue_amount, stage = excluded.stage;
