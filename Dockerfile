# The service's image. Two targets share one base:
#   app   (default) web, worker, beat and management commands
#   bind  the same plus BIND 9: it writes its named.conf with `manage.py bind_config`
#         at start, so the name servers' configuration comes from the project.
# docker-compose.yml builds both; see docs/operations.md.

FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=ddns.settings \
    DDNS_VAR_DIR=/var/lib/ddns \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code runs from /app, as in development: templates/ and static/ live beside the
# packages. Then the package itself, without touching the dependencies again.
COPY . .
RUN pip install --no-deps . \
    && DJANGO_SECRET_KEY=only-for-collectstatic python manage.py collectstatic --noinput

# An unprivileged user owns the state directories. Docker copies this ownership into a
# named volume mounted here the first time, so every container can write its volume.
RUN groupadd --system --gid 1000 ddns \
    && useradd --system --uid 1000 --gid ddns --home-dir /app --shell /usr/sbin/nologin ddns \
    && mkdir -p /var/lib/ddns /var/lib/ddns-bind /var/lib/ddns-keys/update /var/lib/ddns-keys/transfer \
    && chown -R ddns:ddns /var/lib/ddns /var/lib/ddns-bind /var/lib/ddns-keys


FROM base AS bind

RUN apt-get update \
    && apt-get install -y --no-install-recommends bind9 bind9-dnsutils \
    && rm -rf /var/lib/apt/lists/*
USER ddns
# named runs as the unprivileged user, so it listens on 5353; compose publishes it as 53.
EXPOSE 5353/udp 5353/tcp


FROM base AS app

USER ddns
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "ddns.wsgi"]
