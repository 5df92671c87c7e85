"""Where the registry source files are: the ACRA CSVs and, optionally, the SingStat SSIC files."""

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

    def ssic_structure_file(self) -> Path | None:
        return _ssic_file(Path(self.ssic_dir), SSIC_STRUCTURE_STEM) if self.ssic_dir else None

    def ssic_index_file(self) -> Path | None:
        return _ssic_file(Path(self.ssic_dir), SSIC_INDEX_STEM) if self.ssic_dir else None
