-- Stream the installments rows of a drop into this load's staging table, every field as text.
copy pg_temp.stg_installments (position, raw, parse_error, account_id, seq, due_date, amount_due) from stdin
