"""URLs of the roles app (mounted at the root of the user service)."""

from django.urls import path

from services.user_service.roles import views

app_name = "roles"

urlpatterns = [
    path("api/v1/users/<uuid:user_id>/roles", views.UserRolesView.as_view(), name="user-roles"),
    path(
        "api/v1/users/<uuid:user_id>/roles/<str:role>",
        views.UserRoleView.as_view(),
        name="user-role",
    ),
    path(
        "api/v1/users/<uuid:user_id>/deactivate",
        views.UserDeactivateView.as_view(),
        name="user-deactivate",
    ),
    path(
        "api/v1/users/<uuid:user_id>/activate",
        views.UserActivateView.as_view(),
        name="user-activate",
    ),
]
