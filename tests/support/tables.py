"""Row counts of every table, to show that refused input wrote nothing anywhere."""

from __future__ import annotations

import psycopg


def row_counts(url: str) -> dict[str, int]:
    """{schema.table: rows} for every base table outside PostgreSQL's own schemas."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')"
            " order by 1"
        ).fetchall()
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}
