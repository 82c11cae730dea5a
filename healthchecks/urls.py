"""URL conf a service mounts with ``path("", include("healthchecks.urls"))``.

The names ``health`` and ``ready`` are global (no namespace) so that ``reverse("ready")`` and
django-health-check's ``health_check ready`` command find them.
"""

from django.urls import path

from healthchecks.views import LivenessView, ReadinessView, SettingsChecks

urlpatterns = [
    path("health", LivenessView.as_view(checks=()), name="health"),
    path("ready", ReadinessView.as_view(checks=SettingsChecks()), name="ready"),
]
