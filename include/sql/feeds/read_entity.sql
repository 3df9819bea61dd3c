-- Stream one entity from a source database as text; {columns} and {relation} are
-- identifiers composed with psycopg.sql (never values).
copy (select {columns} from {relation}) to stdout
