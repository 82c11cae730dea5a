"""The user service's roles app: admins grant and revoke roles over HTTP; demo accounts.

The constants below are importable without Django: the runner prints them in its banner.
"""

#: (role, email) of each demo account (``manage.py seed_demo``); each gets that role.
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("admin", "admin@example.com"),
    ("agent", "agent@example.com"),
    ("customer", "customer@example.com"),
)
#: Password of the demo accounts unless ``DEMO_PASSWORD`` says otherwise.
DEFAULT_DEMO_PASSWORD = "demo-Password-2468"
