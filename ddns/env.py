"""Small typed readers for environment settings that fail fast on bad values."""

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def persistent_secret(path: Path) -> str:
    """A random secret created on first use and read back afterwards (file mode 0600)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its value
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def oidc_apps_from_env() -> list[dict]:
    """OpenID Connect providers for allauth from DDNS_OIDC_PROVIDERS (a JSON list).

    Each item: {"id": "egi", "name": "EGI Check-in", "client_id": "...", "secret": "...",
    "server_url": "https://issuer.example.org"}. Providers can also be added in the admin.
    """
    raw = os.environ.get("DDNS_OIDC_PROVIDERS", "").strip()
    if not raw:
        return []
    try:
        items = json.loads(raw)
        return [
            {
                "provider_id": item["id"],
                "name": item.get("name", item["id"]),
                "client_id": item["client_id"],
                "secret": item["secret"],
                "settings": {"server_url": item["server_url"]},
            }
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(f"DDNS_OIDC_PROVIDERS is not a valid JSON list: {exc}") from None
