"""`manage.py check --deploy` with the settings a production deployment uses.

Run in a child process: settings are read once per process, from the environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDNS_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ddns.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="ddns.example.org",
        DDNS_TLS="true",
        DDNS_VAR_DIR=str(tmp_path),
    )
    env.update(extra)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    # Only the two choices docs/security.md explains are silenced: HSTS for subdomains
    # (the site's own zones would be forced onto HTTPS) and preloading.
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_check_deploy_is_clean_behind_a_tls_proxy(tmp_path):
    result = check_deploy(production_env(tmp_path, DDNS_TLS_PROXY="true"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_complains_without_tls(tmp_path):
    # The check is not blind: the same deployment on plain HTTP is reported.
    result = check_deploy(production_env(tmp_path, DDNS_TLS="false"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS
    assert "security.W012" in result.stderr + result.stdout  # session cookie not secure
