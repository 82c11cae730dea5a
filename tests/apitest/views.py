"""Views for the apipatterns tests: plain DRF views (no envelope code) and plain Django views."""

import threading

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST
from rest_framework import exceptions, generics, serializers, throttling
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from apipatterns import error_response, handle_exceptions, paginate, success_response
from apipatterns.exceptions import APIError, ConflictError
from apipatterns.pagination import CursorPagination, NoCountPageNumberPagination
from apipatterns.throttling import ScopedRateThrottle
from shared_core import http as clients
from tests.apitest.models import Widget


class WidgetSerializer(serializers.ModelSerializer):
    # No UniqueValidator: the database constraint decides, as in a real race.
    name = serializers.CharField(max_length=50)

    class Meta:
        model = Widget
        fields = ["id", "name", "quantity"]


class WidgetList(generics.ListCreateAPIView):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer


class WidgetNoCountList(generics.ListAPIView):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer
    pagination_class = NoCountPageNumberPagination


class WidgetCursor(CursorPagination):
    ordering = ("-id",)


class WidgetCursorList(generics.ListAPIView):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer
    pagination_class = WidgetCursor


class WidgetDetail(generics.RetrieveAPIView):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer


# A barrier the race test sets: both requests validate, then insert together.
race_barrier: threading.Barrier | None = None


class RacingWidgetSerializer(serializers.ModelSerializer):
    """Keeps DRF's UniqueValidator: both racers pass it before either inserts."""

    class Meta:
        model = Widget
        fields = ["id", "name", "quantity"]


class RacingWidgetCreate(generics.CreateAPIView):
    serializer_class = RacingWidgetSerializer

    def perform_create(self, serializer):
        if race_barrier is not None:
            race_barrier.wait(timeout=10)
        serializer.save()


class ItemSerializer(serializers.Serializer):
    email = serializers.EmailField()
    quantity = serializers.IntegerField(min_value=1)


class OrderSerializer(serializers.Serializer):
    customer = serializers.CharField()
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.EmailField(), required=False)
    counts = serializers.DictField(child=serializers.IntegerField(), required=False)

    def validate(self, attrs):
        if attrs.get("customer") == "nobody":
            raise serializers.ValidationError("Orders need a real customer.", code="no_customer")
        return attrs


class OrderCreate(APIView):
    def post(self, request, version=None):
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class HandBuiltError(APIView):
    def post(self, request):
        serializer = OrderSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=400)
        return Response(serializer.validated_data)


class Ping(APIView):
    def get(self, request, version=None):
        return Response({"pong": True, "version": request.version})

    def post(self, request, version=None):
        return Response({"received": request.data})


class CookiePing(Ping):
    """A view that opts into cookie sessions (the suite's defaults leave them out)."""

    authentication_classes = [SessionAuthentication]


class CleanWidget(APIView):
    """Creates through model.full_clean(): Django's ValidationError must become a 400."""

    def post(self, request):
        widget = Widget(name=request.data.get("name", ""), quantity=request.data.get("quantity", 0))
        widget.full_clean()
        widget.save()
        return Response({"id": widget.id}, status=201)


class Boom(APIView):
    """Writes a row, then fails: the row must not survive, the body must leak nothing."""

    def post(self, request):
        with transaction.atomic():
            Widget.objects.create(name="boom-atomic")
            raise RuntimeError("SELECT secret FROM apitest_widget; password=hunter2")


class BoomAtomicRequests(APIView):
    """Writes without an explicit atomic block: ATOMIC_REQUESTS must roll it back."""

    def post(self, request):
        Widget.objects.create(name="boom-request")
        raise RuntimeError("apitest_widget exploded")


class DuplicateInAtomic(APIView):
    def post(self, request):
        with transaction.atomic():
            Widget.objects.create(name="first-of-two")
            Widget.objects.create(name=request.data["name"])
        return Response(status=201)


UPSTREAM_ERRORS = {
    "timeout": clients.ServiceTimeoutError("read timed out", method="GET", url="http://x/"),
    "deadline": clients.DeadlineExceededError("deadline", method="GET", url="http://x/"),
    "connection": clients.ServiceConnectionError("refused", method="GET", url="http://x/"),
    "unavailable": clients.ServiceUnavailableError(
        "503", status=503, retry_after=2.5, method="GET", url="http://x/"
    ),
    "circuit": clients.CircuitOpenError("open", retry_after=7.2, method="GET", url="http://x/"),
    "http": clients.ServiceHTTPError("500", status=500, body_snippet="Traceback", url="http://x/"),
    "json": clients.InvalidJSONError("not json", status=200, body_snippet="<html>"),
}


class Upstream(APIView):
    def get(self, request, kind):
        raise UPSTREAM_ERRORS[kind]


class ServiceUnavailable(exceptions.APIException):
    """A third-party style 5xx exception with a code of its own (drf-standardized-errors)."""

    status_code = 503
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"


class Teapot(exceptions.APIException):
    """A subclass that sets a status but no code."""

    status_code = 418
    default_detail = "No coffee here."


RAISED_API_EXCEPTIONS = {
    "bare": lambda: exceptions.APIException(),
    "bare-message": lambda: exceptions.APIException("Something specific failed."),
    "dict": lambda: exceptions.APIException({"name": ["Bad name."]}),
    "list-403": lambda: exceptions.PermissionDenied(["one", "two"]),
    "custom-503": lambda: ServiceUnavailable(),
    "teapot": lambda: Teapot(),
    "auth": lambda: exceptions.AuthenticationFailed(),
    "many-items": lambda: exceptions.ValidationError([{"field": ["Some Error"]}] * 999),
}


class RaisesAPIException(APIView):
    authentication_classes = [BasicAuthentication]  # so a 401 carries WWW-Authenticate

    def get(self, request, kind):
        raise RAISED_API_EXCEPTIONS[kind]()


class ApiTestScopedThrottle(ScopedRateThrottle):
    THROTTLE_RATES = {"apitest": "3/min"}


class ScopedThrottled(APIView):
    throttle_classes = [ApiTestScopedThrottle]
    throttle_scope = "apitest"

    def get(self, request):
        return Response({"ok": True})


class NeverWaitThrottle(throttling.BaseThrottle):
    """A third-party style throttle that refuses and cannot say for how long."""

    def allow_request(self, request, view):
        return False

    def wait(self):
        return None


class UnknownWaitThrottled(APIView):
    throttle_classes = [NeverWaitThrottle]

    def get(self, request):
        return Response({"ok": True})


class RateLimitedError(APIError):
    status_code = 429
    default_code = "too_many_attempts"
    default_detail = "Too many attempts."


class AppRateLimited(APIView):
    def get(self, request):
        raise RateLimitedError()


def plain_rate_limited(request):
    return HttpResponse("slow down", status=429, content_type="text/plain")


class Envelopes(APIView):
    def get(self, request):
        return success_response({"made": "by hand"}, status=202, meta={"note": "x"})

    def delete(self, request):
        return error_response(409, "ticket_closed", "Ticket is closed.")


# --- plain Django views -------------------------------------------------------------------


def plain_404(request):
    raise Http404("No Widget matches the given query.")


def plain_denied(request):
    raise PermissionDenied("secret reason")


def plain_boom(request):
    raise ValueError("plain view exploded: SELECT * FROM apitest_widget")


def plain_body(request):
    return HttpResponse(f"{len(request.body)} bytes")


@require_POST
def plain_post_only(request):
    return JsonResponse({"ok": True})


def plain_json(request):
    return JsonResponse({"error": "own format"}, status=418)


def plain_envelopes(request):
    if request.GET.get("error"):
        return error_response(
            400, "nope", "Nope.", [{"code": "x", "detail": "y", "parameter": "q"}]
        )
    return success_response([1, 2, 3])


@handle_exceptions
def decorated(request, kind):
    if kind == "missing":
        Widget.objects.get(pk=0)
    if kind == "denied":
        raise PermissionDenied
    if kind == "clean":
        Widget(name="xylophone", quantity=-1).full_clean()
    if kind == "integrity":
        with transaction.atomic():
            Widget.objects.create(name="dup")
            Widget.objects.create(name="dup")
    if kind == "upstream":
        raise clients.CircuitOpenError("open", retry_after=None)
    if kind == "drf":
        raise ConflictError("Already there.")
    if kind == "boom":
        raise KeyError("internal detail")
    return JsonResponse({"ok": True})


class DecoratedAPIView(APIView):
    @handle_exceptions
    def get(self, request):
        raise IntegrityError("duplicate key value violates unique constraint apitest_widget_name")


@handle_exceptions
def plain_paginated(request):
    items, meta = paginate(
        Widget.objects.order_by("id"), request.GET.get("page"), request.GET.get("per_page")
    )
    return success_response([w.name for w in items], meta={"pagination": meta})
