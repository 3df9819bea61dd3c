-- {name} is an identifier composed with psycopg.sql.
create database {name}
