"""Group commit of address changes: one RFC 2136 message and one commit for many changes.

Concurrent changes to one zone in one process are gathered for DDNS_BATCH_WINDOW_MS (or
until DDNS_BATCH_MAX of them wait). The first change that finds no batch forming leads:
it waits the window, then for the zone's previous batch to finish (changes arriving
meanwhile still join), and runs the batch on its own thread and connection. One
transaction locks the host rows, works out what really changes against them, sends one
message with every record and, only on NOERROR, writes the rows in one statement and the
history in one insert, and commits. Only then is each waiting change answered, with its
own result. A failed message fails every change in it, exactly as one failed change
fails alone: nothing stored but the fault counters and the failed attempts' history.

Within a batch, changes apply in arrival order: a later change of the same host wins in
the database and in DNS, and each change has its own history row. Rows are locked in id
order, so two processes' batches never deadlock; SQLite's single writer serialises them.
"""

import functools
import os
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from domains import dns, names
from domains.models import Domain, Host, UpdateEvent
from domains.services.common import ClientInfo, DnsFailure, dns_server
from domains.services.faults import host_record_server_fault
from domains.services.zones import domain_record_failure, domain_record_success

RDTYPE_OF = {column: rdtype for rdtype, column in names.RDTYPE_FIELDS.items()}


@dataclass(eq=False)
class PendingChange:
    """One caller's change, waiting for its batch; the future holds what it changed."""

    host: Host
    changes: dict[str, str | None]
    client: ClientInfo
    result: str  # the history's word for it: "good", "deleted"
    future: Future[dict[str, str | None]] = field(default_factory=Future)


@dataclass(eq=False)
class _Batch:
    changes: list[PendingChange] = field(default_factory=list)
    full: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    # The zone's batch before this one: batches run one after the other, in the order they
    # were formed, so a later change of a host is never overtaken by an earlier one.
    after: "_Batch | None" = None


class ZoneCommitter:
    """Gathers one zone's changes in this process and runs them a batch at a time."""

    def __init__(self, domain_id: int) -> None:
        self.domain_id = domain_id
        self._lock = threading.Lock()  # guards _forming and _last
        self._forming: _Batch | None = None
        self._last: _Batch | None = None

    def submit(self, change: PendingChange) -> dict[str, str | None]:
        """Apply the change with whatever else arrives now; what it changed, or raises."""
        batch, leads = self._join(change)
        if leads:
            self._lead(batch)
        try:
            return change.future.result(timeout=wait_limit())
        except FutureTimeout:
            timeout = dns.DnsTimeout(f"the batch did not finish in {wait_limit():g} s")
            raise DnsFailure(timeout) from None

    def _join(self, change: PendingChange) -> tuple[_Batch, bool]:
        with self._lock:
            batch = self._forming
            leads = batch is None
            if batch is None:
                batch = self._forming = self._last = _Batch(after=self._last)
            batch.changes.append(change)
            if len(batch.changes) >= batch_max():
                self._close(batch)
        return batch, leads

    def _close(self, batch: _Batch) -> None:
        """No change joins it any more (call with _lock held)."""
        if self._forming is batch:
            self._forming = None
        batch.full.set()

    def _lead(self, batch: _Batch) -> None:
        try:
            batch.full.wait(settings.DDNS_BATCH_WINDOW_MS / 1000)
            # Changes keep joining while the previous batch is in flight: the busier the
            # zone, the larger the batches.
            previous, batch.after = batch.after, None
            if previous is not None and not previous.done.wait(batch_limit()):
                with self._lock:
                    self._close(batch)
                _fail_all(batch.changes, DnsFailure(dns.DnsTimeout("the previous batch hangs")))
                return
            with self._lock:
                self._close(batch)
            _run_guarded(self.domain_id, batch.changes)
        finally:
            batch.done.set()


def batch_limit() -> float:
    """How long one batch may take: its message's timeout, with room for the database."""
    return settings.DDNS_DNS_TIMEOUT + 5


def wait_limit() -> float:
    """How long a change waits for its answer: the window, the batch in flight, its own."""
    return settings.DDNS_BATCH_WINDOW_MS / 1000 + 2 * batch_limit()


def batch_max() -> int:
    return max(1, min(settings.DDNS_BATCH_MAX, dns.CHANGES_PER_MESSAGE))


_committers: dict[int, ZoneCommitter] = {}
_committers_lock = threading.Lock()


def _forget_committers() -> None:
    # A forked child starts with no batch of its parent's and locks nobody holds.
    global _committers_lock
    _committers.clear()
    _committers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_committers)


def committer_for(domain_id: int) -> ZoneCommitter:
    with _committers_lock:
        committer = _committers.get(domain_id)
        if committer is None:
            committer = _committers[domain_id] = ZoneCommitter(domain_id)
        return committer


def host_apply_changes(
    *, host: Host, changes: dict[str, str | None], client: ClientInfo, result: str
) -> dict[str, str | None]:
    """Apply a host's changes in the zone's next batch; what really changed ({}: nothing).

    Raises DnsFailure when the server did not take the batch; nothing is stored then.
    A caller inside a transaction runs a batch of its own at once: its open transaction
    may hold row locks another thread's batch would wait for.
    """
    change = PendingChange(host, changes, client, result)
    if connection.in_atomic_block:
        _run_guarded(host.domain_id, [change])
        return change.future.result()
    return committer_for(host.domain_id).submit(change)


def _run_guarded(domain_id: int, changes: list[PendingChange]) -> None:
    """Run the batch; whatever it raises reaches every waiting change, so none hangs."""
    try:
        _run(domain_id, changes)
    except BaseException as error:
        _fail_all(changes, error)
        if not isinstance(error, Exception):
            raise


def _fail_all(changes: list[PendingChange], error: BaseException) -> None:
    for change in changes:
        if not change.future.done():
            change.future.set_exception(error)


# --- One batch ----------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a batch writes, worked out in arrival order against the locked rows."""

    applied: dict[PendingChange, dict[str, str | None]] = field(default_factory=dict)
    rows: dict[int, dict[str, PendingChange]] = field(default_factory=dict)  # host: field
    events: list[tuple[PendingChange, str, str | None]] = field(default_factory=list)
    final: dict[int, dict[str, str | None]] = field(default_factory=dict)  # host: addresses
    wildcard: dict[int, bool] = field(default_factory=dict)


def _run(domain_id: int, changes: list[PendingChange]) -> None:
    try:
        with transaction.atomic():
            plan = _plan(changes, _lock_rows(changes))
            domain = None
            if plan.rows:
                domain = Domain.objects.get(pk=domain_id)
                dns.replace_many(dns_server(domain), _records(changes, plan), domain.ttl)
                now = timezone.now()
                _write_rows(plan, now)
                _write_history(plan, now)
    except dns.DnsError as error:
        _record_failure(domain_id, changes, error)
        return
    if domain is not None:
        domain_record_success(domain=domain)
    for change in changes:
        if not change.future.done():
            change.future.set_result(plan.applied[change])


def _lock_rows(changes: list[PendingChange]) -> dict[int, tuple[dict[str, str | None], bool]]:
    """Lock the batch's host rows in id order (never a deadlock between two batches)."""
    ids = sorted({change.host.pk for change in changes})
    rows = (
        Host.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "ipv4", "ipv6", "wildcard")
    )
    return {pk: ({"ipv4": ipv4, "ipv6": ipv6}, wildcard) for pk, ipv4, ipv6, wildcard in rows}


def _plan(
    changes: list[PendingChange], locked: dict[int, tuple[dict[str, str | None], bool]]
) -> _Plan:
    plan = _Plan()
    for change in changes:
        host_id = change.host.pk
        if host_id not in locked:
            change.future.set_exception(Host.DoesNotExist(f"{change.host.fqdn} was deleted"))
            continue
        current, plan.wildcard[host_id] = locked[host_id]
        state = plan.final.setdefault(host_id, dict(current))
        applied = {}
        for rdtype, address in change.changes.items():
            column = names.field_of(rdtype)
            if state[column] == address:
                continue
            plan.events.append((change, rdtype, state[column]))
            plan.rows.setdefault(host_id, {})[column] = change  # the last change wins
            state[column] = applied[rdtype] = address
        plan.applied[change] = applied
    return plan


def _records(changes: list[PendingChange], plan: _Plan) -> list[dns.AddressChange]:
    """Each changed host once, with its final addresses of the families that changed."""
    fqdns = {change.host.pk: change.host.fqdn for change in changes}
    records = []
    for host_id, columns in plan.rows.items():
        final = plan.final[host_id]
        addresses = {RDTYPE_OF[column]: final[column] for column in columns}
        records.append(dns.AddressChange(fqdns[host_id], addresses, plan.wildcard[host_id]))
    return records


def _record_failure(domain_id: int, changes: list[PendingChange], error: dns.DnsError) -> None:
    """After the rollback: each change's fault and history, the zone marked once."""
    for change in changes:
        if not change.future.done():
            host_record_server_fault(
                host=change.host, error=error, changes=change.changes, client=change.client
            )
    domain_record_failure(domain_id=domain_id, error=error)
    for change in changes:
        if not change.future.done():
            change.future.set_exception(DnsFailure(error))


# --- The writes: one statement each, whatever the batch's size ---------------------------

# Per family, the columns that say who set its address; taken from the change that set it.
SOURCE_SUFFIXES = ("_source", "_user_agent", "_tls")


def _write_rows(plan: _Plan, now: datetime) -> None:
    """One UPDATE of every changed host: each changed family's columns from the change
    that set it last, the other family's left as they are."""
    families = list(names.RDTYPE_FIELDS.values())
    params: list = []  # in the order of the placeholders: the VALUES list comes first
    for host_id, setters in plan.rows.items():
        params += _row_values(host_id, setters, plan.final[host_id], families)
    params += [_adapt_time(now)] * (1 + len(families))
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor, len(plan.rows)), params)


@functools.lru_cache(maxsize=256)
def _update_sql(vendor: str, rows: int) -> str:
    """The statement for so many rows (built once per size: batches repeat their sizes)."""
    families = list(names.RDTYPE_FIELDS.values())
    # (name in the VALUES list, column whose type it has; a set_ flag is a boolean)
    values = [("id", "id")]
    for family in families:
        values += [(f"set_{family}", "wildcard"), (family, family)]
        values += [(family + suffix, family + suffix) for suffix in SOURCE_SUFFIXES]
    table = _quote(Host._meta.db_table)
    time_sql = _param(Host, "last_seen_at")
    assignments = [f"{_quote('last_seen_at')} = {time_sql}"]
    for family in families:
        for column in (family, *(family + suffix for suffix in SOURCE_SUFFIXES)):
            assignments.append(_unless_set(family, column, f"v.{_quote(column)}"))
        assignments.append(_unless_set(family, f"{family}_updated_at", time_sql))
    row_sql = "(" + ", ".join(_param(Host, column) for _, column in values) + ")"
    return (
        f"WITH v ({', '.join(_quote(name) for name, _ in values)}) AS "  # noqa: S608
        f"(VALUES {', '.join([row_sql] * rows)}) "
        f"UPDATE {table} SET {', '.join(assignments)} "
        f"FROM v WHERE {table}.{_quote('id')} = v.{_quote('id')}"
    )


def _unless_set(family: str, column: str, value_sql: str) -> str:
    table = _quote(Host._meta.db_table)
    return (
        f"{_quote(column)} = CASE WHEN v.{_quote('set_' + family)} THEN {value_sql} "
        f"ELSE {table}.{_quote(column)} END"
    )


def _row_values(
    host_id: int,
    setters: dict[str, PendingChange],
    final: dict[str, str | None],
    families: list[str],
) -> list:
    values: list = [host_id]
    for family in families:
        change = setters.get(family)
        if change is None:
            values += [False, None, None, "", False]
        else:
            client = change.client
            values += [True, final[family], client.source, client.user_agent[:255], client.tls]
    return values


EVENT_COLUMNS = (
    "host",
    "created_at",
    "family",
    "old_address",
    "new_address",
    "source",
    "user_agent",
    "tls",
    "result",
)


def _write_history(plan: _Plan, now: datetime) -> None:
    """One multi-row INSERT in arrival order; a batch's rows share one timestamp."""
    if not plan.events:
        return
    params: list = []
    for change, rdtype, old in plan.events:
        client = change.client
        params += [change.host.pk, _adapt_time(now), rdtype, old, change.changes[rdtype]]
        params += [client.source, client.user_agent[:255], client.tls, change.result]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, len(plan.events)), params)


@functools.lru_cache(maxsize=256)
def _insert_sql(vendor: str, rows: int) -> str:
    row_sql = "(" + ", ".join(_param(UpdateEvent, c) for c in EVENT_COLUMNS) + ")"
    columns = [_quote(_field(UpdateEvent, c).column) for c in EVENT_COLUMNS]
    return (
        f"INSERT INTO {_quote(UpdateEvent._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES {', '.join([row_sql] * rows)}"
    )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _param(model: type[Host] | type[UpdateEvent], field_name: str) -> str:
    """A placeholder; PostgreSQL is told the column's type, which a VALUES list hides."""
    if connection.vendor != "postgresql":
        return "%s"
    return f"CAST(%s AS {_field(model, field_name).db_type(connection)})"


def _field(model: type[Host] | type[UpdateEvent], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a concrete column, not a relation's far end
    return field


def _adapt_time(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)
