"""Fault counters: incremented in the database so concurrent requests never lose one."""

import logging

from django.db import connection, transaction
from django.db.models import F

from domains import dns, names
from domains.models import Host, UpdateEvent
from domains.services.common import ClientInfo

logger = logging.getLogger(__name__)


def host_record_auth_fault(*, host_id: int, message: str) -> None:
    _count_fault(host_id, "auth_faults", "auth_fault_message", message)


def host_record_client_fault(*, host_id: int, message: str) -> None:
    _count_fault(host_id, "client_faults", "client_fault_message", message)


def _count_fault(host_id: int, counter: str, message_field: str, message: str) -> None:
    """counter = counter + 1 in one statement, so concurrent faults are never lost."""
    message = message[:1000]
    if connection.vendor != "postgresql":
        Host.objects.filter(pk=host_id).update(**{counter: F(counter) + 1, message_field: message})
        return
    # One round trip, and no disk flush at its commit: losing the last few fault counts
    # in a crash is fine, making every wrong secret wait for the disk is not. set_config
    # with is_local applies to this statement's own transaction only.
    table = Host._meta.db_table
    sql = (
        f"WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f'UPDATE "{table}" SET "{counter}" = "{counter}" + 1, "{message_field}" = %s '
        f'FROM quick WHERE "id" = %s'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [message, host_id])


def host_record_server_fault(
    *, host: Host, error: dns.DnsError, changes: dict[str, str | None], client: ClientInfo
) -> None:
    """Count the failed change and keep it in the history, after its rollback."""
    logger.warning("DNS update for %s failed: %s", host.fqdn, error)
    with transaction.atomic():
        Host.objects.filter(pk=host.pk).update(
            server_faults=F("server_faults") + 1, server_fault_message=str(error)[:1000]
        )
        UpdateEvent.objects.bulk_create(
            UpdateEvent(
                host=host,
                family=rdtype,
                old_address=getattr(host, names.field_of(rdtype)),
                new_address=address,
                source=client.source,
                user_agent=client.user_agent[:255],
                tls=client.tls,
                result=f"dnserr: {error}"[:255],
            )
            for rdtype, address in changes.items()
        )


def host_reset_client_faults(*, host: Host) -> None:
    Host.objects.filter(pk=host.pk).update(client_faults=0, client_fault_message="")
