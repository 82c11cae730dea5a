"""Google/GitHub login through allauth.socialaccount; provider answers come from a local server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from accounts import allauth_bridge
from accounts.models import User
from tests.accounts.conftest import auth

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(httpserver, monkeypatch):
    """GitHub's API played by a local server: the adapter's URLs point at it."""
    real = allauth_bridge.github_adapter

    def adapter(request):
        instance = real(request)
        instance.profile_url = httpserver.url_for("/user")
        instance.emails_url = httpserver.url_for("/user/emails")
        return instance

    monkeypatch.setattr(allauth_bridge, "github_adapter", adapter)

    def serve(token="gh-token", email="octo@example.com"):
        httpserver.expect_request(
            "/user", headers={"Authorization": f"token {token}"}
        ).respond_with_json({"id": 4242, "login": "octo", "name": "Octo Cat", "email": email})
        httpserver.expect_request("/user/emails").respond_with_json(
            [{"email": email, "primary": True, "verified": True}]
        )
        return httpserver

    return serve


def provider_login(api, provider, token):
    return api.post(
        "/api/v1/auth/provider/token", {"provider": provider, "token": token}, format="json"
    )


def test_github_login_creates_the_user_and_a_session(api, github):
    github()
    response = provider_login(api, "github", {"access_token": "gh-token"})
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["user"]["email"] == "octo@example.com"
    assert api.get("/api/v1/auth/session", **auth(data["token"])).status_code == 200
    # The second login finds the same account.
    again = provider_login(api, "github", {"access_token": "gh-token"}).json()["data"]
    assert again["user"]["id"] == data["user"]["id"]
    assert User.objects.filter(email="octo@example.com").count() == 1


def test_github_refusing_the_token_is_a_400(api, github):
    server = github(token="the-real-one")
    server.expect_request("/user").respond_with_json({"message": "Bad credentials"}, status=401)
    response = provider_login(api, "github", {"access_token": "stolen"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_social_login_does_not_take_over_a_local_account(api, github, user):
    github(email="ann@example.com")
    response = provider_login(api, "github", {"access_token": "gh-token"})
    assert response.status_code == 400
    assert User.objects.filter(email="ann@example.com").count() == 1


def test_google_rejects_an_unverifiable_id_token(api):
    response = provider_login(api, "google", {"id_token": "not.a.jwt"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_unknown_provider_is_a_validation_error(api):
    assert provider_login(api, "myspace", {"access_token": "x"}).status_code == 400


def test_providers_are_switched_on_by_their_environment_variables():
    code = (
        "from django.conf import settings as s; "
        "print(sorted(s.SOCIALACCOUNT_PROVIDERS), "
        "'allauth.socialaccount.providers.github' in s.INSTALLED_APPS)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GOOGLE_"))}
    base["DJANGO_SETTINGS_MODULE"] = "settings.dev"

    def run(extra):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.stdout.strip()

    assert run({}) == "[] False"
    assert run({"GITHUB_CLIENT_ID": "id"}) == "[] False"  # the secret is needed too
    assert run({"GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "s"}) == "['github'] True"
    assert run({"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s"}) == "['google'] False"
