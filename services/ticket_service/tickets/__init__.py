"""The ticket service's domain app: tickets, their status workflow and comments."""
