"""Spiders of the ICP Finder crawler."""
