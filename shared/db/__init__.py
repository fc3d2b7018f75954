"""PostgreSQL: the connection pool, schema migrations and the generation history."""
