"""Rapid nochg repeats: counted in a Redis window (no database write per nochg); past
DDNS_NOCHG_ABUSE_COUNT the host is flagged, its owner mailed once, and its updates answer
`abuse` until the owner clears the flag in the portal."""

import time

import pytest

from domains.models import Host
from tests.support.web import body, nic

pytestmark = pytest.mark.django_db

THRESHOLD = 30  # the default: more than 30 unchanged updates within 10 minutes


@pytest.fixture
def steady_host(client, make_host):
    """A host already at 192.0.2.30, with its bucket full again."""
    host, secret = make_host()
    assert body(nic(client, host, secret, myip="192.0.2.30")) == "good 192.0.2.30\n"
    return host, secret


def test_a_looping_client_gets_its_host_flagged_and_the_owner_mailed_once(
    client, steady_host, mailoutbox, alice
):
    host, secret = steady_host
    answers = [body(nic(client, host, secret, myip="192.0.2.30")) for _ in range(THRESHOLD)]
    # An unchanged update takes nothing from the bucket (6 at once): it writes nothing.
    assert answers == ["nochg 192.0.2.30\n"] * THRESHOLD
    assert not Host.objects.get(pk=host.pk).abuse

    assert body(nic(client, host, secret, myip="192.0.2.30")) == "abuse\n"

    flagged = Host.objects.get(pk=host.pk)
    assert flagged.abuse and not flagged.abuse_blocked
    assert "unchanged updates" in flagged.client_fault_message
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [alice.email]
    assert host.fqdn in mail.subject
    assert "Reset client faults and abuse flag" in mail.body
    assert f"/hosts/{host.pk}/" in mail.body
    for _ in range(5):  # flagged: answered from the row, no more counting, no more mail
        assert body(nic(client, host, secret, myip="192.0.2.30")) == "abuse\n"
    assert len(mailoutbox) == 1


def test_the_owner_clears_the_flag_in_the_portal(
    client, steady_host, alice_client, settings, mailoutbox
):
    settings.DDNS_HOST_UPDATES_PER_MINUTE = 60_000  # keep the bucket out of the way
    host, secret = steady_host
    for _ in range(THRESHOLD + 1):
        nic(client, host, secret, myip="192.0.2.30")
    assert body(nic(client, host, secret, myip="192.0.2.31")) == "abuse\n"

    response = alice_client.post(f"/hosts/{host.pk}/reset-faults/")

    assert response.status_code == 302
    assert not Host.objects.get(pk=host.pk).abuse
    assert body(nic(client, host, secret, myip="192.0.2.30")) == "nochg 192.0.2.30\n"
    assert body(nic(client, host, secret, myip="192.0.2.31")) == "good 192.0.2.31\n"
    assert len(mailoutbox) == 1


def test_a_nochg_writes_nothing_to_the_database(client, steady_host, django_assert_max_num_queries):
    host, secret = steady_host
    with django_assert_max_num_queries(1):  # the authentication's one query, nothing more
        assert body(nic(client, host, secret, myip="192.0.2.30")) == "nochg 192.0.2.30\n"


def test_changes_are_not_counted_as_repeats(client, make_host, settings, mailoutbox):
    settings.DDNS_HOST_UPDATES_PER_MINUTE = 60_000
    host, secret = make_host()
    for n in range(THRESHOLD + 5):
        nic(client, host, secret, myip=f"192.0.2.{n % 2 + 40}")

    assert not Host.objects.get(pk=host.pk).abuse
    assert mailoutbox == []


def test_a_refresh_every_minute_never_trips_it(client, steady_host, settings, mailoutbox):
    # Time 200 times faster: the 10-minute window lasts 3 s, the bucket refills 200 a
    # minute, and a client refreshing every minute (a cron job, the most frequent any
    # client documents) sends every 0.3 s, through two and a half windows.
    settings.DDNS_NOCHG_ABUSE_WINDOW_SECONDS = 3
    settings.DDNS_HOST_UPDATES_PER_MINUTE = 200
    host, secret = steady_host
    answers = []
    for _ in range(25):
        answers.append(body(nic(client, host, secret, myip="192.0.2.30")))
        time.sleep(0.3)

    assert answers == ["nochg 192.0.2.30\n"] * 25
    assert not Host.objects.get(pk=host.pk).abuse
    assert mailoutbox == []


def test_counts_reach_redis_once_a_flush_interval_and_still_flag_the_loop(
    client, steady_host, settings, mailoutbox
):
    settings.DDNS_NOCHG_FLUSH_SECONDS = 0.5
    host, secret = steady_host
    started = time.monotonic()
    answers = []
    while not answers or answers[-1] != "abuse\n":
        answers.append(body(nic(client, host, secret, myip="192.0.2.30")))
        assert time.monotonic() - started < 10, "the looping client was never flagged"
    # Counted in the process first, sent twice a second: the flag comes on the first
    # sending past the limit, not necessarily on the 31st update.
    assert len(answers) >= THRESHOLD + 1
    assert set(answers[:-1]) == {"nochg 192.0.2.30\n"}
    assert Host.objects.get(pk=host.pk).abuse
    assert len(mailoutbox) == 1
