"""URLconf of the apipatterns tests, with the suite's error handlers (like every service)."""

from django.urls import include, path

from tests.apitest import views

urlpatterns = [
    path("", include("apipatterns.urls")),
    path("api/<str:version>/ping", views.Ping.as_view()),
    path("api/<str:version>/orders", views.OrderCreate.as_view()),
    path("drf/ping", views.Ping.as_view()),
    path("drf/cookie-ping", views.CookiePing.as_view()),
    path("drf/orders", views.OrderCreate.as_view()),
    path("drf/hand-built-error", views.HandBuiltError.as_view()),
    path("drf/widgets", views.WidgetList.as_view()),
    path("drf/widgets-nocount", views.WidgetNoCountList.as_view()),
    path("drf/widgets-cursor", views.WidgetCursorList.as_view()),
    path("drf/widgets/<int:pk>", views.WidgetDetail.as_view()),
    path("drf/widgets-race", views.RacingWidgetCreate.as_view()),
    path("drf/clean-widget", views.CleanWidget.as_view()),
    path("drf/boom", views.Boom.as_view()),
    path("drf/boom-atomic-requests", views.BoomAtomicRequests.as_view()),
    path("drf/duplicate", views.DuplicateInAtomic.as_view()),
    path("drf/upstream/<str:kind>", views.Upstream.as_view()),
    path("drf/raises/<str:kind>", views.RaisesAPIException.as_view()),
    path("drf/scoped-throttle", views.ScopedThrottled.as_view()),
    path("drf/unknown-wait-throttle", views.UnknownWaitThrottled.as_view()),
    path("drf/envelopes", views.Envelopes.as_view()),
    path("drf/app-rate-limited", views.AppRateLimited.as_view()),
    path("plain/rate-limited", views.plain_rate_limited),
    path("drf/decorated", views.DecoratedAPIView.as_view()),
    path("plain/404", views.plain_404),
    path("plain/denied", views.plain_denied),
    path("plain/boom", views.plain_boom),
    path("plain/body", views.plain_body),
    path("plain/post-only", views.plain_post_only),
    path("plain/json", views.plain_json),
    path("plain/envelopes", views.plain_envelopes),
    path("plain/decorated/<str:kind>", views.decorated),
    path("plain/paginated", views.plain_paginated),
]

handler400 = "apipatterns.handlers.handler400"
handler403 = "apipatterns.handlers.handler403"
handler404 = "apipatterns.handlers.handler404"
handler500 = "apipatterns.handlers.handler500"
