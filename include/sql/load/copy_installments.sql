-- Stream the installments rows of a drop into staging, every field as text.
copy collections.stg_installments (load_id, feed_date, position, source, raw, parse_error, account_id, seq, due_date, amount_due) from stdin
