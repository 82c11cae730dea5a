"""Users and authentication for every service, built on django-allauth."""
