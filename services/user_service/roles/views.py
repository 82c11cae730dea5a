"""``/api/v1/users/{id}/roles``: admins grant (POST) and revoke (DELETE) a user's roles;
``/api/v1/users/{id}/deactivate`` and ``…/activate``: admins switch an account off and on.

The accounts API reports roles (``GET /api/v1/users/{id}``) but leaves granting them to the
identity owner's own policy; in the demo, admins do it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import SessionTokenAuthentication
from accounts.permissions import HasRole
from accounts.roles import ADMIN, ROLES, assign_role, remove_role, roles_of
from accounts.services import end_all_sessions


class RoleSerializer(serializers.Serializer):
    """The role to grant."""

    role = serializers.ChoiceField(choices=ROLES)


class UserRolesSerializer(serializers.Serializer):
    """The answer: the user and the roles they hold now (documentation only)."""

    id = serializers.UUIDField()
    roles = serializers.ListField(child=serializers.CharField())


def _roles_body(user: Any) -> dict[str, Any]:
    return {"id": str(user.pk), "roles": sorted(roles_of(user))}


class UserRolesView(APIView):
    """``POST {"role": "agent"}`` grants a role; the answer lists the user's roles."""

    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [HasRole(ADMIN)]

    @extend_schema(request=RoleSerializer, responses={200: UserRolesSerializer})
    def post(self, request: Request, user_id: Any) -> Response:
        user = get_object_or_404(get_user_model().objects.all(), pk=user_id)
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assign_role(user, serializer.validated_data["role"])
        return Response(_roles_body(user), status=status.HTTP_200_OK)


class UserRoleView(APIView):
    """``DELETE /api/v1/users/{id}/roles/{role}`` revokes one role."""

    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [HasRole(ADMIN)]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: Any, role: str) -> Response:
        user = get_object_or_404(get_user_model().objects.all(), pk=user_id)
        serializer = RoleSerializer(data={"role": role})
        serializer.is_valid(raise_exception=True)
        remove_role(user, role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserActiveSerializer(serializers.Serializer):
    """The answer: the user and whether the account may log in (documentation only)."""

    id = serializers.UUIDField()
    is_active = serializers.BooleanField()


class _UserActiveView(APIView):
    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [HasRole(ADMIN)]
    is_active: bool

    @extend_schema(request=None, responses={200: UserActiveSerializer})
    def post(self, request: Request, user_id: Any) -> Response:
        user = get_object_or_404(get_user_model().objects.all(), pk=user_id)
        if not self.is_active and str(user.pk) == str(request.user.pk):
            raise PermissionDenied("Admins cannot deactivate their own account.")
        with transaction.atomic():
            if user.is_active != self.is_active:
                user.is_active = self.is_active
                user.save(update_fields=["is_active", "updated_at"])
            if not self.is_active:
                end_all_sessions(user)
        return Response({"id": str(user.pk), "is_active": user.is_active})


class UserDeactivateView(_UserActiveView):
    """``POST``: the account can no longer log in; every session of it ends and is refused on
    every service within the revocation bound (``accounts.revocation``)."""

    is_active = False


class UserActivateView(_UserActiveView):
    """``POST``: the account may log in again."""

    is_active = True
