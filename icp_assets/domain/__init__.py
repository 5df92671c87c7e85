"""Domain logic as plain functions over plain types and a database connection: no Dagster here."""
