-- Benchmark only: rows the day wrote and the rows it read, per table.
select
    (select count(*) from collections.account_day where as_of = %(as_of)s)::bigint as account_day,
    (select count(*) from collections.case_state where as_of = %(as_of)s)::bigint as case_day,
    (select count(*) from collections.action_log where as_of = %(as_of)s)::bigint as actions,
    (select count(*) from collections.account)::bigint as accounts,
    (select count(*) from collections.installment)::bigint as installments,
    (select count(*) from collections.repayment)::bigint as repayments,
    (select count(*) from collections.repayment where feed_date = %(as_of)s)::bigint as repayments_of_the_day,
    (select count(*) from collections.account_day a where as_of = %(as_of)s)::float8
        / nullif((select count(*) from collections.account), 0) as overdue_share,
    pg_database_size(current_database())::bigint as database_bytes;
