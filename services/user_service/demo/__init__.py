"""Demo accounts of the user service, created by ``manage.py seed_demo`` (the runner calls it).

Plain constants, importable without Django: the runner prints them in its banner.
"""

#: (role, email) of each demo account; each gets the role of the same name.
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("admin", "admin@example.com"),
    ("agent", "agent@example.com"),
    ("customer", "customer@example.com"),
)
#: Password of the demo accounts unless ``DEMO_PASSWORD`` says otherwise.
DEFAULT_DEMO_PASSWORD = "demo-Password-2468"
