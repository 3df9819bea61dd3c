-- A CSV file of the feed is COPYed whole into a temporary table of lines and split in SQL
-- (store/loading.py, "_stage_file"), instead of being parsed row by row in Python: the
-- two functions below give each field exactly what the Python reader gives it
-- (feeds/base.py, clean_field): str.strip()'s whitespace, every character Python's
-- str.isspace() accepts, taken off both ends, and an empty value read as null.

-- Does any field of the line start or end with such whitespace? (Most lines have none,
-- and their fields are taken as they are: one test a line instead of a trim a field.)
create function collections.feed_spaced(line text) returns boolean
language sql immutable parallel safe as $$
    select line ~ E'(^|,)[\t\n\x0b\x0c\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|[\t\n\x0b\x0c\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](,|$)'
$$;

-- A field as the Python reader stores it: trimmed as str.strip() trims, null when empty.
create function collections.feed_value(v text) returns text
language sql immutable parallel safe as $$
    select nullif(btrim(v, E'\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000'), '')
$$;
