"""The ticket service's admin pages work (soft-delete filter included)."""

import uuid

import pytest

from services.ticket_service.tickets.models import Comment, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.urls("services.ticket_service.urls")]


def test_ticket_changelist_change_view_and_deleted_filter(admin_client):
    live = Ticket.objects.create(title="live one", reporter_id=uuid.uuid4())
    gone = Ticket.objects.create(title="gone one", reporter_id=uuid.uuid4())
    Comment.objects.create(ticket=live, author_id=uuid.uuid4(), body="hi")
    gone.delete()
    page = admin_client.get("/admin/tickets/ticket/")
    assert page.status_code == 200
    assert b"live one" in page.content and b"gone one" not in page.content
    assert admin_client.get(f"/admin/tickets/ticket/{live.pk}/change/").status_code == 200
