"""Reload the registry when the ACRA files in ICP_ACRA_DIR change.

The folder holds one full release. The cursor is the fingerprint of its CSVs (paths, sizes,
modification times) at the last tick. A new fingerprint is only remembered: the run is requested
when the next tick finds it unchanged, so a download or copy under way (which keeps changing it)
is not loaded half-done. No run is requested for files already loaded as a full release (the latest
`acra_entities` materialization records their fingerprint: `icp registry load --full-release` of
the folder's files, the demo's run) or already requested (run key = fingerprint; a failed run is
not retried until the files change again).
"""

import dagster as dg

from icp_assets.defs.registry import acra_entities, registry_refresh_job
from icp_assets.domain.registry.acra import files_fingerprint
from resources.registry_files import RegistryFilesResource

# Seconds between ticks, and so how long files must stay unchanged before they are loaded.
SETTLE_S = 60


def loaded_as_full_release(instance: dg.DagsterInstance, fingerprint: str) -> bool:
    """Whether the latest acra_entities materialization loaded exactly these files as a full release."""
    event = instance.get_latest_materialization_event(acra_entities.key)
    materialization = event.asset_materialization if event else None
    if materialization is None:
        return False
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    return metadata.get("fingerprint") == fingerprint and metadata.get("full_release") is True


@dg.sensor(
    job=registry_refresh_job,
    minimum_interval_seconds=SETTLE_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A registry_refresh run when the ACRA files in ICP_ACRA_DIR change (run key = their fingerprint).",
)
def registry_files_sensor(
    context: dg.SensorEvaluationContext, registry_files: RegistryFilesResource
) -> dg.SensorResult:
    files = registry_files.acra_files()
    if not files:
        return dg.SensorResult(skip_reason=f"no ACRA CSV files in {registry_files.acra_folder()}")
    try:
        fingerprint = files_fingerprint(files)
    except OSError as err:  # a file went away between listing and reading
        return dg.SensorResult(skip_reason=f"ACRA files changing ({err.strerror}); looking again next tick")
    if fingerprint != context.cursor:
        return dg.SensorResult(
            skip_reason=f"{len(files)} ACRA files changed; loading them once unchanged for {SETTLE_S} s",
            cursor=fingerprint,
        )
    run_key = f"registry-{fingerprint}"
    if loaded_as_full_release(context.instance, fingerprint):
        return dg.SensorResult(skip_reason=f"these {len(files)} ACRA files are loaded (fingerprint {fingerprint})")
    if context.instance.get_run_ids(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}), limit=1):
        return dg.SensorResult(skip_reason=f"a run for these {len(files)} ACRA files was requested (run key {run_key})")
    context.log.info(f"requesting a registry refresh for {len(files)} ACRA files (fingerprint {fingerprint})")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=run_key)], cursor=fingerprint)
