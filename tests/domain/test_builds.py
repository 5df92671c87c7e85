"""The dbt project's version, as the fleet refresh compares it: what the models are, not when the
manifest was written."""

from __future__ import annotations

import json

from icp_assets.defs.dbt import dbt_project
from icp_assets.domain.builds import project_version


def test_a_new_parse_of_the_same_project_keeps_its_version() -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    before = project_version(manifest)
    manifest["metadata"]["generated_at"] = "2031-01-01T00:00:00Z"
    manifest["metadata"]["invocation_id"] = "another-parse"
    assert project_version(manifest) == before


def test_a_changed_model_changes_the_version() -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    before = project_version(manifest)
    node = manifest["nodes"]["model.icp_finder.icp_suggestions"]
    node["checksum"] = {"name": "sha256", "checksum": "0" * 64}
    assert project_version(manifest) != before
