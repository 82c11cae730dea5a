"""``/api/v1/users/{id}/roles``: admins grant (POST) and revoke (DELETE) a user's roles.

The accounts API reports roles (``GET /api/v1/users/{id}``) but leaves granting them to the
identity owner's own policy; in the demo, admins do it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import SessionTokenAuthentication
from accounts.permissions import HasRole
from accounts.roles import ADMIN, ROLES, assign_role, remove_role, roles_of


class RoleSerializer(serializers.Serializer):
    """The role to grant."""

    role = serializers.ChoiceField(choices=ROLES)


def _roles_body(user: Any) -> dict[str, Any]:
    return {"id": str(user.pk), "roles": sorted(roles_of(user))}


class UserRolesView(APIView):
    """``POST {"role": "agent"}`` grants a role; the answer lists the user's roles."""

    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [HasRole(ADMIN)]

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

    def delete(self, request: Request, user_id: Any, role: str) -> Response:
        user = get_object_or_404(get_user_model().objects.all(), pk=user_id)
        serializer = RoleSerializer(data={"role": role})
        serializer.is_valid(raise_exception=True)
        remove_role(user, role)
        return Response(status=status.HTTP_204_NO_CONTENT)
