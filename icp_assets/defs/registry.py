"""Registry assets (not partitioned): the ACRA entities, the SSIC reference and the match index.

What to load comes from the run's config: files named there (what `icp registry load` passes), or
else the folders ICP_ACRA_DIR and ICP_SSIC_DIR (what the sensor's and the UI's runs read).
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from icp_assets.defs.partitions import REGISTRY_GROUP
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.registry.acra import MAX_DELISTED_SHARE, RegistryFileError, files_fingerprint, load_acra_csvs
from icp_assets.domain.registry.ssic import load_ssic_files
from icp_assets.platform.db import migrate
from icp_assets.platform.paths import match_index_dir
from resources.postgres import PostgresResource
from resources.registry_files import RegistryFilesResource

# Metadata key of a step failure caused by the files given (bad input: `icp registry load` exits 2).
BAD_REGISTRY_FILE = "icp/bad_registry_file"


def bad_registry_file(err: RegistryFileError) -> dg.Failure:
    return dg.Failure(description=str(err), metadata={BAD_REGISTRY_FILE: True}, allow_retries=False)


class AcraEntitiesConfig(dg.Config):
    files: list[str] = Field(default=[], description="ACRA CSVs to load; empty: every CSV in ICP_ACRA_DIR.")
    full_release: bool = Field(
        default=True,
        description="The files are one whole release (the ICP_ACRA_DIR folder is): entities they do not"
        " list are marked delisted. False: only upsert the rows given (a single file of the release).",
    )
    allow_mass_delisting: bool = Field(
        default=False,
        description=f"Delist however many entities the release leaves out; without it a release leaving"
        f" out more than {MAX_DELISTED_SHARE:.0%} of the listed entities is refused (a file is missing).",
    )


class SsicCodesConfig(dg.Config):
    files: list[str] = Field(
        default=[],
        description="SingStat SSIC 2020 classification structure and/or alphabetical index (xlsx, or CSV in"
        " the same layout), told apart by their header; empty: those in ICP_SSIC_DIR.",
    )


@dg.asset(group_name=REGISTRY_GROUP, kinds={"postgres"})
def acra_entities(
    context: dg.AssetExecutionContext,
    config: AcraEntitiesConfig,
    postgres: PostgresResource,
    registry_files: RegistryFilesResource,
) -> dg.MaterializeResult:
    """ACRA corporate entities (data.gov.sg CSV layout) upserted into registry.acra_entities; a full
    release marks the entities it no longer lists as delisted."""
    files = [Path(f) for f in config.files] or registry_files.acra_files()
    if not files:
        raise dg.Failure(
            f"no ACRA CSV files in {registry_files.acra_folder()}: put the data.gov.sg files there (ICP_ACRA_DIR)"
        )
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise bad_registry_file(RegistryFileError(f"no such file: {', '.join(missing)}"))
    url = postgres.url()
    migrate(url)
    fingerprint = files_fingerprint(files)
    try:
        stats = load_acra_csvs(
            url,
            files,
            progress=lambda n: context.log.info(f"acra_entities: {n:,} rows read"),
            full_release=config.full_release,
            max_delisted_share=None if config.allow_mass_delisting else MAX_DELISTED_SHARE,
        )
    except RegistryFileError as err:
        raise bad_registry_file(err) from err
    context.log.info(f"acra_entities: {stats}")
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "fingerprint": fingerprint,
            "full_release": config.full_release,
            "rows_read": stats.rows_read,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
            "skipped": stats.skipped,
            "delisted": stats.delisted,
        }
    )


@dg.asset(group_name=REGISTRY_GROUP, deps=[acra_entities], kinds={"numpy"})
def match_index(postgres: PostgresResource) -> dg.MaterializeResult:
    """The seed matcher's index over registry names, saved per registry version so that tenant
    runs load it in seconds instead of re-reading and re-normalising two million names."""
    index, info = load_match_index(postgres.url(), match_index_dir())
    return dg.MaterializeResult(
        metadata={
            "entities": len(index),
            "names": len(index.keys),
            "registry_version": info.version,
            "built": info.built,
            "build_seconds": dg.MetadataValue.float(round(info.seconds, 2)),
            "file_bytes": info.path.stat().st_size,
            "path": dg.MetadataValue.path(str(info.path)),
        }
    )


# After the entities: in a run that loads both, a refused ACRA release leaves the SSIC reference as it was.
@dg.asset(group_name=REGISTRY_GROUP, deps=[acra_entities], kinds={"postgres"})
def ssic_codes(
    context: dg.AssetExecutionContext,
    config: SsicCodesConfig,
    postgres: PostgresResource,
    registry_files: RegistryFilesResource,
) -> dg.MaterializeResult:
    """SSIC 2020 codes with titles, and the alphabetical index, from SingStat's files."""
    files = [Path(f) for f in config.files] or registry_files.ssic_files()
    if not files:
        context.log.warning("no SSIC files configured (ICP_SSIC_DIR): titles come from ACRA")
        return dg.MaterializeResult(metadata={"files": 0, "codes": 0, "index_phrases": 0})
    url = postgres.url()
    migrate(url)
    try:
        stats = load_ssic_files(url, files)
    except RegistryFileError as err:
        raise bad_registry_file(err) from err
    return dg.MaterializeResult(
        metadata={"files": len(files), "codes": stats.codes, "index_phrases": stats.index_phrases}
    )


registry_refresh_job = dg.define_asset_job(
    "registry_refresh",
    selection=dg.AssetSelection.groups(REGISTRY_GROUP),
    description="Reload the ACRA registry and SSIC reference, then rebuild the match index and the registry models.",
)

defs = dg.Definitions(assets=[acra_entities, match_index, ssic_codes], jobs=[registry_refresh_job])
