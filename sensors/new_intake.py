"""Start a tenant run for every new intake: the cursor is the last response id seen."""

import dagster as dg

from icp_assets.defs.partitions import tenant_partitions
from icp_assets.defs.tenant import tenant_refresh_job
from resources.postgres import PostgresResource

BATCH = 100


def new_intakes(postgres: PostgresResource, after_id: int) -> list[tuple[int, str]]:
    """(response_id, tenant_id) of intakes submitted after ``after_id``, oldest first."""
    with postgres.connection() as conn:
        return conn.execute(
            "select response_id, tenant_id from icp.icp_intake_responses where response_id > %s"
            " order by response_id limit %s",
            (after_id, BATCH),
        ).fetchall()


@dg.sensor(
    job=tenant_refresh_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One tenant_refresh run per new intake (run key = intake id); adds the tenant partition.",
)
def new_intake_sensor(context: dg.SensorEvaluationContext, postgres: PostgresResource) -> dg.SensorResult:
    after_id = int(context.cursor or 0)
    intakes = new_intakes(postgres, after_id)
    if not intakes:
        return dg.SensorResult(skip_reason=f"no intake after id {after_id}")
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    new_tenants = sorted({tenant for _, tenant in intakes} - known)
    context.log.info(f"{len(intakes)} new intakes, {len(new_tenants)} new tenants")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"intake-{response_id}", partition_key=tenant, tags={"icp/response_id": str(response_id)}
            )
            for response_id, tenant in intakes
        ],
        dynamic_partitions_requests=[tenant_partitions.build_add_request(new_tenants)] if new_tenants else [],
        cursor=str(intakes[-1][0]),
    )
