-- {role} is an identifier and {password} a literal, composed with psycopg.sql.
alter role {role} login password {password}
