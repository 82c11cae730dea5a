"""The ticket API through DRF (envelope, problems, pagination) with a real HTTP user service.

End users are given to the views as ``RemoteUser`` objects (what RemoteSessionAuthentication
builds; the introspection itself is tested in accounts and end to end). The assignee check goes
over real HTTP to a local server standing in for the user service.
"""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from rest_framework import serializers

from services.ticket_service.tickets.models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Comment,
    Ticket,
)
from tests.services.ticket_service.conftest import client_as, remote_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("services.ticket_service.urls")]


@pytest.fixture
def user_service(httpserver, settings):
    """A local HTTP server answering GET /api/v1/users/{id} like the user service."""
    settings.IDENTITY_SERVICE_URL = httpserver.url_for("/")
    settings.HTTP_CLIENT_RETRIES = 0
    settings.SERVICE_AUTH_TOKEN = "ticket-service-token"
    return httpserver


def serve_user(server, user_id, *roles, status=200):
    body = {"data": {"id": str(user_id), "roles": list(roles)}} if status == 200 else {}
    server.expect_request(f"/api/v1/users/{user_id}").respond_with_json(body, status=status)


def test_agent_creates_a_ticket_assigned_to_an_agent(user_service, agent):
    assignee = remote_user("agent")
    serve_user(user_service, assignee.id, "agent")
    response = client_as(agent).post(
        "/api/v1/tickets", {"title": "Broken", "assignee_id": assignee.id}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()["data"]
    assert body["reporter_id"] == agent.id and body["assignee_id"] == assignee.id
    assert body["status"] == "open" and body["priority"] == "normal"
    (request, _response) = user_service.log[0]
    assert request.headers["Authorization"] == "Bearer ticket-service-token"
    assert request.headers["X-Request-ID"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("roles", "status", "code"),
    [((), 404, "unknown_assignee"), (("customer",), 200, "assignee_not_agent")],
)
def test_assignee_must_be_an_existing_agent(user_service, agent, roles, status, code):
    assignee = uuid.uuid4()
    serve_user(user_service, assignee, *roles, status=status)
    response = client_as(agent).post(
        "/api/v1/tickets", {"title": "x", "assignee_id": str(assignee)}, format="json"
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"] == [
        {"code": code, "detail": problem["errors"][0]["detail"], "pointer": "#/assignee_id"}
    ]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("assignee", ["known-agent", "known-customer", "unknown", "not-a-uuid"])
def test_customers_never_assign_and_learn_nothing_about_the_id(user_service, customer, assignee):
    ids = {"known-agent": str(uuid.uuid4()), "known-customer": str(uuid.uuid4())}
    serve_user(user_service, ids["known-agent"], "agent")
    serve_user(user_service, ids["known-customer"], "customer")
    value = ids.get(assignee, str(uuid.uuid4()) if assignee == "unknown" else assignee)
    response = client_as(customer).post(
        "/api/v1/tickets", {"title": "x", "assignee_id": value}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert user_service.log == []  # refused before any lookup
    assert not Ticket.objects.exists()
    # Nor on their own ticket afterwards.
    ticket = Ticket.objects.create(title="mine", reporter_id=customer.id)
    response = client_as(customer).patch(
        f"/api/v1/tickets/{ticket.id}", {"assignee_id": value}, format="json"
    )
    assert response.status_code == 403
    assert user_service.log == []


def test_customer_may_send_an_empty_assignee_and_an_open_status(customer):
    response = client_as(customer).post(
        "/api/v1/tickets", {"title": "x", "assignee_id": None, "status": "open"}, format="json"
    )
    assert response.status_code == 201, response.content


def test_user_service_down_is_503_upstream_unavailable(settings, agent):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.IDENTITY_SERVICE_URL = f"http://127.0.0.1:{closed_port}"
    settings.HTTP_CLIENT_RETRIES = 0
    response = client_as(agent).post(
        "/api/v1/tickets", {"title": "x", "assignee_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", TITLE_MAX_LENGTH), ("description", DESCRIPTION_MAX_LENGTH)],
)
def test_ticket_text_fields_have_a_maximum_length(customer, field, limit):
    client = client_as(customer)
    base = {"title": "t"}
    ok = client.post("/api/v1/tickets", {**base, field: "x" * limit}, format="json")
    assert ok.status_code == 201, ok.content[:300]
    too_long = client.post("/api/v1/tickets", {**base, field: "x" * (limit + 1)}, format="json")
    assert too_long.status_code == 400
    assert [e["pointer"] for e in too_long.json()["errors"]] == [f"#/{field}"]


def test_comment_body_has_a_maximum_length(customer):
    ticket = Ticket.objects.create(title="t", reporter_id=customer.id)
    path = f"/api/v1/tickets/{ticket.id}/comments"
    client = client_as(customer)
    assert client.post(path, {"body": "x" * COMMENT_MAX_LENGTH}, format="json").status_code == 201
    response = client.post(path, {"body": "x" * (COMMENT_MAX_LENGTH + 1)}, format="json")
    assert response.status_code == 400
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/body"]


def test_customers_see_their_own_tickets_agents_see_all(customer, agent):
    mine = Ticket.objects.create(title="mine", reporter_id=customer.id)
    theirs = Ticket.objects.create(title="theirs", reporter_id=uuid.uuid4())
    listed = client_as(customer).get("/api/v1/tickets").json()["data"]
    assert [t["id"] for t in listed] == [str(mine.id)]
    assert client_as(customer).get(f"/api/v1/tickets/{theirs.id}").status_code == 404
    listed = client_as(agent).get("/api/v1/tickets").json()["data"]
    assert {t["id"] for t in listed} == {str(mine.id), str(theirs.id)}


def test_list_filters_orders_and_rejects_bad_parameters(agent):
    reporter = uuid.uuid4()
    low = Ticket.objects.create(title="a", reporter_id=reporter, priority="low")
    urgent = Ticket.objects.create(title="b", reporter_id=reporter, priority="urgent")
    normal = Ticket.objects.create(title="c", reporter_id=reporter, status="in_progress")
    client = client_as(agent)

    def ids(query):
        response = client.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["data"]]

    assert ids("status=in_progress") == [str(normal.id)]
    assert ids("priority=urgent") == [str(urgent.id)]
    # Priority orders by urgency, not alphabetically.
    assert ids("ordering=-priority") == [str(urgent.id), str(normal.id), str(low.id)]
    assert ids("ordering=title") == [str(low.id), str(urgent.id), str(normal.id)]
    for query, parameter in [
        ("status=bogus", "status"),
        ("priority=1", "priority"),
        ("assignee_id=not-a-uuid", "assignee_id"),
        ("ordering=password", "ordering"),
    ]:
        response = client.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 400, query
        assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


def test_list_without_parameters_is_the_newest_first_and_ignores_unknown_ones(agent):
    reporter = uuid.uuid4()
    first = Ticket.objects.create(title="first", reporter_id=reporter)
    second = Ticket.objects.create(title="second", reporter_id=reporter)
    client = client_as(agent)
    for query in ("", "?unknown=1"):
        response = client.get(f"/api/v1/tickets{query}")
        assert response.status_code == 200, response.content
        assert [t["id"] for t in response.json()["data"]] == [str(second.id), str(first.id)]


def test_list_datetimes_follow_a_time_zone_activated_for_the_request(agent):
    ticket = Ticket.objects.create(title="t", reporter_id=uuid.uuid4())
    with timezone.override("America/Sao_Paulo"):
        listed = client_as(agent).get("/api/v1/tickets").json()["data"]
        drf = serializers.DateTimeField()
        expected = [drf.to_representation(ticket.created_at)]
        expected.append(drf.to_representation(ticket.updated_at))
    assert [listed[0]["created_at"], listed[0]["updated_at"]] == expected
    assert expected[0].endswith("-03:00")


def test_pagination_meta_and_bounds(agent):
    for i in range(3):
        Ticket.objects.create(title=f"t{i}", reporter_id=uuid.uuid4())
    body = client_as(agent).get("/api/v1/tickets?per_page=2").json()
    assert len(body["data"]) == 2
    assert body["meta"]["pagination"]["per_page"] == 2
    assert client_as(agent).get("/api/v1/tickets?page=0").status_code == 400


def test_workflow_moves_are_checked_and_reserved_to_staff(customer, agent):
    ticket = Ticket.objects.create(title="t", reporter_id=customer.id)
    path = f"/api/v1/tickets/{ticket.id}"
    response = client_as(customer).patch(path, {"status": "in_progress"}, format="json")
    assert response.status_code == 403
    response = client_as(agent).patch(path, {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_transition"
    response = client_as(agent).patch(path, {"status": "in_progress"}, format="json")
    assert response.status_code == 200 and response.json()["data"]["status"] == "in_progress"
    # The reporter may still edit the text of their ticket.
    response = client_as(customer).patch(path, {"title": "New title"}, format="json")
    assert response.status_code == 200 and response.json()["data"]["title"] == "New title"
    new = client_as(customer).post("/api/v1/tickets", {"title": "x", "status": "closed"})
    assert new.status_code in (400, 403)


def test_delete_is_soft_cascades_to_comments_and_restore_undoes_it(customer):
    client = client_as(customer)
    ticket = client.post("/api/v1/tickets", {"title": "t"}, format="json").json()["data"]
    path = f"/api/v1/tickets/{ticket['id']}"
    assert client.post(f"{path}/comments", {"body": "hello"}, format="json").status_code == 201
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/comments").status_code == 404
    assert Ticket.all_objects.filter(pk=ticket["id"]).exists()  # still there, soft-deleted
    assert Comment.objects.count() == 0 and Comment.all_objects.count() == 1
    restored = client.post(f"{path}/restore")
    assert restored.status_code == 200 and restored.json()["data"]["id"] == ticket["id"]
    assert [c["body"] for c in client.get(f"{path}/comments").json()["data"]] == ["hello"]
    # Another customer can neither delete nor restore it.
    other = client_as(remote_user("customer"))
    assert other.delete(path).status_code == 404
    client.delete(path)
    assert other.post(f"{path}/restore").status_code == 404


def test_only_staff_restore_what_staff_deleted(customer, agent):
    ticket = Ticket.objects.create(title="t", reporter_id=customer.id)
    path = f"/api/v1/tickets/{ticket.id}"
    assert client_as(agent).delete(path).status_code == 204
    refused = client_as(customer).post(f"{path}/restore")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert Ticket.objects.deleted().filter(pk=ticket.pk).exists()  # still deleted
    assert client_as(agent).post(f"{path}/restore").status_code == 200
    ticket.refresh_from_db()
    assert ticket.deleted_by is None
    # What the customer deleted themselves, they may restore; staff may too.
    assert client_as(customer).delete(path).status_code == 204
    assert client_as(customer).post(f"{path}/restore").status_code == 200
    assert client_as(customer).delete(path).status_code == 204
    assert client_as(remote_user("admin")).post(f"{path}/restore").status_code == 200


def test_internal_lookup_is_for_services_and_applies_the_visibility_rule(
    customer, agent, file_service
):
    ticket = Ticket.objects.create(title="t", reporter_id=customer.id)
    path = f"/internal/v1/tickets/{ticket.id}"
    assert client_as(customer).get(path).status_code == 403
    assert file_service.get(path).json()["data"]["reporter_id"] == customer.id
    assert file_service.get(f"{path}?for_user={customer.id}&roles=customer").status_code == 200
    assert file_service.get(f"{path}?for_user={agent.id}&roles=agent").status_code == 200
    other = uuid.uuid4()
    assert file_service.get(f"{path}?for_user={other}&roles=customer").status_code == 404
    bad = file_service.get(f"{path}?for_user=nope")
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "for_user"
    ticket.delete()
    assert file_service.get(path).status_code == 404
    # Public endpoints are for end users only.
    assert file_service.get("/api/v1/tickets").status_code == 403
