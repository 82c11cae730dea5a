"""Locust users for ``bench/load_stack.py`` (run by it; the URLs come from the environment).

``LOAD_MODE=mixed``: each user logs in once, then lists tickets, creates tickets assigned to the
demo agent (the ticket service checks the assignee with the user service), uploads small files
(the file service checks the ticket with the ticket service) and now and then logs in again.
``LOAD_MODE=bare``: ``GET /bench/bare`` on the ticket service only.
"""

from __future__ import annotations

import itertools
import os

from locust import HttpUser, between, constant, task

USER_URL = os.environ["LOAD_USER_URL"]
TICKET_URL = os.environ["LOAD_TICKET_URL"]
FILE_URL = os.environ["LOAD_FILE_URL"]
PASSWORD = os.environ["LOAD_PASSWORD"]
AGENT_ID = os.environ.get("LOAD_AGENT_ID", "")
MODE = os.environ.get("LOAD_MODE", "mixed")
ACCOUNTS = ("customer@example.com", "agent@example.com")
_counter = itertools.count()


class BareUser(HttpUser):
    """The ceiling: the same server, the least work per request."""

    host = TICKET_URL
    wait_time = constant(0)
    weight = 1 if MODE == "bare" else 0

    @task
    def bare(self) -> None:
        self.client.get("/bench/bare", name="bare DRF view")


class StackUser(HttpUser):
    """One end user working through the three services."""

    host = TICKET_URL
    wait_time = between(0, 0.01)
    weight = 1 if MODE == "mixed" else 0

    def on_start(self) -> None:
        self.email = ACCOUNTS[next(_counter) % len(ACCOUNTS)]
        self.ticket_id = None
        self.login()

    def login(self) -> None:
        response = self.client.post(
            f"{USER_URL}/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            name="login",
        )
        if response.ok:
            self.client.headers["X-Session-Token"] = response.json()["data"]["token"]

    @task(1)
    def relogin(self) -> None:
        self.login()

    @task(10)
    def list_tickets(self) -> None:
        self.client.get(f"{TICKET_URL}/api/v1/tickets?per_page=20", name="list tickets")

    @task(4)
    def create_ticket(self) -> None:
        payload = {"title": "Printer on fire", "description": "load"}
        if self.email.startswith("agent"):
            # Only staff set an assignee (a customer's would be a 403): the user-service hop.
            payload["assignee_id"] = AGENT_ID
        response = self.client.post(
            f"{TICKET_URL}/api/v1/tickets",
            json=payload,
            name="create ticket (assignee check)",
        )
        if response.status_code == 201:
            self.ticket_id = response.json()["data"]["id"]

    @task(2)
    def upload(self) -> None:
        if self.ticket_id is None:
            return
        self.client.post(
            f"{FILE_URL}/api/v1/files",
            data={"ticket_id": self.ticket_id},
            files={"file": ("note.txt", b"x" * 2048, "text/plain")},
            name="upload 2 KB file",
        )
