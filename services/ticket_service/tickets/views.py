"""The ticket API: plain DRF views; apipatterns gives the envelope, errors and pagination.

Who sees what: a customer sees the tickets they reported; agents and admins see every ticket.
Everyone else's ticket answers 404, exactly like a ticket that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEndUser, IsService
from accounts.roles import ADMIN, AGENT
from apipatterns.query import validate_query
from services.ticket_service.tickets.models import Comment, Ticket, TicketPriority
from services.ticket_service.tickets.serializers import (
    CommentSerializer,
    InternalTicketQuerySerializer,
    TicketInternalSerializer,
    TicketListQuerySerializer,
    TicketSerializer,
)

#: Roles that see and manage every ticket (customers see the ones they reported).
STAFF_ROLES = frozenset({AGENT, ADMIN})
#: Fields only agents and admins may change after creation.
STAFF_ONLY_FIELDS = ("status", "assignee_id")
_PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(TicketPriority.values)),
    output_field=IntegerField(),
)


def is_staff_user(roles: Iterable[str]) -> bool:
    """Agents and admins see every ticket."""
    return not STAFF_ROLES.isdisjoint(roles)


def refuse_staff_only_fields(request: Request) -> None:
    """403 when a non-staff caller sends ``status`` or ``assignee_id``, before any validation.

    Checked on the raw body, so the assignee lookup at the user service (which tells an unknown
    id from a user who is not an agent) is never an oracle for customers.
    """
    if is_staff_user(request.user.roles) or not isinstance(request.data, dict):
        return
    sent = [name for name in STAFF_ONLY_FIELDS if request.data.get(name) is not None]
    if request.method == "POST":
        sent = [name for name in sent if name != "status" or request.data[name] != "open"]
    if sent:
        raise PermissionDenied(_("Only agents and admins set a ticket's status or assignee."))


def visible_tickets(queryset: QuerySet[Ticket], user_id: Any, roles: set[str]) -> QuerySet[Ticket]:
    """The part of ``queryset`` a user may see: all for agents and admins, else their own."""
    if is_staff_user(roles):
        return queryset
    return queryset.filter(reporter_id=user_id)


@extend_schema_view(get=extend_schema(parameters=[TicketListQuerySerializer]))
class TicketListCreateView(generics.ListCreateAPIView):
    """``GET /api/v1/tickets`` (filter by status, priority, assignee; ordering) and ``POST``."""

    serializer_class = TicketSerializer
    permission_classes = [IsEndUser]

    def get_queryset(self) -> QuerySet[Ticket]:
        user = self.request.user
        queryset = visible_tickets(Ticket.objects.all(), user.id, user.roles)
        if self.request.method != "GET":
            return queryset
        params = validate_query(TicketListQuerySerializer, self.request.query_params)
        for name in ("status", "priority", "assignee_id", "reporter_id"):
            if name in params:
                queryset = queryset.filter(**{name: params[name]})
        ordering = params.get("ordering") or ["-created_at"]
        # Priority sorts by urgency (low < normal < high < urgent), not alphabetically.
        ordering = [
            field.replace("priority", "priority_rank") if "priority" in field else field
            for field in ordering
        ]
        if any("priority_rank" in field for field in ordering):
            queryset = queryset.annotate(priority_rank=_PRIORITY_RANK)
        # The primary key last: a stable order, so pages never repeat or skip a row.
        return queryset.order_by(*ordering, "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        refuse_staff_only_fields(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: TicketSerializer) -> None:
        data = serializer.validated_data
        if data.get("status", "open") != "open":
            raise PermissionDenied(_("A new ticket starts open."))
        serializer.save(reporter_id=self.request.user.id)


class TicketDetailView(generics.RetrieveUpdateDestroyAPIView):
    """``GET``/``PATCH``/``DELETE /api/v1/tickets/{id}`` (DELETE is soft and takes the comments)."""

    serializer_class = TicketSerializer
    permission_classes = [IsEndUser]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Ticket]:
        user = self.request.user
        return visible_tickets(Ticket.objects.all(), user.id, user.roles)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object()  # someone else's ticket stays a 404, whatever the body says
        refuse_staff_only_fields(request)
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer: TicketSerializer) -> None:
        changed = [name for name in STAFF_ONLY_FIELDS if name in serializer.validated_data]
        if changed and not is_staff_user(self.request.user.roles):
            raise PermissionDenied(
                _("Only agents and admins change a ticket's status or assignee.")
            )
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance: Ticket) -> None:
        # BaseModel.delete() is a soft delete; its comments go in the same batch. Who deleted
        # it decides who may restore it (TicketRestoreView).
        with transaction.atomic():
            instance.deleted_by = self.request.user.id
            instance.save(update_fields=["deleted_by", "updated_at"])
            instance.delete()


class TicketRestoreView(APIView):
    """``POST /api/v1/tickets/{id}/restore``: bring back a deleted ticket and its comments."""

    permission_classes = [IsEndUser]

    @extend_schema(request=None, responses={200: TicketSerializer})
    def post(self, request: Request, pk: str) -> Response:
        deleted = visible_tickets(Ticket.objects.deleted(), request.user.id, request.user.roles)
        ticket = get_object_or_404(deleted, pk=pk)
        if not may_restore(ticket, request.user.id, request.user.roles):
            raise PermissionDenied(_("Only agents and admins restore a ticket that staff deleted."))
        with transaction.atomic():
            ticket.restore()
            ticket.deleted_by = None
            ticket.save(update_fields=["deleted_by", "updated_at"])
        return Response(TicketSerializer(ticket).data, status=status.HTTP_200_OK)


def may_restore(ticket: Ticket, user_id: Any, roles: Iterable[str]) -> bool:
    """Staff restore any deleted ticket; anyone else only one they deleted themselves."""
    if is_staff_user(roles):
        return True
    return ticket.deleted_by is not None and str(ticket.deleted_by) == str(user_id)


class CommentListCreateView(generics.ListCreateAPIView):
    """``GET``/``POST /api/v1/tickets/{id}/comments`` on a ticket the caller may see."""

    serializer_class = CommentSerializer
    permission_classes = [IsEndUser]

    def get_ticket(self) -> Ticket:
        user = self.request.user
        tickets = visible_tickets(Ticket.objects.all(), user.id, user.roles)
        return get_object_or_404(tickets, pk=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[Comment]:
        # ticket.comments is built on the default manager, so soft-deleted comments stay hidden.
        return self.get_ticket().comments.order_by("created_at", "id")

    def perform_create(self, serializer: CommentSerializer) -> None:
        serializer.save(ticket=self.get_ticket(), author_id=self.request.user.id)


@extend_schema_view(get=extend_schema(parameters=[InternalTicketQuerySerializer]))
class InternalTicketView(generics.RetrieveAPIView):
    """``GET /internal/v1/tickets/{id}`` for services (service token only).

    ``?for_user=<uuid>&roles=customer,agent`` answers 404 unless that user may see the ticket:
    the file service passes the identity the user service told it, so the visibility rule lives
    here only. Deleted tickets are 404.
    """

    serializer_class = TicketInternalSerializer
    permission_classes = [IsService]

    def get_queryset(self) -> QuerySet[Ticket]:
        queryset = Ticket.objects.all()
        params = validate_query(InternalTicketQuerySerializer, self.request.query_params)
        if "for_user" in params:
            queryset = visible_tickets(queryset, params["for_user"], set(params["roles"]))
        return queryset
