-- Stream the accounts rows of a drop into staging, every field as text.
copy collections.stg_accounts (load_id, feed_date, position, source, raw, parse_error, account_id, customer_id, portfolio, product, vin, currency, principal_outstanding, opened_on, status, risk_grade) from stdin
