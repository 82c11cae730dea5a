"""The user service: the identity owner (accounts HTTP API)."""
