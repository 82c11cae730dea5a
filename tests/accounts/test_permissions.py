"""accounts.permissions.IsEndUser: end users (local or remote) in, services and anonymous out."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from accounts.authentication import RemoteUser, ServicePrincipal
from accounts.permissions import IsEndUser


def allowed(user) -> bool:
    request = APIRequestFactory().get("/")
    request.user = user
    return IsEndUser().has_permission(request, None)


def test_is_end_user():
    assert allowed(RemoteUser(id="u1", roles=frozenset({"customer"})))
    assert allowed(RemoteUser(id="u2"))  # no role at all is still an end user
    assert not allowed(ServicePrincipal(name="file-service"))
    assert not allowed(AnonymousUser())
