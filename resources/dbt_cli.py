"""dbt as a Dagster resource: dagster-dbt's, minus its `dbt --version` call."""

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class IcpDbtCliResource(DbtCliResource):
    """dagster-dbt asks the dbt executable for its version once per run process, by starting
    `dbt --version`: a second dbt start per run (seconds of imports) and two requests to pypi.org,
    which a run must never make. The dbt here is the one installed beside the product, so its
    package metadata answers."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))
