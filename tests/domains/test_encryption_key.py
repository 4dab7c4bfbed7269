"""A zone secret the current DDNS_ENCRYPTION_KEY cannot open is a failing zone, not a 500."""

import pytest
from django.core.management import call_command
from django.test import Client

from domains import dns, names, services, tasks
from domains.models import Domain
from tests.support.bind import make_domain
from tests.support.web import body, logged_in, nic

pytestmark = pytest.mark.django_db

NEW_KEY = "the operator changed the key"


def test_an_update_in_a_zone_whose_key_cannot_be_decrypted_answers_dnserr(
    make_host, domain, settings
):
    host, secret = make_host()
    settings.DDNS_ENCRYPTION_KEY = NEW_KEY
    response = nic(Client(), host, secret, myip="192.0.2.190")
    assert (response.status_code, body(response)) == (200, "dnserr\n")
    zone = Domain.objects.get(pk=domain.pk)
    assert zone.available is False
    assert "cannot be decrypted with DDNS_ENCRYPTION_KEY" in zone.last_error
    assert "rotate_encryption_key" in zone.last_error


def test_the_reconciler_goes_on_past_a_zone_it_cannot_decrypt(bind, make_host, domain, settings):
    host, _ = make_host()
    services.host_update_addresses(
        host=host,
        addresses=names.Addresses(ipv4="192.0.2.191"),
        client=services.ClientInfo(source=None, user_agent="test", tls=False),
    )
    dns.delete_names(bind.server(), [host.fqdn])
    # Sorted before dyn.test, so it is reconciled first.
    broken = make_domain(bind, name="broken.test")
    Domain.objects.filter(pk=domain.pk).update(tsig_secret_encrypted=_encrypted_under(NEW_KEY))
    # Now dyn.test opens under NEW_KEY and broken.test does not.
    settings.DDNS_ENCRYPTION_KEY = NEW_KEY
    assert tasks.reconcile_zones() == 1
    assert bind.lookup(host.fqdn) == ["192.0.2.191"]
    assert "cannot be decrypted" in Domain.objects.get(pk=broken.pk).last_error


def test_the_portal_explains_a_zone_whose_key_cannot_be_decrypted(alice, bind, settings):
    zone = make_domain(bind, owner=alice)
    settings.DDNS_ENCRYPTION_KEY = NEW_KEY
    response = logged_in(alice).post(f"/zones/{zone.pk}/check/", follow=True)
    assert response.status_code == 200
    assert "cannot be decrypted" in body(response)


def test_rotating_the_key_brings_the_zone_back(make_host, domain, settings, monkeypatch):
    host, secret = make_host()
    old_key = settings.DDNS_ENCRYPTION_KEY
    settings.DDNS_ENCRYPTION_KEY = NEW_KEY
    assert body(nic(Client(), host, secret, myip="192.0.2.192")) == "dnserr\n"
    monkeypatch.setenv("DDNS_OLD_ENCRYPTION_KEY", old_key)
    call_command("rotate_encryption_key")
    assert body(nic(Client(), host, secret, myip="192.0.2.192")) == "good 192.0.2.192\n"
    assert Domain.objects.get(pk=domain.pk).available is True


def _encrypted_under(key: str) -> str:
    from django.test import override_settings

    from domains import crypto

    secret = Domain.objects.get(name="dyn.test").tsig_secret
    with override_settings(DDNS_ENCRYPTION_KEY=key):
        return crypto.encrypt(secret)
