-- Stream a CSV file of the drop into feed_lines, a line a row (the header line skipped). Only
-- files without a quote, \x01, \x02, NUL or \. come this way (store/loading.py): each line is then
-- exactly one record, and \x01 and \x02 stand for a delimiter and a quote that never occur.
copy pg_temp.feed_lines (line) from stdin (format csv, header true, delimiter E'\x01', quote E'\x02')
