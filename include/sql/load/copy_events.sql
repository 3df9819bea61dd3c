-- Stream the events rows of a drop into staging, every field as text.
copy collections.stg_events (load_id, feed_date, position, source, raw, parse_error, event_id, account_id, at, kind, amount, until, reason_code, event_source) from stdin
