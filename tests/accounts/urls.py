"""URLs for the accounts tests: the identity owner's API plus an endpoint a consumer would have."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import RemoteSessionAuthentication
from accounts.permissions import HasRole


class RemoteWhoAmI(APIView):
    """What a ticket service would do: authenticate end users through introspection."""

    authentication_classes = [RemoteSessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response({"id": user.id, "email": user.email, "roles": sorted(user.roles)})


class AgentsOnly(APIView):
    authentication_classes = [RemoteSessionAuthentication]
    permission_classes = [HasRole("agent")]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("", include("accounts.urls")),
    path("remote/whoami", RemoteWhoAmI.as_view()),
    path("remote/agents", AgentsOnly.as_view()),
]
