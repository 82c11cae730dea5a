"""Property test: through the ticket API, a deleted row never shows and restore is exact.

A hypothesis state machine creates tickets and comments through the API, soft-deletes tickets
through the API (``DELETE``, cascading to their comments), soft-deletes single comments and
hard-deletes tickets through the models (the API has no endpoint for those), and restores
tickets through the API. After every step the list, detail and comments endpoints must show
exactly the rows the plain-Python model says are alive, and a restored ticket must bring back
exactly the comments its delete removed — not one deleted before on its own.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from services.ticket_service.tickets.models import Comment, Ticket
from tests.services.ticket_service.conftest import client_as, remote_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("services.ticket_service.urls")]


class TicketAPIMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.api = client_as(remote_user("agent"))
        self.tickets: dict[str, dict] = {}  # id -> {"deleted": bool, "batch": int | None}
        self.comments: dict[str, dict] = {}  # id -> {"ticket", "deleted", "batch"}
        self.batches = itertools.count()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _pick(self, ids: list[str], index: int) -> str:
        return ids[index % len(ids)]

    # --- operations --------------------------------------------------------------------------

    @rule()
    def create_ticket(self) -> None:
        response = self.api.post("/api/v1/tickets", {"title": "t"}, format="json")
        assert response.status_code == 201, response.content
        self.tickets[response.json()["data"]["id"]] = {"deleted": False, "batch": None}

    @precondition(lambda self: any(not t["deleted"] for t in self.tickets.values()))
    @rule(index=st.integers(0, 10**6))
    def comment(self, index: int) -> None:
        alive = [k for k, t in self.tickets.items() if not t["deleted"]]
        ticket = self._pick(alive, index)
        response = self.api.post(f"/api/v1/tickets/{ticket}/comments", {"body": "c"}, format="json")
        assert response.status_code == 201, response.content
        self.comments[response.json()["data"]["id"]] = {
            "ticket": ticket,
            "deleted": False,
            "batch": None,
        }

    @precondition(lambda self: self.tickets)
    @rule(index=st.integers(0, 10**6))
    def delete_ticket(self, index: int) -> None:
        ticket = self._pick(list(self.tickets), index)
        response = self.api.delete(f"/api/v1/tickets/{ticket}")
        if self.tickets[ticket]["deleted"]:
            assert response.status_code == 404
            return
        assert response.status_code == 204, response.content
        batch = next(self.batches)
        self.tickets[ticket].update(deleted=True, batch=batch)
        for comment in self.comments.values():
            if comment["ticket"] == ticket and not comment["deleted"]:
                comment.update(deleted=True, batch=batch)

    @precondition(lambda self: self.tickets)
    @rule(index=st.integers(0, 10**6))
    def restore_ticket(self, index: int) -> None:
        ticket = self._pick(list(self.tickets), index)
        response = self.api.post(f"/api/v1/tickets/{ticket}/restore")
        state = self.tickets[ticket]
        if not state["deleted"]:
            assert response.status_code == 404
            return
        assert response.status_code == 200, response.content
        for comment in self.comments.values():
            same_batch = comment["batch"] == state["batch"]
            if comment["ticket"] == ticket and comment["deleted"] and same_batch:
                comment["deleted"] = False
        state["deleted"] = False

    @precondition(lambda self: any(not c["deleted"] for c in self.comments.values()))
    @rule(index=st.integers(0, 10**6))
    def delete_one_comment(self, index: int) -> None:
        alive = [k for k, c in self.comments.items() if not c["deleted"]]
        comment = self._pick(alive, index)
        Comment.objects.get(pk=comment).delete()
        self.comments[comment].update(deleted=True, batch=next(self.batches))

    @precondition(lambda self: self.tickets)
    @rule(index=st.integers(0, 10**6))
    def hard_delete_ticket(self, index: int) -> None:
        ticket = self._pick(list(self.tickets), index)
        Ticket.all_objects.get(pk=ticket).hard_delete()
        del self.tickets[ticket]
        for key in [k for k, c in self.comments.items() if c["ticket"] == ticket]:
            del self.comments[key]

    # --- what the API must show --------------------------------------------------------------

    @invariant()
    def the_list_shows_exactly_the_live_tickets(self) -> None:
        response = self.api.get("/api/v1/tickets?per_page=100")
        assert response.status_code == 200
        shown = {t["id"] for t in response.json()["data"]}
        assert shown == {k for k, t in self.tickets.items() if not t["deleted"]}

    @invariant()
    def details_and_comments_hide_deleted_rows(self) -> None:
        for ticket, state in list(self.tickets.items())[-4:]:
            detail = self.api.get(f"/api/v1/tickets/{ticket}")
            comments = self.api.get(f"/api/v1/tickets/{ticket}/comments?per_page=100")
            if state["deleted"]:
                assert detail.status_code == 404 and comments.status_code == 404
                continue
            assert detail.status_code == 200
            shown = {c["id"] for c in comments.json()["data"]}
            expected = {
                k for k, c in self.comments.items() if c["ticket"] == ticket and not c["deleted"]
            }
            assert shown == expected


def test_the_api_never_shows_a_deleted_row_and_restore_is_exact():
    run_state_machine_as_test(
        TicketAPIMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
