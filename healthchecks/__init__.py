"""Liveness (/health) and readiness (/ready) endpoints on django-health-check."""
