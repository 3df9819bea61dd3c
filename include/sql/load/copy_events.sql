-- Stream the events rows of a drop into this load's staging table, every field as text.
copy pg_temp.stg_events (position, raw, parse_error, event_id, account_id, at, kind, amount, until, reason_code, event_source) from stdin
