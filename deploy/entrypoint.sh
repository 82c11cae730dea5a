#!/bin/sh
# Container entrypoint: wait for the database (at most WAIT_FOR_DB_TIMEOUT seconds, default 60;
# 0 skips the wait), then replace this shell with the given command (the image's CMD runs
# gunicorn). It never migrates: "python -m django migrate" is a one-shot step per release,
# not something every replica does at start.
set -eu

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-settings.prod}"
if [ "$#" -eq 0 ]; then
    set -- gunicorn --config deploy/gunicorn.conf.py
fi

wait_timeout="${WAIT_FOR_DB_TIMEOUT:-60}"
if [ "$wait_timeout" != "0" ]; then
    python -m django wait_for_db --timeout "$wait_timeout"
fi

exec "$@"
