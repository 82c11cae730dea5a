"""Ticket workflow and the soft-delete cascade to comments (real database)."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from services.ticket_service.tickets.models import (
    ALLOWED_TRANSITIONS,
    Comment,
    Ticket,
    TicketStatus,
    check_transition,
)

pytestmark = pytest.mark.django_db


def make_ticket(**fields):
    return Ticket.objects.create(title="t", reporter_id=uuid.uuid4(), **fields)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("open", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("open", "open"),
    ],
)
def test_allowed_moves(current, new):
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("open", "resolved"),
        ("open", "closed"),
        ("in_progress", "open"),
        ("resolved", "in_progress"),
        ("closed", "open"),
        ("open", "nonsense"),
    ],
)
def test_every_other_move_is_refused(current, new):
    with pytest.raises(ValidationError) as info:
        check_transition(current, new)
    assert info.value.error_dict["status"][0].code == "invalid_transition"


def test_the_workflow_is_one_line_from_open_to_closed():
    status, seen = TicketStatus.OPEN, [TicketStatus.OPEN]
    while ALLOWED_TRANSITIONS[status]:
        (status,) = ALLOWED_TRANSITIONS[status]
        seen.append(status)
    assert seen == ["open", "in_progress", "resolved", "closed"]


def test_move_to_changes_status_only_when_allowed():
    ticket = make_ticket()
    ticket.move_to("in_progress")
    assert ticket.status == "in_progress"
    with pytest.raises(ValidationError):
        ticket.move_to("closed")
    assert ticket.status == "in_progress"


def test_soft_delete_takes_the_comments_and_restore_brings_back_exactly_those():
    ticket = make_ticket()
    kept = Comment.objects.create(ticket=ticket, author_id=uuid.uuid4(), body="kept")
    removed_before = Comment.objects.create(ticket=ticket, author_id=uuid.uuid4(), body="gone")
    removed_before.delete()

    count, per_model = ticket.delete()
    assert count == 2 and per_model == {"tickets.Ticket": 1, "tickets.Comment": 1}
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Comment.objects.filter(ticket_id=ticket.pk).exists()
    assert Comment.all_objects.filter(ticket_id=ticket.pk).count() == 2

    Ticket.all_objects.get(pk=ticket.pk).restore()
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert list(Ticket.objects.get(pk=ticket.pk).comments.all()) == [kept]
