"""One tenant = one dynamic partition, added by the new-intake sensor."""

from dagster import DynamicPartitionsDefinition

tenant_partitions = DynamicPartitionsDefinition(name="tenants")
