"""Demo data for `make run`: a user, a public zone and one host, created once and reused."""

import os
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from domains import services
from domains.models import Domain, Host

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - a local development login, printed at start


def ensure_demo_data(
    *,
    zone: str,
    nameserver: tuple[str, int],
    key_name: str,
    tsig_secret: str,
    host_label: str,
    secret_file: Path,
) -> str:
    user = _ensure_user()
    domain = _ensure_domain(zone, nameserver, key_name, tsig_secret)
    host = Host.objects.filter(domain=domain, label=host_label).first()
    if host is None:
        host, secret = services.host_register(
            domain=domain, label=host_label, owner=user, comment="created by make run"
        )
        _write_private(secret_file, secret)
        return secret
    if secret_file.exists():
        # Development convenience: the demo secret is kept in var/ so every run can print
        # it. Real hosts' secrets exist only as digests.
        return secret_file.read_text().strip()
    secret = services.host_reset_secret(host=host)
    _write_private(secret_file, secret)
    return secret


def _ensure_user():
    users = get_user_model()
    user = users.objects.filter(username=DEMO_USER).first()
    if user is None:
        user = users.objects.create_superuser(DEMO_USER, "demo@example.org", DEMO_PASSWORD)
    # Logging in requires a verified address; the demo user's is taken as verified.
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _ensure_domain(
    zone: str, nameserver: tuple[str, int], key_name: str, tsig_secret: str
) -> Domain:
    domain = Domain.objects.filter(name=zone).first()
    if domain is None:
        return services.domain_add(
            name=zone,
            nameserver_host=nameserver[0],
            nameserver_port=nameserver[1],
            tsig_key_name=key_name,
            tsig_secret=tsig_secret,
            public=True,
        )
    # Keep the zone pointed at the local server even if var/bind was recreated.
    return services.domain_change(
        domain=domain,
        nameserver_host=nameserver[0],
        nameserver_port=nameserver[1],
        tsig_key_name=key_name,
        tsig_algorithm=domain.tsig_algorithm,
        tsig_secret=tsig_secret,
        public=domain.public,
        owner=domain.owner,
        ttl=domain.ttl,
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
