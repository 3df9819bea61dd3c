insert into rowwise_account_day (portfolio, as_of, account_id, dpd, overdue_amount)
values (%(portfolio)s, %(as_of)s, %(account_id)s, %(dpd)s, %(overdue)s);
