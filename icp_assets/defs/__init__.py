"""Dagster wiring, one module per area (registry, tenant, dbt), each exposing its Definitions.

Assets here are thin: they read resources, call the plain domain functions and report metadata.
"""
