"""Bench-only settings and URLs for ``bench/load_stack.py`` (never used by the services)."""
