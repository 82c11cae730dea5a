"""The file service's domain app: files attached to tickets, kept through Django's storage API."""
