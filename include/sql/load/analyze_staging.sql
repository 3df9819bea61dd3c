-- Fresh statistics after COPY, so that validation plans hash joins, not nested loops.
analyze collections.stg_customers, collections.stg_accounts, collections.stg_installments,
        collections.stg_repayments, collections.stg_events;
