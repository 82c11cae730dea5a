"""The accounts HTTP API: plain DRF views over ``accounts.services`` (envelope from apipatterns).

Public auth endpoints take no authentication at all, so a stale token in a header never blocks
a login; the previous token is still rotated away by ``services.login``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import revocation, services
from accounts.authentication import (
    ServiceTokenAuthentication,
    SessionTokenAuthentication,
    token_from_request,
)
from accounts.exceptions import UserNotFoundError
from accounts.models import User, normalize_email
from accounts.permissions import HasRole, IsLocalUser, IsService
from accounts.roles import ADMIN, SERVICE, has_role
from accounts.serializers import (
    DetailSerializer,
    IntrospectResponseSerializer,
    IntrospectSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    ProfileUpdateSerializer,
    ProviderTokenSerializer,
    RevocationFeedQuerySerializer,
    RevocationFeedSerializer,
    SessionSerializer,
    SignupResponseSerializer,
    SignupSerializer,
    UserListQuerySerializer,
    UserSerializer,
    session_payload,
)
from apipatterns.pagination import PageNumberPagination
from apipatterns.query import validate_query
from apipatterns.throttling import ScopedRateThrottle

SIGNUP_ACCEPTED = "If this email can be used, the account is ready: log in to continue."
RESET_SENT = "If an account uses this email, we sent it a link to reset the password."


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _PublicView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class _UserView(APIView):
    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [IsAuthenticated, IsLocalUser]


class SignupView(_PublicView):
    """POST: create an account. Known and new emails get the same answer (no enumeration)."""

    @extend_schema(request=SignupSerializer, responses={201: SignupResponseSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(SignupSerializer, request.data)
        email, password = data.pop("email"), data.pop("password")
        services.signup(email, password, data, request=request._request)
        return Response(
            {"email": normalize_email(email), "detail": SIGNUP_ACCEPTED},
            status=status.HTTP_201_CREATED,
        )


class LoginView(_PublicView):
    """POST {email, password}: a new session token (send it as ``X-Session-Token``)."""

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(LoginSerializer, request.data)
        session = services.login(
            data["email"],
            data["password"],
            request=request._request,
            previous_token=token_from_request(request),
        )
        return Response({"token": session.token, **session_payload(session)})


class ProviderTokenView(_PublicView):
    """POST {provider, token: {id_token | access_token}}: log in with Google or GitHub."""

    @extend_schema(request=ProviderTokenSerializer, responses={200: LoginResponseSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(ProviderTokenSerializer, request.data)
        session = services.social_login(data["provider"], data["token"], request=request._request)
        return Response({"token": session.token, **session_payload(session)})


class LogoutView(_UserView):
    """POST: end this session now."""

    @extend_schema(request=None, responses={200: DetailSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        services.logout(request.auth, request=request._request)
        return Response({"detail": "Logged out."})


class SessionView(_UserView):
    """GET: who am I, and until when is this session valid if left idle."""

    @extend_schema(responses={200: SessionSerializer})
    def get(self, request: Request, **kwargs: Any) -> Response:
        session = services.get_session(request.auth)
        if session is None:  # ended between authentication and now
            raise UserNotFoundError()
        return Response(session_payload(session))


class PasswordResetView(_PublicView):
    """POST {email}: email a reset link. Same answer for every well-formed email."""

    @extend_schema(request=PasswordResetSerializer, responses={202: DetailSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(PasswordResetSerializer, request.data)
        services.request_password_reset(data["email"], request=request._request)
        return Response({"detail": RESET_SENT}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(_PublicView):
    """POST {token, new_password}: set the password; every session ends; no login."""

    @extend_schema(request=PasswordResetConfirmSerializer, responses={200: DetailSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(PasswordResetConfirmSerializer, request.data)
        services.reset_password(data["token"], data["new_password"], request=request._request)
        return Response({"detail": "Password changed. Log in with the new password."})


class PasswordChangeView(_UserView):
    """POST {current_password, new_password}: every session (this one too) ends."""

    @extend_schema(request=PasswordChangeSerializer, responses={200: DetailSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(PasswordChangeSerializer, request.data)
        services.change_password(
            request.user, data["current_password"], data["new_password"], request=request._request
        )
        return Response({"detail": "Password changed. Log in with the new password."})


class MeView(_UserView):
    """GET / PATCH the caller's own profile."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=ProfileUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request, **kwargs: Any) -> Response:
        user = services.update_user(request.user.pk, _profile_changes(request))
        return Response(UserSerializer(user).data)


def _profile_changes(request: Request) -> dict[str, Any]:
    """The body of a profile PATCH, checked field by field by ``ProfileUpdateSerializer``."""
    data = request.data
    if hasattr(data, "dict"):  # a form body: one value per field, as JSON would give
        data = data.dict()
    serializer = ProfileUpdateSerializer(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class UserDetailView(APIView):
    """GET a user (self, an admin or a service); PATCH a profile (self or an admin).

    Anyone else gets 404, the same as for an id that does not exist.
    """

    authentication_classes = [ServiceTokenAuthentication, SessionTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def _may_read(self, request: Request, user_id: Any) -> bool:
        principal = request.user
        return (
            has_role(principal, SERVICE)
            or has_role(principal, ADMIN)
            or (str(principal.pk) == str(user_id))
        )

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request, user_id: Any, **kwargs: Any) -> Response:
        if not self._may_read(request, user_id):
            raise UserNotFoundError()
        return Response(UserSerializer(services.get_user(user_id)).data)

    @extend_schema(request=ProfileUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request, user_id: Any, **kwargs: Any) -> Response:
        principal = request.user
        if principal.is_service or not (
            has_role(principal, ADMIN) or str(principal.pk) == str(user_id)
        ):
            raise UserNotFoundError()
        return Response(
            UserSerializer(services.update_user(user_id, _profile_changes(request))).data
        )


@extend_schema(parameters=[UserListQuerySerializer])
class UserListView(generics.ListAPIView):
    """GET users (admins and services), paginated; ``?email=`` and ``?role=`` filter."""

    authentication_classes = [ServiceTokenAuthentication, SessionTokenAuthentication]
    permission_classes = [HasRole(ADMIN, SERVICE)]
    serializer_class = UserSerializer
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[User]:
        filters = validate_query(UserListQuerySerializer, self.request.query_params)
        queryset = User.objects.order_by("created_at", "id")
        if filters.get("email"):
            queryset = queryset.filter(email=normalize_email(filters["email"]))
        if filters.get("role"):
            queryset = queryset.filter(groups__name=filters["role"])
        return queryset.prefetch_related("groups")


#: The ``introspect`` rate when ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` does not set one.
DEFAULT_INTROSPECT_RATE = "600/min"


class IntrospectRateThrottle(ScopedRateThrottle):
    """The introspection quota: per calling service *and end client*, not per service.

    A consumer sends the address of the client whose token it checks (``client_ip``); one client
    sending made-up tokens then spends its own quota, never the one every other user of that
    service shares. Without ``client_ip`` the calling service is the client. The rate is the
    ``introspect`` scope (default ``DEFAULT_INTROSPECT_RATE``).
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, DEFAULT_INTROSPECT_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str:
        data = request.data if isinstance(request.data, dict) else {}
        client = data.get("client_ip")
        client = client if isinstance(client, str) and len(client) <= 45 else "-"
        ident = f"{request.user.pk}:{client}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IntrospectView(APIView):
    """POST {token, client_ip?} (services only): is this session token live, and whose is it?"""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [IsService]
    throttle_classes = [IntrospectRateThrottle]
    throttle_scope = "introspect"

    @extend_schema(request=IntrospectSerializer, responses={200: IntrospectResponseSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = _valid(IntrospectSerializer, request.data)
        session = services.get_session(data["token"])
        if session is None:
            return Response({"active": False, "user": None, "expires_at": None})
        return Response({"active": True, **session_payload(session)})


class RevocationFeedView(APIView):
    """GET ?since= (services only): sessions whose cached identity must go (accounts.revocation).

    Consumers with process-local caches read it every few seconds; it is not throttled beyond
    the service token (a fixed interval per consumer process bounds it).
    """

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [IsService]
    throttle_classes: list[type] = []

    @extend_schema(
        parameters=[RevocationFeedQuerySerializer], responses={200: RevocationFeedSerializer}
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        query = _valid(RevocationFeedQuerySerializer, request.query_params)
        return Response(revocation.feed(query.get("since")))
