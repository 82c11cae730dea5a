"""accounts.revocation: what records a revocation on the user service, the feed consumers read,
and how a consumer's cached identity gives way to a revocation (real database, real HTTP)."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import caches
from werkzeug import Response

from accounts import revocation, services
from accounts.models import RevokedSession
from accounts.roles import assign_role, remove_role
from tests.accounts.conftest import PASSWORD, SERVICE_TOKEN, auth, service_auth

pytestmark = pytest.mark.django_db


def revoked_hashes() -> set[str]:
    return set(RevokedSession.objects.values_list("token_hash", flat=True))


def markers(*tokens: str) -> dict[str, object]:
    keys = [revocation.MARKER_PREFIX + revocation.token_hash(token) for token in tokens]
    return revocation.identity_cache().get_many(keys)


# --- the user service records revocations ------------------------------------------------------
def test_logout_records_the_session_and_writes_its_marker_on_commit(
    user, django_capture_on_commit_callbacks
):
    token = services.login(user.email, PASSWORD).token
    with django_capture_on_commit_callbacks(execute=True):
        services.logout(token)
    assert revocation.token_hash(token) in revoked_hashes()
    assert len(markers(token)) == 1
    assert token not in "".join(revoked_hashes())


@pytest.mark.parametrize("change", ["reset", "change", "deactivate", "soft_delete"])
def test_every_session_of_the_user_is_revoked_when_the_account_changes(user, change):
    tokens = [services.login(user.email, PASSWORD).token for _ in range(2)]
    RevokedSession.objects.all().delete()
    if change == "reset":
        services.reset_password(services.request_password_reset(user.email), "Fresh-Paper-Clip-41")
    elif change == "change":
        services.change_password(user, PASSWORD, "Fresh-Paper-Clip-41")
    elif change == "deactivate":
        user.is_active = False
        user.save()
    else:
        user.delete()
    assert {revocation.token_hash(token) for token in tokens} <= revoked_hashes()


def test_a_role_change_revokes_the_cached_identity_of_every_session_from_either_side(user):
    token = services.login(user.email, PASSWORD).token
    RevokedSession.objects.all().delete()
    assign_role(user, "agent")
    assert revoked_hashes() == {revocation.token_hash(token)}
    RevokedSession.objects.all().delete()
    remove_role(user, "agent")
    assert revoked_hashes() == {revocation.token_hash(token)}
    RevokedSession.objects.all().delete()
    from django.contrib.auth.models import Group

    Group.objects.get(name="customer").user_set.add(user)
    assert revoked_hashes() == {revocation.token_hash(token)}
    RevokedSession.objects.all().delete()
    Group.objects.get(name="customer").user_set.clear()
    assert revoked_hashes() == {revocation.token_hash(token)}
    # The session itself lives on: only cached identities are void.
    assert services.verify_session(token) == user


def test_a_login_stamp_alone_revokes_nothing(user):
    services.login(user.email, PASSWORD)
    RevokedSession.objects.all().delete()
    services.login(user.email, PASSWORD)  # saves last_login only
    assert revoked_hashes() == set()


def test_old_revocations_are_pruned(user, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.IDENTITY_CACHE_TTL = 30
    old = RevokedSession.objects.create(
        token_hash="0" * 64, created_at=timezone.now() - revocation.retention() - timedelta(1)
    )
    revocation.revoke_tokens(["x" * 32])
    assert not RevokedSession.objects.filter(pk=old.pk).exists()


# --- the feed ------------------------------------------------------------------------------------
def test_the_feed_is_for_services_only(api):
    assert api.get("/internal/v1/revocations").status_code == 401
    assert api.get("/internal/v1/revocations", **auth("a" * 32)).status_code == 401


def test_the_feed_answers_revocations_since_a_time_with_a_lookback(api):
    first = api.get("/internal/v1/revocations", **service_auth()).json()["data"]
    assert first["revoked"] == [] and first["reset"] is False
    revocation.revoke_tokens(["a" * 32, "b" * 32])
    answer = api.get(f"/internal/v1/revocations?since={first['now']}", **service_auth()).json()[
        "data"
    ]
    assert [event["token_hash"] for event in answer["revoked"]] == sorted(
        revocation.token_hash(t) for t in ("a" * 32, "b" * 32)
    )
    assert answer["now"] >= first["now"]
    # Events from just before `since` come again (a transaction may commit out of order)...
    again = api.get(f"/internal/v1/revocations?since={answer['now']}", **service_auth()).json()[
        "data"
    ]
    assert len(again["revoked"]) == 2
    # ... but not those older than the lookback.
    later = answer["now"] + revocation.FEED_LOOKBACK + 1
    assert (
        api.get(f"/internal/v1/revocations?since={later}", **service_auth()).json()["data"][
            "revoked"
        ]
        == []
    )
    for since in ("yesterday", "-1", "1e300", "nan", "inf"):
        bad = api.get(f"/internal/v1/revocations?since={since}", **service_auth())
        assert bad.status_code == 400 and bad.json()["code"] == "validation_error", since


def test_more_revocations_than_one_answer_carries_tell_the_reader_to_reset(api, monkeypatch):
    monkeypatch.setattr(revocation, "FEED_LIMIT", 2)
    since = time.time()
    revocation.revoke_tokens(["a" * 32, "b" * 32, "c" * 32])
    answer = api.get(f"/internal/v1/revocations?since={since}", **service_auth()).json()["data"]
    assert answer["reset"] is True and answer["revoked"] == []


# --- consumers -----------------------------------------------------------------------------------
def test_a_cached_answer_is_used_until_its_marker_changes(settings):
    settings.IDENTITY_REVOCATION_POLL_INTERVAL = 0  # markers come through the cache only
    digest = revocation.token_hash("t" * 32)
    found = revocation.lookup(digest)
    assert found.answer is None
    revocation.remember(digest, {"active": True}, 30, found)
    assert revocation.lookup(digest).answer == {"active": True}
    revocation.identity_cache().set(revocation.MARKER_PREFIX + digest, "new", 60)
    stale = revocation.lookup(digest)
    assert stale.answer is None and stale.marker == "new"
    # Asked again after the revocation: cached with the marker seen before asking.
    revocation.remember(digest, {"active": True, "roles": ["customer"]}, 30, stale)
    assert revocation.lookup(digest).answer == {"active": True, "roles": ["customer"]}


def test_the_identity_cache_is_the_identity_alias_when_there_is_one(settings):
    settings.IDENTITY_CACHE_ALIAS = None
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "identity": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "i"},
    }
    assert revocation.identity_cache_alias() == "identity"
    assert revocation.identity_cache() is caches["identity"]
    settings.IDENTITY_CACHE_ALIAS = "default"
    assert revocation.identity_cache_alias() == "default"


def test_the_feed_is_read_only_for_a_process_local_identity_cache(settings):
    settings.IDENTITY_REVOCATION_POLL_INTERVAL = None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert revocation.poll_interval() == revocation.DEFAULT_POLL_INTERVAL
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert revocation.poll_interval() == 0
    settings.IDENTITY_REVOCATION_POLL_INTERVAL = 0.5
    assert revocation.poll_interval() == 0.5


@pytest.fixture
def scripted_identity(settings, httpserver):
    """An identity service that says every token is live and lists ``revoked`` in its feed."""
    settings.IDENTITY_SERVICE_URL = httpserver.url_for("/")
    settings.SERVICE_AUTH_TOKEN = SERVICE_TOKEN
    settings.IDENTITY_REVOCATION_POLL_INTERVAL = 2.0
    revocation.feed_reader.forget()
    state = {"revoked": [], "feed_status": 200}
    user = {"id": "u-1", "email": "ann@example.com", "roles": ["customer"]}
    httpserver.expect_request("/internal/v1/introspect", method="POST").respond_with_json(
        {"data": {"active": True, "user": user, "expires_at": None}}
    )

    def feed(request):
        body = {"now": time.time(), "reset": False, "revoked": state["revoked"]}
        return Response(
            json.dumps({"data": body}),
            status=state["feed_status"],
            content_type="application/json",
        )

    httpserver.expect_request(f"/{revocation.FEED_PATH}").respond_with_handler(feed)
    yield httpserver, state
    revocation.feed_reader.forget()


def introspections(server) -> int:
    return sum(1 for request, _ in server.log if request.path == "/internal/v1/introspect")


def test_a_revocation_in_the_feed_voids_the_cached_identity_at_the_next_read(
    api, scripted_identity
):
    server, state = scripted_identity
    token = "k" * 32
    for _ in range(3):
        assert api.get("/remote/whoami", **auth(token)).status_code == 200
    assert introspections(server) == 1
    state["revoked"] = [{"id": 7, "token_hash": revocation.token_hash(token)}]
    revocation.feed_reader.forget()  # the interval has passed: the next request reads the feed
    assert api.get("/remote/whoami", **auth(token)).status_code == 200
    assert introspections(server) == 2  # asked again
    assert api.get("/remote/whoami", **auth(token)).status_code == 200
    assert introspections(server) == 2  # and cached again, against the new marker


def test_without_a_readable_feed_the_cache_is_not_trusted(api, scripted_identity):
    server, state = scripted_identity
    state["feed_status"] = 500
    for _ in range(3):
        assert api.get("/remote/whoami", **auth("m" * 32)).status_code == 200
    assert introspections(server) == 3
