"""The settings of ``apipatterns``, each with its default (see :mod:`shared_core.conf`).

DRF's own settings (``REST_FRAMEWORK``: page size, throttle rates, ``NUM_PROXIES``) are read
through DRF's ``api_settings``; the ones below are the suite's additions.
"""

from __future__ import annotations

from shared_core.conf import AppSettings, Setting

__all__ = ["apipatterns_settings"]

#: ``apipatterns``' settings.
apipatterns_settings = AppSettings(
    "apipatterns",
    [
        Setting(
            "API_MAX_PAGE_SIZE",
            100,
            "The largest page a client gets: a larger `per_page` is clamped to it.",
        ),
        Setting(
            "API_MAX_CHUNKED_BODY_SIZE",
            None,
            "Largest chunked (`Transfer-Encoding: chunked`) request body "
            "`apipatterns.wsgi.ChunkedBodyMiddleware` reads, in bytes (413 past it); `None`: "
            "`DATA_UPLOAD_MAX_MEMORY_SIZE`.",
        ),
        Setting(
            "API_MAX_JSON_DEPTH",
            64,
            "Deepest nesting of arrays and objects a JSON body may have; deeper is a 400 "
            "problem (never a `RecursionError`).",
        ),
        Setting(
            "API_THROTTLE_LEASE_SIZE",
            20,
            "Most units of a client's throttle budget a worker leases from the cache's counter "
            "(Redis: one round trip; local memory: one `incr`) and then serves locally; a "
            "client never gets more than its rate, and at most `lease - 1` units per worker go "
            "unused in a window. `1`: one cache operation per request (exact counting).",
        ),
        Setting(
            "API_THROTTLE_LEASE_WORKERS",
            8,
            "How many worker processes the throttles expect to share a client's budget: a lease "
            "is at most the remaining budget divided by this, so leases shrink as it runs out.",
        ),
        Setting(
            "API_PROBLEM_TYPE_BASE",
            "",
            "Base URL of the problem `type` URIs (`<base><code>`); empty gives `about:blank`.",
        ),
    ],
)
