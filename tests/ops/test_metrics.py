"""/metrics: who may read it, and what the boundaries count (updates, DNS, checks,
failovers, reconciler repairs, tokens, the broker's queues), with real named and Redis."""

import time

import pytest
from django.core import checks
from prometheus_client import REGISTRY

from accounts import tokens
from ddns.celery import app
from domains import reconcile
from ops import heartbeat
from tests.support.bind import make_domain
from tests.support.groups import Members, check, make_group, served
from tests.support.web import basic, body, nic

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return body(response)


def test_loopback_may_read_metrics_without_a_token(client):
    assert "ddns_broker_up 1.0" in scrape(client)


def test_other_addresses_are_refused(client):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 403


def test_a_configured_network_is_allowed_and_loopback_then_is_not(client, settings):
    settings.DDNS_METRICS_ALLOWED_NETWORKS = ["192.0.2.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get("/metrics").status_code == 403


def test_with_a_token_only_requests_bearing_it_are_served(client, settings):
    settings.DDNS_METRICS_TOKEN = "scrape-me-0123456789"
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="metrics"'
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-wrong")
    assert wrong.status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer scrape-me-0123456789")


def test_a_mistyped_network_is_reported_and_allows_nothing(client, settings):
    settings.DDNS_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8x"]
    errors = [e for e in checks.run_checks() if e.id == "ops.E001"]
    assert len(errors) == 1 and "127.0.0.0/8x" in errors[0].msg
    assert client.get("/metrics").status_code == 403


def test_updates_are_counted_by_result_and_dns_time_per_zone(client, make_host):
    host, secret = make_host()
    good, nochg = (
        sample("ddns_updates_total", result="good"),
        sample("ddns_updates_total", result="nochg"),
    )
    badauth = sample("ddns_updates_total", result="badauth")
    sent = sample("ddns_dns_update_seconds_count", zone="dyn.test")
    assert body(nic(client, host, secret, myip="192.0.2.7")).startswith("good")
    assert body(nic(client, host, secret, myip="192.0.2.7")).startswith("nochg")
    client.get("/nic/update", {"hostname": host.fqdn}, HTTP_AUTHORIZATION=basic(host.fqdn, "x"))
    assert sample("ddns_updates_total", result="good") == good + 1
    assert sample("ddns_updates_total", result="nochg") == nochg + 1
    assert sample("ddns_updates_total", result="badauth") == badauth + 1
    assert sample("ddns_dns_update_seconds_count", zone="dyn.test") == sent + 1  # nochg: none
    text = scrape(client)
    assert 'ddns_updates_total{result="good"}' in text
    assert 'ddns_dns_update_seconds_bucket{le="0.005",zone="dyn.test"}' in text


def test_refused_dns_updates_are_counted_by_error(client, bind, alice, make_host):
    locked = make_domain(bind, "locked.test")
    host, secret = make_host(on=locked)
    before = sample("ddns_dns_update_errors_total", zone="locked.test", error="DnsRefused")
    assert body(nic(client, host, secret, myip="192.0.2.8")) == "dnserr\n"
    after = sample("ddns_dns_update_errors_total", zone="locked.test", error="DnsRefused")
    assert after == before + 1
    assert sample("ddns_updates_total", result="dnserr") >= 1


def test_reconciler_repairs_are_counted_per_zone(domain, bind, make_host):
    host, _secret = make_host()
    bind.publish(host.fqdn, "192.0.2.99")  # drift behind the service's back
    before = sample("ddns_reconcile_repairs_total", zone="dyn.test")
    repairs = reconcile.domain_reconcile(domain=domain)
    assert [r.fqdn for r in repairs] == [host.fqdn]
    assert sample("ddns_reconcile_repairs_total", zone="dyn.test") == before + 1


def test_tokens_are_counted_when_they_authenticate(client, alice):
    _token, raw = tokens.token_create(owner=alice, name="laptop", scope="read")
    before = sample("ddns_api_tokens_used_total", scope="read")
    assert client.get("/api/v1/hosts/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert sample("ddns_api_tokens_used_total", scope="read") == before + 1


def test_checks_and_failovers_are_counted(domain, alice, bind, settings):
    settings.DDNS_HA_PRIVATE_TARGETS = True
    app.conf.task_always_eager = True  # the failover alert runs here, not on a worker
    members = Members(2)
    try:
        group = make_group(domain, alice, members, down_threshold=1)
        ok = sample("ddns_ha_checks_total", location="default", result="ok")
        failed = sample("ddns_ha_checks_total", location="default", result="failed")
        failovers = sample("ddns_ha_events_total", kind="failover")
        members.answer(0, 503)
        check()
        assert served(bind, group) == ["192.0.2.22"]
    finally:
        app.conf.task_always_eager = False
        members.stop()
    assert sample("ddns_ha_checks_total", location="default", result="ok") == ok + 1
    assert sample("ddns_ha_checks_total", location="default", result="failed") == failed + 1
    assert sample("ddns_ha_events_total", kind="failover") == failovers + 1


def test_queues_and_heartbeats_are_read_from_the_broker(client, broker):
    broker.lpush("celery", b"one", b"two")
    now = time.time()
    heartbeat.record(
        broker,
        **{heartbeat.WORKER_RAN_AT: now, heartbeat.BEAT_SENT_AT: now, heartbeat.QUEUE_LAG: 0.25},
    )
    text = scrape(client)
    assert 'ddns_celery_queue_length{queue="celery"} 2.0' in text
    assert 'ddns_celery_queue_length{queue="checks.default"} 0.0' in text
    assert "ddns_celery_queue_lag_seconds 0.25" in text
    assert 'ddns_heartbeat_age_seconds{part="worker"}' in text


def test_an_unreachable_broker_is_a_zero_not_an_error(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/3"
    text = scrape(client)
    assert "ddns_broker_up 0.0" in text
    assert "ddns_celery_queue_length" not in text
