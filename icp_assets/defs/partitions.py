"""Names every area shares: groups, and the tenant partitions (one dynamic partition per tenant)."""

import dagster as dg

REGISTRY_GROUP = "registry"
TENANT_GROUP = "tenant"
TENANT_MODELS_GROUP = "tenant_models"

tenant_partitions = dg.DynamicPartitionsDefinition(name="tenants")

# The run tag pinning a tenant run to the intake it was started for (see icp_assets.defs.tenant).
RESPONSE_ID_TAG = "icp/response_id"

# Dagster's tags for a run over a range of partitions (one run, every asset given all the keys):
# the nightly refresh runs every tenant this way.
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
