-- Stream the repayments rows of a drop into staging, every field as text.
copy collections.stg_repayments (load_id, feed_date, position, source, raw, parse_error, payment_id, account_id, paid_at, amount, reverses, channel) from stdin
