"""standard-stack API: items in PostgreSQL, read through a Redis cache."""
