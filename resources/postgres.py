"""The product database as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dagster import ConfigurableResource
from pydantic import Field

from icp_assets.platform.database import embedded_database_url


class PostgresResource(ConfigurableResource):
    """The product database. Unset, ``database_url`` means the embedded server's database."""

    database_url: str | None = Field(default=None, description="libpq URL; unset: the embedded server.")

    def url(self) -> str:
        return self.database_url or embedded_database_url()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection whose transaction commits on success and rolls back on error."""
        with psycopg.connect(self.url()) as conn:
            yield conn
