-- Stream the customers rows of a drop into staging, every field as text.
copy collections.stg_customers (load_id, feed_date, position, source, raw, parse_error, customer_id, full_name, phone, region, timezone, language, address) from stdin
