"""The service's settings plus one bare view (bench.urls) that measures the web-stack ceiling."""

from ddns.settings import *  # noqa: F403
from ddns.settings import LOGGING

ROOT_URLCONF = "bench.urls"

# Without DEBUG, Django drops server errors silently; the bench wants to see them (they
# land in gunicorn's output file, whose tail the bench prints when answers go wrong).
LOGGING["loggers"]["django.request"] = {"handlers": ["console"], "level": "ERROR"}

# One bench user owns every host the scenarios update.
DDNS_MAX_HOSTS_PER_USER = 10_000
