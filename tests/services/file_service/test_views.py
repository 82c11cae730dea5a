"""The file API through DRF with a real HTTP ticket service and real file storage."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.authentication import RemoteUser
from services.file_service.files.models import StoredFile

pytestmark = [pytest.mark.django_db, pytest.mark.urls("services.file_service.urls")]


def remote_user(*roles: str) -> RemoteUser:
    return RemoteUser(id=str(uuid.uuid4()), email="u@example.com", roles=frozenset(roles))


def client_as(user: RemoteUser) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Uploads go to a fresh directory (changing MEDIA_ROOT resets Django's default storage)."""
    settings.MEDIA_ROOT = tmp_path / "files"
    return tmp_path / "files"


@pytest.fixture
def ticket_service(httpserver, settings):
    """A local HTTP server answering the internal ticket lookup like the ticket service."""
    settings.TICKET_SERVICE_URL = httpserver.url_for("/")
    settings.HTTP_CLIENT_RETRIES = 0
    settings.SERVICE_AUTH_TOKEN = "file-service-token"
    return httpserver


def serve_ticket(server, ticket_id, user, *, visible=True):
    server.expect_request(
        f"/internal/v1/tickets/{ticket_id}",
        query_string={"for_user": user.id, "roles": ",".join(sorted(user.roles))},
    ).respond_with_json(
        {"data": {"id": str(ticket_id), "reporter_id": user.id}} if visible else {},
        status=200 if visible else 404,
    )


def upload(client, ticket_id, content=b"hello", name="hello.txt", content_type="text/plain"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/files",
        {"ticket_id": str(ticket_id), "file": SimpleUploadedFile(name, content, content_type)},
        format="multipart",
    )


def test_upload_records_hash_size_type_and_stores_under_a_safe_name(ticket_service, storage):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    serve_ticket(ticket_service, ticket_id, user)
    content = bytes(range(256)) * 40
    response = upload(client_as(user), ticket_id, content, '../../x/"q".txt', "text/plain")
    assert response.status_code == 201, response.content
    body = response.json()["data"]
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["content_type"] == "text/plain"
    assert body["original_name"] == '"q".txt'
    record = StoredFile.objects.get(pk=body["id"])
    path = storage / record.file.name
    assert path.read_bytes() == content
    assert path.resolve().is_relative_to(storage.resolve())
    assert '"q"' not in record.file.name
    (request, _) = ticket_service.log[0]
    assert request.headers["Authorization"] == "Bearer file-service-token"


def test_same_name_twice_never_overwrites(ticket_service):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    serve_ticket(ticket_service, ticket_id, user)
    serve_ticket(ticket_service, ticket_id, user)
    first = upload(client_as(user), ticket_id, b"one", "same.txt").json()["data"]
    second = upload(client_as(user), ticket_id, b"two", "same.txt").json()["data"]
    one, two = StoredFile.objects.get(pk=first["id"]), StoredFile.objects.get(pk=second["id"])
    assert one.file.name != two.file.name
    assert one.file.open("rb").read() == b"one"


def test_upload_to_a_ticket_the_caller_cannot_see_is_refused(ticket_service):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    serve_ticket(ticket_service, ticket_id, user, visible=False)
    response = upload(client_as(user), ticket_id)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/ticket_id"
    assert not StoredFile.all_objects.exists()


def test_oversized_upload_is_a_413(ticket_service, settings):
    settings.FILE_UPLOAD_MAX_SIZE = 1000
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    response = upload(client_as(user), ticket_id, b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not StoredFile.all_objects.exists()
    assert not ticket_service.log  # refused before asking anybody


def test_missing_fields_are_400_with_pointers():
    response = client_as(remote_user("customer")).post("/api/v1/files", {}, format="multipart")
    assert response.status_code == 400
    pointers = sorted(e["pointer"] for e in response.json()["errors"])
    assert pointers == ["#/file", "#/ticket_id"]


def test_download_streams_the_bytes_as_an_attachment(ticket_service):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    for _ in range(2):
        serve_ticket(ticket_service, ticket_id, user)
    content = b"<html><script>alert(1)</script></html>"
    record = upload(client_as(user), ticket_id, content, "page.html", "text/html").json()["data"]
    response = client_as(user).get(f"/api/v1/files/{record['id']}/content")
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(content))
    assert response["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'


def test_download_with_a_matching_if_none_match_is_304_without_the_bytes(ticket_service):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    for _ in range(4):
        serve_ticket(ticket_service, ticket_id, user)
    content = b"same bytes"
    record = upload(client_as(user), ticket_id, content).json()["data"]
    url = f"/api/v1/files/{record['id']}/content"
    etag = client_as(user).get(url)["ETag"]

    cached = client_as(user).get(url, HTTP_IF_NONE_MATCH=etag)
    assert cached.status_code == 304
    assert cached["ETag"] == etag
    assert not cached.content
    assert client_as(user).get(url, HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304
    changed = client_as(user).get(url, HTTP_IF_NONE_MATCH='"not-this-one"')
    assert changed.status_code == 200
    assert b"".join(changed.streaming_content) == content


def test_download_with_a_failing_if_match_is_412_problem(ticket_service):
    user, ticket_id = remote_user("customer"), uuid.uuid4()
    for _ in range(2):
        serve_ticket(ticket_service, ticket_id, user)
    record = upload(client_as(user), ticket_id).json()["data"]
    response = client_as(user).get(
        f"/api/v1/files/{record['id']}/content", HTTP_IF_MATCH='"not-this-one"'
    )
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "precondition_failed"


def test_file_of_a_hidden_ticket_is_404_everywhere(ticket_service):
    owner, stranger, ticket_id = remote_user("customer"), remote_user("customer"), uuid.uuid4()
    serve_ticket(ticket_service, ticket_id, owner)
    record = upload(client_as(owner), ticket_id).json()["data"]
    for _ in range(4):
        serve_ticket(ticket_service, ticket_id, stranger, visible=False)
    client = client_as(stranger)
    assert client.get(f"/api/v1/files/{record['id']}").status_code == 404
    assert client.get(f"/api/v1/files/{record['id']}/content").status_code == 404
    assert client.delete(f"/api/v1/files/{record['id']}").status_code == 404
    assert client.get(f"/api/v1/files?ticket_id={ticket_id}").status_code == 404


def test_list_needs_a_ticket_id(ticket_service):
    response = client_as(remote_user("customer")).get("/api/v1/files")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "ticket_id"


def test_delete_is_soft_and_only_for_the_uploader_or_staff(ticket_service):
    owner, ticket_id = remote_user("customer"), uuid.uuid4()
    serve_ticket(ticket_service, ticket_id, owner)
    record = upload(client_as(owner), ticket_id).json()["data"]
    colleague = remote_user("customer")
    serve_ticket(ticket_service, ticket_id, colleague)  # may see the ticket, did not upload
    assert client_as(colleague).delete(f"/api/v1/files/{record['id']}").status_code == 403
    agent = remote_user("agent")
    serve_ticket(ticket_service, ticket_id, agent)
    assert client_as(agent).delete(f"/api/v1/files/{record['id']}").status_code == 204
    stored = StoredFile.all_objects.get(pk=record["id"])
    assert stored.is_deleted and stored.file.storage.exists(stored.file.name)
    serve_ticket(ticket_service, ticket_id, owner)
    assert client_as(owner).get(f"/api/v1/files/{record['id']}").status_code == 404


def test_ticket_service_down_is_503(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.TICKET_SERVICE_URL = f"http://127.0.0.1:{port}"
    settings.HTTP_CLIENT_RETRIES = 0
    response = client_as(remote_user("customer")).get(f"/api/v1/files?ticket_id={uuid.uuid4()}")
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"
