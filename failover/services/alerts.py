"""Telling people: the owner by e-mail and an optional signed webhook; operators when
the circuit breaker holds. Repeated alerts within a while are sent once."""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins, send_mail

from domains import crypto
from failover.models import Event
from failover.services import targets

logger = logging.getLogger(__name__)

REPEAT_SECONDS = 600  # the same alert about the same group is sent once per 10 minutes
SIGNATURE_HEADER = "X-DDNS-Signature"


def notify(*, event_id: int) -> None:
    """Queue the owner's e-mail and webhook for an answer change, once per repeat window."""
    from failover import tasks

    event = Event.objects.select_related("group__host").get(pk=event_id)
    state = hashlib.sha256(event.new_state.encode()).hexdigest()[:16]
    key = f"ha-alert:{event.group_id}:{event.kind}:{state}"
    if not cache.add(key, 1, REPEAT_SECONDS):
        return
    tasks.send_alert.delay(event_id)


def send_email(*, event: Event) -> None:
    host = event.group.host
    recipient = host.owner.email
    if not recipient:
        return
    send_mail(
        subject=f"[{settings.DDNS_SITE_NAME}] {host.fqdn}: {event.kind}",
        message=f"{host.fqdn} now answers {event.new_state} (was {event.old_state or '-'}).\n"
        f"Why: {event.reason}\nWhen: {event.created_at:%Y-%m-%d %H:%M:%S} UTC\n",
        from_email=None,
        recipient_list=[recipient],
    )


def payload(event: Event) -> bytes:
    return json.dumps(
        {
            "group": event.group.host.fqdn,
            "event": event.kind,
            "old": event.old_state,
            "new": event.new_state,
            "reason": event.reason,
            "time": event.created_at.isoformat(),
        },
        sort_keys=True,
    ).encode()


def signature(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body with the group's webhook secret, as receivers verify it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_request(event: Event) -> tuple[str, bytes, dict[str, str]] | None:
    """(url, body, headers) for the group's webhook, or None when it has none."""
    group = event.group
    if not group.webhook_url:
        return None
    if not _may_call(group):
        logger.warning("webhook of %s not called: it leads to an internal address", group)
        return None
    body = payload(event)
    secret = crypto.decrypt(group.webhook_secret_encrypted)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)}
    return group.webhook_url, body, headers


def _may_call(group) -> bool:
    """Users may not make the service call into the operator's network (checked when
    sent: the webhook's name may point elsewhere since it was saved)."""
    owner = group.host.owner
    if group.internal_targets or owner.is_staff or settings.DDNS_HA_PRIVATE_TARGETS:
        return True
    return not targets.resolves_internal(urlsplit(group.webhook_url).hostname or "")


def notify_operators(*, reason: str) -> None:
    if cache.add("ha-breaker-alert", 1, REPEAT_SECONDS):
        mail_admins("High-availability changes held (circuit breaker)", reason)
        logger.error("circuit breaker holds automatic changes: %s", reason)
