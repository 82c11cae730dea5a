"""The ticket service: tickets and comments."""
