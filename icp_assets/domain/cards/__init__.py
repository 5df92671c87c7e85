"""Suggestion cards after dbt: publish, render, accept."""
