"""The operators' management commands: create_domain, create_host, reset_secret."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from domains import crypto
from domains.models import Domain, Host
from tests.support.bind import KEY_NAME, unique_label
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def create_domain(bind, secret: str, *extra: str) -> list[str]:
    nameserver = f"127.0.0.1:{bind.port}"
    return run(
        "create_domain", "dyn.test", "--nameserver", nameserver, "--key-name", KEY_NAME,
        "--secret", secret, *extra,
    )  # fmt: skip


@pytest.fixture
def zone(bind, alice):
    create_domain(bind, bind.secret, "--algorithm", "hmac-sha256", "--public", "--owner", "alice")
    return Domain.objects.get(name="dyn.test")


def test_create_domain_stores_the_zone_with_an_encrypted_secret(zone, bind, alice):
    assert (zone.nameserver_host, zone.nameserver_port) == ("127.0.0.1", bind.port)
    assert zone.public and zone.owner == alice
    assert bind.secret not in zone.tsig_secret_encrypted
    assert zone.tsig_secret == bind.secret


def test_create_domain_refuses_a_zone_whose_server_rejects_the_key(bind):
    with pytest.raises(CommandError, match="test write failed"):
        create_domain(bind, crypto.new_tsig_secret())
    assert not Domain.objects.exists()


def test_create_host_counts_against_the_owners_quota(zone, alice, settings):
    settings.DDNS_MAX_HOSTS_PER_USER = 1
    run("create_host", f"{unique_label()}.dyn.test", "--owner", "alice")
    with pytest.raises(CommandError, match="limit of 1 hosts"):
        run("create_host", f"{unique_label()}.dyn.test", "--owner", "alice")


def test_rotate_encryption_key_reencrypts_every_zone_secret(zone, bind, settings, monkeypatch):
    old_key = settings.DDNS_ENCRYPTION_KEY
    settings.DDNS_ENCRYPTION_KEY = "a new key for the zone secrets"
    monkeypatch.setenv("DDNS_OLD_ENCRYPTION_KEY", old_key)
    assert run("rotate_encryption_key") == ["1 zone secrets re-encrypted with the current key"]
    assert Domain.objects.get(pk=zone.pk).tsig_secret == bind.secret
    assert run("rotate_encryption_key") == ["0 zone secrets re-encrypted with the current key"]


def test_rotate_encryption_key_names_zones_no_key_opens(zone, settings, monkeypatch):
    settings.DDNS_ENCRYPTION_KEY = "a new key for the zone secrets"
    monkeypatch.setenv("DDNS_OLD_ENCRYPTION_KEY", "not the old key either")
    with pytest.raises(CommandError, match=r"neither key decrypts the secret of: dyn\.test"):
        run("rotate_encryption_key")


def test_rotate_encryption_key_needs_the_old_key(db, monkeypatch):
    monkeypatch.delenv("DDNS_OLD_ENCRYPTION_KEY", raising=False)
    with pytest.raises(CommandError, match="DDNS_OLD_ENCRYPTION_KEY"):
        run("rotate_encryption_key")


def test_create_domain_defaults_to_port_53(db):
    run(
        "create_domain",
        "Other.Test.",
        "--nameserver",
        "ns.example.org",
        "--key-name",
        "k.",
        "--secret",
        crypto.new_tsig_secret(),
        "--no-check",
    )
    other = Domain.objects.get(name="other.test")
    assert (other.nameserver_host, other.nameserver_port, other.owner) == (
        "ns.example.org",
        53,
        None,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad_zone!"], "not a valid zone"),
        (["x.test", "--owner", "nobody"], "no user"),
        (["x.test", "--nameserver", "ns:99999"], "port"),
    ],
)
def test_create_domain_explains_bad_input(db, args, message):
    base = {"--nameserver": "127.0.0.1:53", "--key-name": "k.", "--secret": "c2VjcmV0"}
    for i in range(1, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = [args[0]] + [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        run("create_domain", *argv)


def test_create_host_prints_a_working_secret_last(client, zone, bind):
    label = unique_label()
    lines = run("create_host", f"{label}.dyn.test", "--owner", "alice")
    host = Host.objects.get(fqdn=f"{label}.dyn.test")
    assert body(nic(client, host, lines[-1], myip="192.0.2.90")) == "good 192.0.2.90\n"
    assert bind.lookup(host.fqdn) == ["192.0.2.90"]


@pytest.mark.parametrize(
    ("fqdn", "message"),
    [
        ("www.dyn.test", "reserved"),
        ("bad_label.dyn.test", "letters, digits"),
        ("x.unknown.test", "no zone"),
    ],
)
def test_create_host_explains_bad_input(zone, fqdn, message):
    with pytest.raises(CommandError, match=message):
        run("create_host", fqdn, "--owner", "alice")


def test_create_host_refuses_a_taken_name(zone):
    run("create_host", "taken.dyn.test", "--owner", "alice")
    with pytest.raises(CommandError, match="already taken"):
        run("create_host", "taken.dyn.test", "--owner", "alice")


def test_reset_secret_replaces_the_old_one(client, zone):
    label = unique_label()
    old = run("create_host", f"{label}.dyn.test", "--owner", "alice")[-1]
    new = run("reset_secret", f"{label}.dyn.test")[-1]
    host = Host.objects.get(label=label)
    assert body(nic(client, host, old, myip="192.0.2.91")) == "badauth\n"
    assert body(nic(client, host, new, myip="192.0.2.91")) == "good 192.0.2.91\n"


def test_reset_secret_of_an_unknown_host_fails(db):
    with pytest.raises(CommandError, match="no host"):
        run("reset_secret", "nope.dyn.test")
