"""Settings for the dynamic DNS service. Every deployment knob comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ddns.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    oidc_apps_from_env,
    persistent_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DDNS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY, a random key is made once and kept in the state directory, so
# every process of one installation (web, worker, management commands) shares it.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or persistent_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "domains",
    "accounts",
    "dyndns2",
    "portal",
    "failover",
    "api",
    "acme",
    "ops",
]

MIDDLEWARE = [
    # First: a database outage anywhere below is answered 503 + Retry-After (ops/outage.py).
    "ops.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ops.headers.SecurityHeadersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# --- Transport security (docs/security.md) ---------------------------------------------

# DDNS_TLS: the site is served over HTTPS, by gunicorn itself or by a proxy in front.
DDNS_TLS = env_bool("DDNS_TLS", False)
# Behind a proxy that terminates TLS, believe its X-Forwarded-Proto (it must overwrite what
# clients send): without this, every request looks like plain HTTP and redirects loop.
if env_bool("DDNS_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", DDNS_TLS)
# Routers that speak only HTTP do not follow redirects: a redirected update is a lost
# update, and the secret has already crossed the network. Their requests are answered
# where they arrive (the host's history records whether TLS was used).
SECURE_REDIRECT_EXEMPT = [r"^nic/update$", r"^nic/delete$", r"^myip$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if DDNS_TLS else 0)
# Off by default: the site's name is often the parent of its own zones (dyn.example.org
# serving host.dyn.example.org), and HSTS for subdomains would force HTTPS on every
# user's machine. Preloading is a decision for the operator of the parent domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", DDNS_TLS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", DDNS_TLS)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The two choices above, made on purpose: `check --deploy` would ask for them otherwise.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

ROOT_URLCONF = "ddns.urls"
WSGI_APPLICATION = "ddns.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    },
]

# SQLite for development, PostgreSQL in production: DATABASE_URL selects.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A kept connection that broke while idle (a database restart) is replaced
        # before the next request uses it, instead of failing that request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
    # BEGIN so concurrent transactions wait (timeout) instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so live-server and worker threads share it; one per process so
    # concurrent test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so two runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_ddns_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_REDIRECT_URL = "/hosts/"
LOGIN_URL = "/accounts/login/"
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
# Some mail (the abuse notice) is sent while a request waits: a hung server must not hold it.
EMAIL_TIMEOUT = env_float("DJANGO_EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "ddns@localhost")

# Login throttling and other rate limits count in this cache: Redis shares the counts
# between processes in production.
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {
            # Fails open (ddns/cache.py): with Redis down, logins, pages and the API go on
            # without their counts instead of failing.
            "BACKEND": "ddns.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Accounts (django-allauth): local sign-up with verified e-mail, OpenID Connect, TOTP.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Brute force: at most this many failed logins per account (and 10/minute per address).
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{env_int('DDNS_LOGIN_ATTEMPTS_LIMIT', 5)}/300s/key",
}
# Sign-up can be closed; local accounts can be switched off so only federated login stays.
DDNS_SIGNUP_OPEN = env_bool("DDNS_SIGNUP_OPEN", True)
SOCIALACCOUNT_ONLY = not env_bool("DDNS_LOCAL_ACCOUNTS", True)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": oidc_apps_from_env()}}
# OpenID Connect access tokens as API credentials (accounts/oidc.py): the provider's yes is
# believed this long (less when the token expires sooner) and its no this long, so a
# revoked token stops working within DDNS_OIDC_TOKEN_CACHE_SECONDS; discovery documents
# are kept longer. Seconds to wait for the provider before answering 503.
DDNS_OIDC_TOKEN_CACHE_SECONDS = env_int("DDNS_OIDC_TOKEN_CACHE_SECONDS", 120)
DDNS_OIDC_REJECTED_CACHE_SECONDS = env_int("DDNS_OIDC_REJECTED_CACHE_SECONDS", 30)
DDNS_OIDC_DISCOVERY_CACHE_SECONDS = env_int("DDNS_OIDC_DISCOVERY_CACHE_SECONDS", 3600)
DDNS_OIDC_TIMEOUT = env_float("DDNS_OIDC_TIMEOUT", 5.0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("DDNS_SITE_NAME", "Dynamic DNS")

# Celery: every periodic schedule is declared here, in one place.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Health-check locations: a worker started with `-Q checks.NAME` checks for location NAME.
DDNS_CHECK_LOCATIONS = env_list("DDNS_CHECK_LOCATIONS", ["default"])
CELERY_BEAT_SCHEDULE = {
    # History past DDNS_HISTORY_RETENTION_DAYS and expired sessions, in short chunks.
    "prune-update-history": {"task": "domains.tasks.prune_history", "schedule": 3600.0},
    # Stale hosts are counted in days: hourly is prompt, and a host that came back has its
    # marks cleared within the hour. Expires so a stopped worker does not queue a backlog.
    "stale-hosts": {
        "task": "domains.tasks.process_stale_hosts",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # One SOA query per enabled zone whose check is due (failing zones back off).
    "zone-health": {
        "task": "domains.tasks.check_zone_health",
        "schedule": env_float("DDNS_ZONE_CHECK_SECONDS", 60.0),
        "options": {"expires": 50},
    },
    "reconcile-zones": {
        "task": "domains.tasks.reconcile_zones",
        "schedule": env_float("DDNS_RECONCILE_SECONDS", 300.0),
    },
    # ACME challenge TXT records whose client never sent its cleanup go after an hour.
    "expire-acme-challenges": {
        "task": "domains.tasks.expire_acme_challenges",
        "schedule": 300.0,
        "args": [3600.0],
    },
    # Four times a second each location claims the group checks that are due: a check
    # then starts at most a quarter of a second late (with 1 s ticks, up to a whole 1 s
    # interval), and a tick with nothing due costs one indexed query. The claim moves the
    # rows it takes in one transaction, so a duplicated or lost tick is harmless.
    **{
        f"ha-checks-{location}": {
            "task": "failover.tasks.check_due",
            "schedule": 0.25,
            "args": [location],
            "options": {"queue": f"checks.{location}", "expires": 5},
        }
        for location in DDNS_CHECK_LOCATIONS
    },
    # Worker and beat prove they are alive (ops/heartbeat.py); a heartbeat that waited
    # longer than the stale limit is dropped, and health says the worker is behind.
    "ops-heartbeat": {
        "task": "ops.tasks.heartbeat",
        "schedule": env_float("DDNS_HEARTBEAT_SECONDS", 10.0),
        "options": {"expires": env_float("DDNS_HEARTBEAT_STALE_SECONDS", 60.0)},
    },
}

# Logs (docs/observability.md): one line per record, as text or JSON (DDNS_LOG_FORMAT);
# every handler strips secrets (password=, Authorization values, tokens) from what it
# writes, so a query string or an exception cannot carry one into a log file.
DDNS_LOG_FORMAT = env_str("DDNS_LOG_FORMAT", "text")
if DDNS_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"DDNS_LOG_FORMAT must be text or json, got {DDNS_LOG_FORMAT!r}")
LOGGED_APPS = ("domains", "dyndns2", "portal", "accounts", "failover", "api", "acme", "ops")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "ddns.logs.RedactSecrets"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ddns.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": DDNS_LOG_FORMAT,
        }
    },
    "loggers": {
        # The apps' records go up to the root's handler (and its filter).
        **{app: {"level": env_str("DDNS_LOG_LEVEL", "INFO")} for app in LOGGED_APPS},
        # Django's own lines (5xx with their tracebacks; 4xx too at WARNING) and the
        # development server's request lines carry URLs: through the filter as well.
        "django": {
            "handlers": ["console"],
            "level": env_str("DDNS_DJANGO_LOG_LEVEL", "ERROR"),
            "propagate": False,
        },
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- The dynamic DNS service ------------------------------------------------------------

# Group commit of address changes (docs/performance.md): concurrent changes to one zone
# wait this long for company, then go as one RFC 2136 message and one commit. A few ms is
# small beside a client's round trip and lets a busy zone gather tens of changes per batch.
DDNS_BATCH_WINDOW_MS = env_float("DDNS_BATCH_WINDOW_MS", 2.0)
# Changes per batch at most; 100 keeps one message (up to 200 names with wildcards) well
# inside what BIND takes over UDP.
DDNS_BATCH_MAX = env_int("DDNS_BATCH_MAX", 100)
# Abuse and limits (docs/abuse.md), counted in Redis so every web process shares them.
# Unset: the broker's Redis, same database, keys under DDNS_LIMITS_KEY_PREFIX (managed and
# clustered Redis often offer database 0 only). Empty: no limits. When Redis does not
# answer within DDNS_LIMITS_TIMEOUT seconds the limits are skipped (an update matters more
# than its limit) and Redis is tried again DDNS_LIMITS_RETRY_SECONDS later.
DDNS_LIMITS_REDIS_URL = env_str(
    "DDNS_LIMITS_REDIS_URL",
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)
DDNS_LIMITS_KEY_PREFIX = env_str("DDNS_LIMITS_KEY_PREFIX", "ddns:limits:")
DDNS_LIMITS_TIMEOUT = env_float("DDNS_LIMITS_TIMEOUT", 0.1)
DDNS_LIMITS_RETRY_SECONDS = env_float("DDNS_LIMITS_RETRY_SECONDS", 5.0)
# Address changes of one host (an unchanged update writes nothing and takes nothing): a
# bucket of 6 that refills by 1 a minute (0 turns it off).
# In the spirit of deSEC's 1/minute per domain: a client refreshing every minute (the
# most any client documents) always passes, a router that reconnects may send a few at
# once (one per family, one per client on its network), and a looping script is held to
# one change a minute, so it cannot flood the zone's primary and its secondaries.
DDNS_HOST_UPDATE_BURST = env_int("DDNS_HOST_UPDATE_BURST", 6)
DDNS_HOST_UPDATES_PER_MINUTE = env_float("DDNS_HOST_UPDATES_PER_MINUTE", 1.0)
# Unchanged updates (nochg) of one host: more than 30
# within 10 minutes flags it for abuse and mails its owner. Clients refresh every 5-10
# minutes (1-2 in the window) and even a once-a-minute cron job sends 10: only a client
# stuck in a loop gets there. 0 turns it off.
DDNS_NOCHG_ABUSE_COUNT = env_int("DDNS_NOCHG_ABUSE_COUNT", 30)
DDNS_NOCHG_ABUSE_WINDOW_SECONDS = env_int("DDNS_NOCHG_ABUSE_WINDOW_SECONDS", 600)
# Each web process adds up its nochg counts and sends them to Redis (for all hosts, in one
# round trip) at most this often: a nochg then costs no round trip of its own, and a
# looping client is flagged within about this long of passing the limit.
DDNS_NOCHG_FLUSH_SECONDS = env_float("DDNS_NOCHG_FLUSH_SECONDS", 1.0)
# Authentication failures from one source address (IPv6: one /64) within the window; past
# it, that source is refused before any credential is checked until the window ends.
# 60 in 10 minutes lets dozens of misconfigured clients behind one NAT go on retrying
# (ddclient retries a failure every 5 minutes) and holds off guessing. 0 turns it off.
DDNS_AUTH_FAILURES_PER_SOURCE = env_int("DDNS_AUTH_FAILURES_PER_SOURCE", 60)
DDNS_AUTH_FAILURE_WINDOW_SECONDS = env_int("DDNS_AUTH_FAILURE_WINDOW_SECONDS", 600)

# --- Maintenance (docs/maintenance.md) ---
# Operators hear of failing zones they own here (comma-separated e-mail addresses).
ADMINS = [("Operators", address) for address in env_list("DJANGO_ADMINS", [])]
SERVER_EMAIL = env_str("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Days without any update request (a nochg counts) before a host's owner is reminded, its
# addresses are withdrawn, and it is deleted; 0 switches a stage off. Clients refresh at
# least monthly even when nothing changes (ddclient's max-interval is 25 days, inadyn's
# forced update 30), so 150 quiet days are five missed refreshes: the host is forgotten.
# Each stage waits for the one before by the difference (a month to react to the
# reminder; half a year in which a disabled host keeps its name).
DDNS_STALE_REMIND_DAYS = env_int("DDNS_STALE_REMIND_DAYS", 150)
DDNS_STALE_DISABLE_DAYS = env_int("DDNS_STALE_DISABLE_DAYS", 180)
DDNS_STALE_DELETE_DAYS = env_int("DDNS_STALE_DELETE_DAYS", 365)
# Most hosts one run takes per stage; the rest wait for the next run (hourly).
DDNS_MAINTENANCE_BATCH = env_int("DDNS_MAINTENANCE_BATCH", 1000)
# Each zone's primary is asked for its SOA this often; a failing zone is asked after
# twice the wait each time, at most DDNS_ZONE_CHECK_MAX_SECONDS apart, and its owner is
# told after DDNS_ZONE_ALERT_FAILURES failed checks in a row (one lost datagram is no
# outage), once per outage, and again when it answers.
DDNS_ZONE_CHECK_SECONDS = env_float("DDNS_ZONE_CHECK_SECONDS", 60.0)
DDNS_ZONE_CHECK_MAX_SECONDS = env_float("DDNS_ZONE_CHECK_MAX_SECONDS", 3600.0)
DDNS_ZONE_ALERT_FAILURES = env_int("DDNS_ZONE_ALERT_FAILURES", 2)
# Old history and expired sessions are deleted this many rows per statement, so a large
# backlog never locks the table for long.
DDNS_PRUNE_CHUNK = env_int("DDNS_PRUNE_CHUNK", 500)

# Key that encrypts zone TSIG secrets at rest. Any string; change it with
# manage.py rotate_encryption_key (docs/operations.md).
DDNS_ENCRYPTION_KEY = env_str("DDNS_ENCRYPTION_KEY", SECRET_KEY)
# Seconds to wait for the zone's primary before answering dnserr.
DDNS_DNS_TIMEOUT = env_float("DDNS_DNS_TIMEOUT", 3.0)
DDNS_DEFAULT_TTL = env_int("DDNS_DEFAULT_TTL", 60)
# Labels nobody may register (service names, mail, ACME).
DDNS_RESERVED_LABELS = env_list(
    "DDNS_RESERVED_LABELS",
    ["www", "mail", "smtp", "imap", "pop", "ns", "ns1", "ns2", "ipv4", "ipv6", "admin", "api"],
)
# Address kinds that must never be published (ipaddress attribute names).
DDNS_REJECTED_ADDRESS_KINDS = env_list(
    "DDNS_REJECTED_ADDRESS_KINDS",
    ["is_unspecified", "is_loopback", "is_multicast", "is_link_local", "is_reserved"],
)
# Proxies whose X-Forwarded-For is believed (addresses or CIDR networks).
DDNS_TRUSTED_PROXIES = env_list("DDNS_TRUSTED_PROXIES", [])
# Regular expressions of User-Agents answered with badagent.
DDNS_BLOCKED_USER_AGENTS = env_list("DDNS_BLOCKED_USER_AGENTS", [])
# Dyn's limit of host names in one request; more answers numhost.
DDNS_MAX_HOSTS_PER_REQUEST = env_int("DDNS_MAX_HOSTS_PER_REQUEST", 20)
# A nochg refreshes "last seen" at most this often, so nochg does not write per request.
DDNS_SEEN_THROTTLE_SECONDS = env_int("DDNS_SEEN_THROTTLE_SECONDS", 300)
DDNS_HISTORY_RETENTION_DAYS = env_int("DDNS_HISTORY_RETENTION_DAYS", 90)
# Per-user quota of hosts, and the portal's service names for family-specific checks.
DDNS_MAX_HOSTS_PER_USER = env_int("DDNS_MAX_HOSTS_PER_USER", 20)
DDNS_SITE_NAME = env_str("DDNS_SITE_NAME", "Dynamic DNS")
# Public base URL shown in client configuration snippets (else the request's own).
DDNS_PUBLIC_URL = env_str("DDNS_PUBLIC_URL", "")
DDNS_IPV4_SERVICE_HOST = env_str("DDNS_IPV4_SERVICE_HOST", "")
DDNS_IPV6_SERVICE_HOST = env_str("DDNS_IPV6_SERVICE_HOST", "")

# --- REST API (docs/api.md) -------------------------------------------------------------

# The shared pieces live in accounts/drf.py so the API's apps (api/, failover/) need not
# import each other. Every error, DRF's own included, gets one JSON shape.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.drf.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # CSRF enforced
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.drf.TokenScope",
    ],
    "DEFAULT_PARSER_CLASSES": ["accounts.drf.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "accounts.drf.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["accounts.drf.ZoneFilter", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.drf.AnonThrottle", "accounts.drf.UserThrottle"],
    "EXCEPTION_HANDLER": "accounts.drf.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    # Requests per caller: scripts that loop stay polite, people never notice. Counted in
    # the cache above (Redis in production, so every process shares the counts).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("DDNS_API_ANON_RATE", "60/minute"),
        "user": env_str("DDNS_API_USER_RATE", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dynamic DNS API",
    "DESCRIPTION": "Hosts, zones, history, high-availability groups and API tokens. "
    "See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from this server (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- High availability ------------------------------------------------------------------

# Whether users who are not staff may have private, loopback or link-local check targets
# probed: off, so the checkers cannot be used to scan the operator's internal network.
DDNS_HA_PRIVATE_TARGETS = env_bool("DDNS_HA_PRIVATE_TARGETS", False)
# Before each round a location checks this reference (HOST:PORT, TCP) and each zone's
# primary; when either fails it abstains instead of voting members down.
DDNS_CHECK_CANARY = env_str("DDNS_CHECK_CANARY", "")
# If more than this share of all groups would change their answer within one minute,
# automatic changes stop: that is the checkers' own network failing, not the members.
DDNS_HA_BREAKER_SHARE = env_float("DDNS_HA_BREAKER_SHARE", 0.5)
# Most groups one check round takes (their members are probed concurrently).
DDNS_HA_BATCH = env_int("DDNS_HA_BATCH", 500)

# --- Health and metrics (docs/observability.md) -----------------------------------------

# A load balancer may ask /healthz every second: each process reuses its answer this long,
# and each check waits at most these few tenths of a second.
DDNS_HEALTH_CACHE_SECONDS = env_float("DDNS_HEALTH_CACHE_SECONDS", 1.0)
DDNS_HEALTH_DNS_TIMEOUT = env_float("DDNS_HEALTH_DNS_TIMEOUT", 0.5)
DDNS_HEALTH_REDIS_TIMEOUT = env_float("DDNS_HEALTH_REDIS_TIMEOUT", 0.25)
# A worker or beat heartbeat older than this is down (beat sends one every
# DDNS_HEARTBEAT_SECONDS; see CELERY_BEAT_SCHEDULE).
DDNS_HEARTBEAT_STALE_SECONDS = env_float("DDNS_HEARTBEAT_STALE_SECONDS", 60.0)
# Who may read /metrics: with a token, only requests bearing it (Authorization: Bearer),
# and in any case only callers from these networks (loopback unless told otherwise).
DDNS_METRICS_TOKEN = env_str("DDNS_METRICS_TOKEN", "")
DDNS_METRICS_ALLOWED_NETWORKS = env_list(
    "DDNS_METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"]
)
