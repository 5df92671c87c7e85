"""The demo world and test fixtures: demo companies and websites, a synthetic ACRA registry, hostile
fixture sites and the virtual-host server. Never imported by production code (make lint checks)."""
