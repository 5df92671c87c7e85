"""Where the registry source files are: the ACRA CSVs and, optionally, the SingStat SSIC files."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources.postgres import icp_home

SSIC_STRUCTURE_FILE = "ssic2020-classification-structure.xlsx"
SSIC_INDEX_FILE = "ssic2020-alphabetical-index.xlsx"


class RegistryFilesResource(ConfigurableResource):
    acra_dir: str | None = Field(
        default=None, description="Folder of ACRA CSVs; default ICP_ACRA_DIR, else $ICP_HOME/registry/acra."
    )
    ssic_dir: str | None = Field(
        default=None,
        description="Folder holding the SingStat SSIC 2020 xlsx files; default ICP_SSIC_DIR."
        " Without one, the built-in table of the demo's codes is loaded.",
    )

    def acra_folder(self) -> Path:
        folder = self.acra_dir or os.environ.get("ICP_ACRA_DIR")
        return Path(folder) if folder else icp_home() / "registry" / "acra"

    def acra_files(self) -> list[Path]:
        folder = self.acra_folder()
        return sorted(folder.glob("*.csv")) if folder.is_dir() else []

    def ssic_folder(self) -> Path | None:
        folder = self.ssic_dir or os.environ.get("ICP_SSIC_DIR")
        return Path(folder) if folder else None
