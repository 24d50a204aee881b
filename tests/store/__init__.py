"""History store tests: the same behaviours on SQLite and PostgreSQL."""
