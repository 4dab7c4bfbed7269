"""What the database holds of each secret, read with plain SQL as someone with a copy of
the database would: zone TSIG keys and webhook secrets encrypted (the service must use
them), host update secrets and API tokens only as SHA-256 digests (it only compares)."""

import base64
import hashlib

import pytest
from django.apps import apps
from django.db import connection

from accounts import tokens
from accounts.models import ApiToken
from domains import crypto, names, services
from domains.models import Domain, Host
from failover.models import Group
from tests.support.bind import make_domain, unique_label
from tests.support.groups import Members, make_group

pytestmark = pytest.mark.django_db


def column(model, field: str, pk: int) -> str:
    table, quote = model._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        # Names from the model's own metadata, quoted; the id is a parameter.
        cursor.execute(f"SELECT {quote(field)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def every_stored_value() -> str:
    """Every row of every table the project's models use, as text."""
    quote, rows = connection.ops.quote_name, []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)}")  # noqa: S608
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def forms_of(secret: str) -> list[str]:
    """The secret as written, and the encodings someone might store it in instead."""
    raw = secret.encode()
    forms = [secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    forms.append(raw.hex())
    try:
        key = base64.b64decode(secret, validate=True)  # a TSIG secret is base64 of its key
    except ValueError:
        key = b""
    if len(key) >= 16:
        forms += [key.hex(), base64.urlsafe_b64encode(key).decode().rstrip("=")]
    return [form.rstrip("=") for form in forms]


def assert_nowhere(secret: str, text: str) -> None:
    for form in forms_of(secret):
        assert form not in text, f"a form of the secret is stored: {form[:8]}…"


def test_a_zone_tsig_secret_is_stored_encrypted_and_still_signs_updates(bind, alice):
    zone = make_domain(bind)
    stored = column(Domain, "tsig_secret_encrypted", zone.pk)

    assert_nowhere(bind.secret, stored)
    assert crypto.decrypt(stored) == bind.secret  # Fernet under DDNS_ENCRYPTION_KEY
    # The service reads it back to sign: an update lands in the real named.
    host, _secret = services.host_register(domain=zone, label=unique_label(), owner=alice)
    services.host_update_addresses(
        host=host,
        addresses=names.Addresses.of("192.0.2.61"),
        client=services.ClientInfo(source=None, user_agent="test", tls=False),
    )
    assert bind.lookup(host.fqdn) == ["192.0.2.61"]


def test_a_host_secret_is_stored_as_its_sha256_digest_only(make_host, client):
    host, secret = make_host()
    stored = column(Host, "secret_digest", host.pk)

    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert_nowhere(secret, every_stored_value())
    assert services.host_authenticate(fqdn=host.fqdn, secret=secret) is not None


def test_an_api_token_is_stored_as_its_digest_and_a_short_prefix(alice):
    token, raw = tokens.token_create(owner=alice, name="script")
    stored = column(ApiToken, "digest", token.pk)

    assert stored == hashlib.sha256(raw.encode()).hexdigest()
    assert len(column(ApiToken, "prefix", token.pk)) <= 11  # "ddns_" and six characters
    assert_nowhere(raw, every_stored_value())
    assert tokens.token_authenticate(raw, source=None).pk == token.pk


def test_a_webhook_secret_is_stored_encrypted(domain, alice, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True  # members on loopback
    members = Members(2)
    try:
        group = make_group(domain, alice, members)
    finally:
        members.stop()
    stored = column(Group, "webhook_secret_encrypted", group.pk)
    secret = crypto.decrypt(stored)

    assert len(secret) >= 32
    assert_nowhere(secret, every_stored_value())


def test_no_table_holds_any_secret_of_a_whole_setup(bind, alice, make_host):
    zone = Domain.objects.get(name=make_domain(bind, name="locked.test").name)
    _host, secret = make_host()
    _token, raw = tokens.token_create(owner=alice, name="everything")
    everything = every_stored_value()

    assert zone.tsig_secret == bind.secret
    for value in (bind.secret, secret, raw):
        assert_nowhere(value, everything)
