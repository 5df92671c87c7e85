"""Start a tenant run for every new intake, exactly once, whoever else ran it.

The cursor is the highest response id seen. Ids are handed out when an intake's transaction
starts, not when it commits, so an intake can become visible after a higher id was already seen:
intakes submitted within LOOKBACK are looked at again. An intake that already has a run (the
sensor's own, or one `icp run` started) gets no new one.
"""

from datetime import timedelta

import dagster as dg

from icp_assets.defs.partitions import RESPONSE_ID_TAG, tenant_partitions
from icp_assets.defs.tenant import tenant_refresh_job
from resources.postgres import PostgresResource

BATCH = 100
LOOKBACK = timedelta(hours=1)


def candidate_intakes(postgres: PostgresResource, after_id: int) -> list[tuple[int, str]]:
    """(response_id, tenant_id) of the next BATCH intakes after ``after_id``, and of those at or
    below it submitted within LOOKBACK (a busy hour's intakes must not crowd out new ones), oldest first."""
    with postgres.connection() as conn:
        return conn.execute(
            "(select response_id, tenant_id from icp.icp_intake_responses where response_id > %s"
            "  order by response_id limit %s)"
            " union"
            " (select response_id, tenant_id from icp.icp_intake_responses"
            "  where response_id <= %s and submitted_at > now() - %s)"
            " order by response_id",
            (after_id, BATCH, after_id, LOOKBACK),
        ).fetchall()


def intakes_with_runs(instance: dg.DagsterInstance, response_ids: list[int]) -> set[int]:
    """Which of these intakes already have a run (any status), found with one query."""
    if not response_ids:
        return set()
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RESPONSE_ID_TAG: [str(r) for r in response_ids]}))
    return {int(run.tags[RESPONSE_ID_TAG]) for run in runs}


@dg.sensor(
    job=tenant_refresh_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One tenant_refresh run per new intake (run key = intake id); adds the tenant partition.",
)
def new_intake_sensor(context: dg.SensorEvaluationContext, postgres: PostgresResource) -> dg.SensorResult:
    after_id = int(context.cursor or 0)
    candidates = candidate_intakes(postgres, after_id)
    cursor = str(max([after_id, *(response_id for response_id, _ in candidates)]))
    ran = intakes_with_runs(context.instance, [response_id for response_id, _ in candidates])
    intakes = [(response_id, tenant) for response_id, tenant in candidates if response_id not in ran]
    if not intakes:
        return dg.SensorResult(skip_reason=f"no intake without a run (cursor {after_id})", cursor=cursor)
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    new_tenants = sorted({tenant for _, tenant in intakes} - known)
    context.log.info(f"{len(intakes)} new intakes, {len(new_tenants)} new tenants")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"intake-{response_id}", partition_key=tenant, tags={RESPONSE_ID_TAG: str(response_id)}
            )
            for response_id, tenant in intakes
        ],
        dynamic_partitions_requests=[tenant_partitions.build_add_request(new_tenants)] if new_tenants else [],
        cursor=cursor,
    )
