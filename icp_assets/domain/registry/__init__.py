"""Loaders for the public registry: ACRA entities and the SingStat SSIC 2020 reference."""
