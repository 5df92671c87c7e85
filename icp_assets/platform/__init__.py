"""Platform: where the product's state lives (paths, PostgreSQL, migrations, the Dagster instance,
the dbt runner). Neither domain logic nor Dagster definitions live here."""
