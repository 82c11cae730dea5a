# syntax=docker/dockerfile:1
# One image for every demo service. The service is chosen at run time:
#   WSGI_APP=services.user_service.wsgi:application DJANGO_SETTINGS_MODULE=services.user_service.settings
# Secrets (SECRET_KEY, DATABASE_URL with its password, SERVICE_AUTH_TOKEN, ...) come from the
# environment at run time; none is baked in. Migrations are a one-shot step per release:
#   docker run --rm --env-file prod.env IMAGE python -m django migrate --noinput
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---- build: the suite and everything it needs as wheels, installed into /opt/venv -------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared_core/ shared_core/
COPY apipatterns/ apipatterns/
COPY accounts/ accounts/
COPY healthchecks/ healthchecks/
# The virtualenv the runtime stage copies whole: only installed packages reach the final image,
# never the wheels they came from, nor pip and setuptools (the build stage's pip installs into
# it). Installing every wheel just built, by path, pins each package to the version resolved.
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels ".[server,postgres,redis]" \
    && python -m venv --without-pip /opt/venv \
    && python -m pip --python /opt/venv/bin/python install --no-cache-dir --no-index \
       --find-links=/wheels /wheels/*.whl

# ---- runtime: no compiler, no sources of the suite, a non-root user --------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_ENV=production \
    DJANGO_SETTINGS_MODULE=settings.prod \
    WSGI_APP=settings.wsgi:application \
    LOG_FORMAT=json \
    PORT=8000 \
    WEB_CONCURRENCY=2
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY settings/ settings/
COPY services/ services/
COPY deploy/ deploy/
# collectstatic imports settings.prod, which needs a key: a random one that lives only in this
# RUN's environment (never in the image's config or layers).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost python -m django collectstatic --noinput \
    && mkdir -p /app/media /app/var/mail \
    && chown app:app /app/media /app/var/mail
USER 10001:10001
EXPOSE 8000
# No curl in a slim image: the suite's own probe command asks gunicorn for /health.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "django", "probe", "/health", "--timeout", "5"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
