"""The file API: plain DRF views; apipatterns gives the envelope, errors and pagination.

A file is visible exactly when its ticket is: every request asks the ticket service (with this
service's token, on behalf of the caller) before it reveals or changes anything.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEndUser
from accounts.roles import ADMIN, AGENT, has_role
from apipatterns.exceptions import PayloadTooLarge
from apipatterns.query import validate_query
from services.file_service.files import tickets
from services.file_service.files.models import StoredFile
from services.file_service.files.serializers import (
    FileListQuerySerializer,
    StoredFileSerializer,
    UploadSerializer,
)
from services.file_service.files.uploads import store_upload

#: Room for the multipart boundaries and the ticket_id field around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def _check_size(size: int) -> None:
    limit = settings.FILE_UPLOAD_MAX_SIZE
    if size > limit:
        raise PayloadTooLarge(_("Files may be at most %(limit)d bytes.") % {"limit": limit})


def _visible_file(request: Request, pk: Any) -> StoredFile:
    """The active file ``pk`` when its ticket is visible to the caller; 404 otherwise."""
    record = get_object_or_404(StoredFile.objects.all(), pk=pk)
    if tickets.visible_ticket(record.ticket_id, request.user) is None:
        raise Http404
    return record


@extend_schema_view(get=extend_schema(parameters=[FileListQuerySerializer]))
class FileListCreateView(generics.ListAPIView):
    """``GET /api/v1/files?ticket_id=…`` and multipart ``POST /api/v1/files``."""

    serializer_class = StoredFileSerializer
    permission_classes = [IsEndUser]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[StoredFile]:
        ticket_id = validate_query(FileListQuerySerializer, self.request.query_params)["ticket_id"]
        if tickets.visible_ticket(ticket_id, self.request.user) is None:
            raise Http404
        return StoredFile.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id")

    @extend_schema(request=UploadSerializer, responses={201: StoredFileSerializer})
    def post(self, request: Request) -> Response:
        # Refuse an oversized body before reading it (the Content-Length is known up front).
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        _check_size(max(0, declared - MULTIPART_OVERHEAD))
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        _check_size(data["file"].size)
        if tickets.visible_ticket(data["ticket_id"], request.user) is None:
            raise ValidationError({"ticket_id": [_("No such ticket.")]}, code="unknown_ticket")
        record = store_upload(
            data["file"], ticket_id=data["ticket_id"], uploaded_by=request.user.id
        )
        return Response(StoredFileSerializer(record).data, status=status.HTTP_201_CREATED)


class FileDetailView(APIView):
    """``GET /api/v1/files/{id}`` (metadata) and ``DELETE`` (soft; uploader or staff)."""

    permission_classes = [IsEndUser]

    @extend_schema(responses={200: StoredFileSerializer})
    def get(self, request: Request, pk: Any) -> Response:
        return Response(StoredFileSerializer(_visible_file(request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        record = _visible_file(request, pk)
        user = request.user
        is_uploader = str(record.uploaded_by) == str(user.id)
        if not (is_uploader or has_role(user, AGENT) or has_role(user, ADMIN)):
            raise PermissionDenied(_("Only the uploader, agents and admins delete a file."))
        record.delete()  # BaseModel: a soft delete; the stored bytes stay for a restore
        return Response(status=status.HTTP_204_NO_CONTENT)


#: Downloads are private (the ticket decides who sees them) and never stored by a shared or
#: browser cache; a client that keeps the bytes itself revalidates with ``If-None-Match``.
CONTENT_CACHE_CONTROL = "private, no-store"


class FileContentView(APIView):
    """``GET /api/v1/files/{id}/content``: the bytes, streamed, always as an attachment."""

    permission_classes = [IsEndUser]

    # The stored bytes with the content type recorded at upload: any media type.
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: Any) -> HttpResponseBase:
        record = _visible_file(request, pk)
        etag = f'"{record.sha256}"'
        # If-None-Match with this ETag: 304 without opening the file (If-Match that differs:
        # 412), after the visibility check, so a 304 tells a stranger nothing.
        conditional = get_conditional_response(request, etag=etag)
        if conditional is not None:
            conditional["ETag"] = etag
            conditional["Cache-Control"] = CONTENT_CACHE_CONTROL
            return conditional
        try:
            handle = record.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        # FileResponse streams in blocks and builds Content-Disposition itself (RFC 6266/5987:
        # quotes escaped, non-ASCII as filename*); as_attachment keeps browsers from rendering
        # an uploaded HTML or SVG file inline, and nosniff comes from SecurityMiddleware.
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=record.original_name,
            content_type=record.content_type,
        )
        response["Content-Length"] = str(record.size)
        response["ETag"] = etag
        response["Cache-Control"] = CONTENT_CACHE_CONTROL
        return response
