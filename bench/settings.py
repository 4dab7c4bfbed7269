"""The service's settings plus one bare view (bench.urls) that measures the web-stack ceiling."""

from ddns.settings import *  # noqa: F403
from ddns.settings import LOGGING

assert isinstance(LOGGING["loggers"], dict)

ROOT_URLCONF = "bench.urls"

# Without DEBUG, Django drops server errors silently; the bench wants to see them (they
# land in gunicorn's output file, whose tail the bench prints when answers go wrong).
LOGGING["loggers"]["django.request"] = {"handlers": ["console"], "level": "ERROR"}

# One bench user owns every host the scenarios update.
DDNS_MAX_HOSTS_PER_USER = 10_000

# The limits (docs/abuse.md) stay on, counted in Redis as in production, but so high that
# none is reached: the scenarios hammer one host with nochg and send 1,000 wrong secrets
# from one address, so the bench measures the cost of counting, not the refusals.
DDNS_HOST_UPDATE_BURST = 1_000_000_000
DDNS_HOST_UPDATES_PER_MINUTE = 1_000_000_000.0
DDNS_NOCHG_ABUSE_COUNT = 1_000_000_000
DDNS_AUTH_FAILURES_PER_SOURCE = 1_000_000_000
