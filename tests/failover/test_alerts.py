"""Owners hear about failovers, recoveries and all-down: e-mail, and a signed webhook
retried with back-off; the same alert within a while is sent once."""

import hashlib
import hmac
import json

import pytest
from django.core import mail

from domains import services as domain_services
from failover import services
from failover.models import Event
from failover.services import alerts
from tests.support.bind import unique_label
from tests.support.groups import check, make_group
from tests.support.probe_servers import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    hooks = WebhookReceiver()
    yield hooks
    hooks.stop()


def fail_over(group, members) -> None:
    check()
    members.answer(0, 503)
    check(2)
    assert Event.objects.filter(group=group, kind="failover").exists()


def test_the_owner_gets_an_email_on_failover(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    fail_over(group, members)
    message = next(m for m in mail.outbox if "failover" in m.subject)
    assert group.host.fqdn in message.subject
    assert message.to == ["alice@example.org"]
    assert "192.0.2.22" in message.body and "HTTP 503" not in message.subject


def test_the_webhook_is_signed_with_the_groups_secret(domain, alice, bind, members, receiver):
    host, _ = domain_services.host_register(domain=domain, label=unique_label("ha"), owner=alice)
    group, secret = services.group_create(
        host=host, members=members.specs(), by=alice, check_kind="http",
        check_port=members.port, interval=1, down_threshold=2, up_threshold=1,
        webhook_url=receiver.url,
    )  # fmt: skip
    fail_over(group, members)
    headers, body = receiver.received[-1]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-DDNS-Signature"] == expected
    payload = json.loads(body)
    assert (payload["group"], payload["event"], payload["new"]) == (
        host.fqdn,
        "failover",
        "192.0.2.22",
    )


def test_a_failing_webhook_is_retried(domain, alice, bind, members, receiver):
    receiver.statuses = [500, 503]
    group = make_group(domain, alice, members, webhook_url=receiver.url)
    fail_over(group, members)
    failover_posts = [b for _h, b in receiver.received if json.loads(b)["event"] == "failover"]
    assert len(failover_posts) == 3  # two failures, then delivered


def test_the_same_alert_is_sent_once_in_a_while(domain, alice, bind, members):
    group = make_group(domain, alice, members)
    fail_over(group, members)
    event = Event.objects.get(group=group, kind="failover")
    sent = len(mail.outbox)
    alerts.notify(event_id=event.pk)
    alerts.notify(event_id=event.pk)
    assert len(mail.outbox) == sent


def test_every_member_down_is_news_even_when_the_answer_stays(domain, alice, bind, members):
    group = make_group(domain, alice, members, all_down="keep")
    check()
    for i in range(3):
        members.answer(i, 503)
    check(2)
    assert any("all-down" in m.subject for m in mail.outbox)
    members.answer(0, 200)
    check()
    assert Event.objects.filter(group=group, kind="recovery").exists()


def test_users_cannot_point_webhooks_at_internal_addresses(domain, alice, members, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = False
    host, _ = domain_services.host_register(domain=domain, label=unique_label("ha"), owner=alice)
    with pytest.raises(Exception, match="internal address"):
        services.group_create(
            host=host,
            members=[services.MemberSpec(ipv4="192.0.2.21", check_target="198.51.100.21")],
            by=alice,
            check_kind="tcp",
            check_port=443,
            webhook_url="http://127.0.0.1:9/hook",
        )
