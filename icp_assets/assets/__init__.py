"""Python assets, one module per stage; each asset is a thin call into plain functions."""
