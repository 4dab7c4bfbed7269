"""`make run`'s demo data is created once and reused on the next run."""

import pytest
from allauth.account.models import EmailAddress

from devtools import demo
from domains.models import Domain, Host
from tests.support.bind import KEY_NAME, ZONE
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db


def ensure(bind, tmp_path):
    return demo.ensure_demo_data(
        zone=ZONE,
        nameserver=("127.0.0.1", bind.port),
        key_name=KEY_NAME,
        tsig_secret=bind.secret,
        host_label="demo",
        secret_file=tmp_path / "demo.secret",
    )


def test_demo_data_is_reused_and_the_secret_works(client, bind, tmp_path):
    first = ensure(bind, tmp_path)
    second = ensure(bind, tmp_path)
    assert first == second
    assert Host.objects.filter(fqdn=f"demo.{ZONE}").count() == 1
    assert Domain.objects.get(name=ZONE).public
    assert EmailAddress.objects.get(user__username="demo").verified
    host = Host.objects.get(fqdn=f"demo.{ZONE}")
    assert body(nic(client, host, first, myip="192.0.2.160")).startswith(("good", "nochg"))
    assert (tmp_path / "demo.secret").stat().st_mode & 0o777 == 0o600


def test_a_lost_secret_file_gets_a_new_secret(bind, tmp_path):
    first = ensure(bind, tmp_path)
    (tmp_path / "demo.secret").unlink()
    assert ensure(bind, tmp_path) != first
