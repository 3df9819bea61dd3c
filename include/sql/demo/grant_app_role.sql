-- {app} and {role} are identifiers composed with psycopg.sql: the login role becomes a member of the app role.
grant {app} to {role}
