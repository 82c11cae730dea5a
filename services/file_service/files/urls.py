"""URLs of the files app (mounted at the root of the file service)."""

from django.urls import path

from services.file_service.files import views

app_name = "files"

urlpatterns = [
    path("api/v1/files", views.FileListCreateView.as_view(), name="file-list"),
    path("api/v1/files/<uuid:pk>", views.FileDetailView.as_view(), name="file-detail"),
    path("api/v1/files/<uuid:pk>/content", views.FileContentView.as_view(), name="file-content"),
]
