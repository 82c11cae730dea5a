"""Shared foundation: soft-delete BaseModel, inter-service HTTPClient, logging and request IDs."""
