-- Stream a CSV file of the drop straight into its staging table, read by COPY's CSV reader (the
-- header line skipped); {staging} and {columns} are identifiers (the file's columns in its header's
-- order), composed by psycopg. Only files whose every line that reader reads as ours come this way
-- (store/loading.py, _copy_csv); a row of another width stops the COPY, and the file is split in SQL.
copy pg_temp.{staging} ({columns}) from stdin (format csv, header true)
