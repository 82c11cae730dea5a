"""URLs for the accounts tests: the identity owner's API plus an endpoint a consumer would have."""

from django.contrib import admin
from django.urls import include, path
from rest_framework.authentication import BasicAuthentication
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


class BasicWhoAmI(APIView):
    """A view that opts into HTTP Basic (a service that sets API_BASIC_AUTH would have these)."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"email": request.user.email})


urlpatterns = [
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("basic/whoami", BasicWhoAmI.as_view()),
    path("remote/whoami", RemoteWhoAmI.as_view()),
    path("remote/agents", AgentsOnly.as_view()),
]
