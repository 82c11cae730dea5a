"""A worker process for the throttle's multi-process test: threads hammering one client key.

Run as ``python -m tests.apipatterns.throttle_workers CONFIG_JSON``; prints how many requests its
threads were allowed and refused, as JSON. Every thread stops at its first refusal (or after
``max_requests``): a process is refused only once it holds no leased units, so when all threads
have stopped, every unit leased within the rate has been served.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from types import SimpleNamespace


def main(config: dict) -> dict[str, int]:
    import django
    from django.conf import settings

    settings.configure(
        CACHES={"default": {"BACKEND": config["backend"], "LOCATION": config["location"]}},
        INSTALLED_APPS=[],
        REST_FRAMEWORK={},
        **config.get("settings", {}),
    )
    django.setup()

    from apipatterns.throttling import AnonRateThrottle

    middle = config["window_middle"]
    started = time.monotonic()

    class Hammered(AnonRateThrottle):
        rate = config["rate"]
        # Every process counts in the same window whatever the wall clock says.
        timer = staticmethod(lambda: middle + (time.monotonic() - started))

    request = SimpleNamespace(
        user=SimpleNamespace(is_authenticated=False), META={"REMOTE_ADDR": config["client"]}
    )
    allowed = refused = 0
    lock = threading.Lock()

    def hammer() -> None:
        nonlocal allowed, refused
        mine = 0
        for _ in range(config["max_requests"]):
            if not Hammered().allow_request(request, None):
                with lock:
                    refused += 1
                break
            mine += 1
        with lock:
            allowed += mine

    threads = [threading.Thread(target=hammer) for _ in range(config["threads"])]
    time.sleep(max(0.0, config["start_at"] - time.time()))  # all processes start together
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"allowed": allowed, "refused": refused}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
