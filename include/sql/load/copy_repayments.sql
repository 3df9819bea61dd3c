-- Stream the repayments rows of a drop into this load's staging table, every field as text.
copy pg_temp.stg_repayments (position, raw, parse_error, payment_id, account_id, paid_at, amount, reverses, channel) from stdin
