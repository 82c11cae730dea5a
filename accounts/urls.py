"""URLs of the identity owner: ``path("", include("accounts.urls"))`` in the user service.

- ``/api/v1/auth/…``: signup, login, logout, session, password reset (request/confirm), change
- ``/api/v1/users/me``, ``/api/v1/users/<id>``, ``/api/v1/users``
- ``/internal/v1/introspect``, ``/internal/v1/revocations``: for other services (service token)
- ``/_allauth/app/v1/…``: allauth's headless API, in our envelope (``accounts.headless``)
"""

from django.urls import re_path

from accounts import views
from accounts.headless import headless_urlpatterns

app_name = "accounts"

_API = r"^api/(?P<version>v1)/"

urlpatterns = [
    re_path(_API + r"auth/signup$", views.SignupView.as_view(), name="signup"),
    re_path(_API + r"auth/login$", views.LoginView.as_view(), name="login"),
    re_path(
        _API + r"auth/provider/token$", views.ProviderTokenView.as_view(), name="provider-token"
    ),
    re_path(_API + r"auth/logout$", views.LogoutView.as_view(), name="logout"),
    re_path(_API + r"auth/session$", views.SessionView.as_view(), name="session"),
    re_path(
        _API + r"auth/password/reset$", views.PasswordResetView.as_view(), name="password-reset"
    ),
    re_path(
        _API + r"auth/password/reset/confirm$",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    re_path(
        _API + r"auth/password/change$", views.PasswordChangeView.as_view(), name="password-change"
    ),
    re_path(_API + r"users/me$", views.MeView.as_view(), name="users-me"),
    re_path(
        _API + r"users/(?P<user_id>[0-9a-fA-F-]{32,36})$",
        views.UserDetailView.as_view(),
        name="users-detail",
    ),
    re_path(_API + r"users$", views.UserListView.as_view(), name="users-list"),
    re_path(r"^internal/v1/introspect$", views.IntrospectView.as_view(), name="introspect"),
    re_path(r"^internal/v1/revocations$", views.RevocationFeedView.as_view(), name="revocations"),
]

urlpatterns += headless_urlpatterns()
