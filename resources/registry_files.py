"""Where the registry source files are: the ACRA CSVs and, optionally, the SingStat SSIC files.

The ACRA folder holds one full release (every CSV data.gov.sg publishes for one date): loading it
delists the entities its files do not list (see icp_assets.domain.registry.acra).
"""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from icp_assets.platform.paths import default_acra_dir

SSIC_STRUCTURE_STEM = "ssic2020-classification-structure"
SSIC_INDEX_STEM = "ssic2020-alphabetical-index"


def _ssic_file(folder: Path, stem: str) -> Path | None:
    """SingStat's xlsx, or a CSV in its layout, named as SingStat names it."""
    return next((folder / f"{stem}{ext}" for ext in (".xlsx", ".csv") if (folder / f"{stem}{ext}").is_file()), None)


class RegistryFilesResource(ConfigurableResource):
    acra_dir: str | None = Field(default=None, description="Folder of ACRA CSVs; unset: $ICP_HOME/registry/acra.")
    ssic_dir: str | None = Field(
        default=None,
        description="Folder with the SingStat SSIC 2020 classification structure and alphabetical index;"
        " unset: no SSIC reference is loaded and titles come from the ACRA files.",
    )

    def acra_folder(self) -> Path:
        return Path(self.acra_dir) if self.acra_dir else default_acra_dir()

    def acra_files(self) -> list[Path]:
        folder = self.acra_folder()
        return sorted(folder.glob("*.csv")) if folder.is_dir() else []

    def ssic_files(self) -> list[Path]:
        """The classification structure and the alphabetical index found in the SSIC folder."""
        if not self.ssic_dir:
            return []
        found = (_ssic_file(Path(self.ssic_dir), stem) for stem in (SSIC_STRUCTURE_STEM, SSIC_INDEX_STEM))
        return [path for path in found if path is not None]
