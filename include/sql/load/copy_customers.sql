-- Stream the customers rows of a drop into this load's staging table, every field as text.
copy pg_temp.stg_customers (position, raw, parse_error, customer_id, full_name, phone, region, timezone, language, address) from stdin
