"""Registry assets (not partitioned): the ACRA entities, the match index built from them, and the SSIC reference."""

import dagster as dg

from icp_assets import registry
from icp_assets.db import migrate
from resources.postgres import PostgresResource, icp_home
from resources.registry_files import SSIC_INDEX_FILE, SSIC_STRUCTURE_FILE, RegistryFilesResource

GROUP = "registry"


@dg.asset(group_name=GROUP, kinds={"postgres"})
def acra_entities(
    context: dg.AssetExecutionContext, postgres: PostgresResource, registry_files: RegistryFilesResource
) -> dg.MaterializeResult:
    """ACRA corporate entities (data.gov.sg CSV layout) upserted into registry.acra_entities."""
    files = registry_files.acra_files()
    if not files:
        raise dg.Failure(
            f"no ACRA CSV files in {registry_files.acra_folder()}: put the data.gov.sg files there"
            " or create a synthetic registry with `icp registry generate --out` that folder"
        )
    url = postgres.url()
    migrate(url)
    stats = registry.load_acra_csvs(url, files, progress=lambda n: context.log.info(f"acra_entities: {n:,} rows read"))
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "rows_read": stats.rows_read,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
        }
    )


def match_index_folder():
    return icp_home() / "match-index"


@dg.asset(group_name=GROUP, deps=[acra_entities], kinds={"numpy"})
def match_index(postgres: PostgresResource) -> dg.MaterializeResult:
    """The seed matcher's index over registry names, saved per registry version so that tenant
    runs load it in seconds instead of re-reading and re-normalising two million names."""
    index, info = registry.load_match_index(postgres.url(), match_index_folder())
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


@dg.asset(group_name=GROUP, kinds={"postgres"})
def ssic_codes(postgres: PostgresResource, registry_files: RegistryFilesResource) -> dg.MaterializeResult:
    """SSIC 2020 codes with titles (and the alphabetical index when the SingStat files are configured)."""
    url = postgres.url()
    migrate(url)
    folder = registry_files.ssic_folder()
    if folder is None:
        codes = registry.load_demo_ssic(url)
        return dg.MaterializeResult(metadata={"source": "built-in demo table", "codes": codes})
    codes = registry.load_ssic_structure(url, folder / SSIC_STRUCTURE_FILE)
    phrases = registry.load_ssic_index(url, folder / SSIC_INDEX_FILE)
    return dg.MaterializeResult(metadata={"source": str(folder), "codes": codes, "index_phrases": phrases})
