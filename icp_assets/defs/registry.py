"""Registry assets (not partitioned): the ACRA entities, the SSIC reference and the match index."""

import dagster as dg

from icp_assets.defs.partitions import REGISTRY_GROUP
from icp_assets.domain.matching.index_store import load_match_index
from icp_assets.domain.registry.acra import load_acra_csvs
from icp_assets.domain.registry.ssic import load_ssic_index, load_ssic_structure
from icp_assets.platform.db import migrate
from icp_assets.platform.paths import match_index_dir
from resources.postgres import PostgresResource
from resources.registry_files import RegistryFilesResource


@dg.asset(group_name=REGISTRY_GROUP, kinds={"postgres"})
def acra_entities(
    context: dg.AssetExecutionContext, postgres: PostgresResource, registry_files: RegistryFilesResource
) -> dg.MaterializeResult:
    """ACRA corporate entities (data.gov.sg CSV layout) upserted into registry.acra_entities."""
    files = registry_files.acra_files()
    if not files:
        raise dg.Failure(
            f"no ACRA CSV files in {registry_files.acra_folder()}: put the data.gov.sg files there (ICP_ACRA_DIR)"
        )
    url = postgres.url()
    migrate(url)
    stats = load_acra_csvs(url, files, progress=lambda n: context.log.info(f"acra_entities: {n:,} rows read"))
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "rows_read": stats.rows_read,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
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


@dg.asset(group_name=REGISTRY_GROUP, kinds={"postgres"})
def ssic_codes(
    context: dg.AssetExecutionContext, postgres: PostgresResource, registry_files: RegistryFilesResource
) -> dg.MaterializeResult:
    """SSIC 2020 codes with titles, and the alphabetical index, from SingStat's files (ICP_SSIC_DIR)."""
    url = postgres.url()
    migrate(url)
    structure, index = registry_files.ssic_structure_file(), registry_files.ssic_index_file()
    if structure is None:
        context.log.warning("no SSIC classification structure configured (ICP_SSIC_DIR): titles come from ACRA")
        return dg.MaterializeResult(metadata={"source": "none configured", "codes": 0, "index_phrases": 0})
    codes = load_ssic_structure(url, structure)
    phrases = load_ssic_index(url, index) if index else 0
    return dg.MaterializeResult(metadata={"source": str(structure.parent), "codes": codes, "index_phrases": phrases})


registry_refresh_job = dg.define_asset_job(
    "registry_refresh",
    selection=dg.AssetSelection.groups(REGISTRY_GROUP),
    description="Reload the ACRA registry and SSIC reference, then rebuild the registry models.",
)

defs = dg.Definitions(assets=[acra_entities, match_index, ssic_codes], jobs=[registry_refresh_job])
