"""Celery tasks: thin; they load by id and call a service, and own the retries."""

import httpx
from celery import shared_task

from failover.models import Event
from failover.services import alerts, location_check_round

WEBHOOK_TIMEOUT = 5.0


@shared_task(ignore_result=True)
def check_due(location: str) -> int:
    """One location's due checks (beat sends this 4 times a second to checks.<location>)."""
    return location_check_round(location=location)


@shared_task(bind=True, max_retries=6, ignore_result=True)
def send_alert(self, event_id: int) -> None:
    event = Event.objects.select_related("group__host__owner").filter(pk=event_id).first()
    if event is None:
        return
    if not self.request.retries:
        alerts.send_email(event=event)
    request = alerts.webhook_request(event)
    if request is None:
        return
    url, body, headers = request
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        # 2, 4, 8, ... 64 s: a receiver that is down for a minute still gets it.
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
