-- Stream the accounts rows of a drop into this load's staging table, every field as text.
copy pg_temp.stg_accounts (position, raw, parse_error, account_id, customer_id, portfolio, product, vin, currency, principal_outstanding, opened_on, status, risk_grade) from stdin
