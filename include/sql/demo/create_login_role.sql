-- {role} is an identifier and {password} a literal, composed with psycopg.sql.
create role {role} login password {password}
