"""Every write on zones and hosts, and every DNS change with it.

The database holds the desired state. A DNS change is sent inside the transaction that
stores it and the transaction commits only when the server answered NOERROR, so the
database and DNS never disagree about a change the client was told succeeded. Portal,
dyndns2, admin, management commands and tasks all come here; the checks every entry
point needs (quota, reserved and taken names, publishable addresses) are made here, once.

Callers see two kinds of failure: django's ValidationError (the request is wrong) and
DnsFailure (the zone's server did not take the change; the message says why).
"""

from domains.services.abuse import UpdateRefused, host_admit_update, host_flag_abuse
from domains.services.acme import (
    ACME_MAX_VALUES_PER_HOST,
    acme_challenge_host,
    acme_clean_value,
    acme_txt_add,
    acme_txt_expire,
    acme_txt_list,
    acme_txt_remove,
    acme_txt_rotate,
)
from domains.services.common import ClientInfo, DnsFailure, dns_server
from domains.services.credentials import host_authenticate
from domains.services.faults import (
    host_record_auth_fault,
    host_record_client_fault,
    host_record_server_fault,
    host_reset_client_faults,
)
from domains.services.hosts import (
    host_address_sets,
    host_block,
    host_clear_abuse,
    host_delete,
    host_delete_address,
    host_lock_addresses,
    host_lock_records,
    host_mark_seen,
    host_register,
    host_reset_secret,
    host_set_comment,
    host_set_wildcard,
    host_unblock,
    host_update_addresses,
)
from domains.services.maintenance import (
    StaleReport,
    ZoneHealth,
    history_prune,
    sessions_prune,
    stale_hosts_process,
    zones_check_health,
)
from domains.services.sets import host_publish_set, host_release_set, host_served_addresses
from domains.services.zones import (
    domain_add,
    domain_change,
    domain_check,
    domain_delete,
    domain_negative_ttl,
    domain_reachable,
    domain_record_failure,
    domain_record_success,
    domain_set_enabled,
    domain_set_public,
    encryption_key_rotate,
)

__all__ = [
    "ACME_MAX_VALUES_PER_HOST",
    "ClientInfo",
    "DnsFailure",
    "StaleReport",
    "UpdateRefused",
    "ZoneHealth",
    "acme_challenge_host",
    "acme_clean_value",
    "acme_txt_add",
    "acme_txt_expire",
    "acme_txt_list",
    "acme_txt_remove",
    "acme_txt_rotate",
    "dns_server",
    "domain_add",
    "domain_change",
    "domain_check",
    "domain_delete",
    "domain_negative_ttl",
    "domain_reachable",
    "domain_record_failure",
    "domain_record_success",
    "domain_set_enabled",
    "domain_set_public",
    "encryption_key_rotate",
    "history_prune",
    "host_address_sets",
    "host_admit_update",
    "host_authenticate",
    "host_block",
    "host_clear_abuse",
    "host_delete",
    "host_delete_address",
    "host_flag_abuse",
    "host_lock_addresses",
    "host_lock_records",
    "host_mark_seen",
    "host_publish_set",
    "host_record_auth_fault",
    "host_record_client_fault",
    "host_record_server_fault",
    "host_register",
    "host_release_set",
    "host_reset_client_faults",
    "host_reset_secret",
    "host_served_addresses",
    "host_set_comment",
    "host_set_wildcard",
    "host_unblock",
    "host_update_addresses",
    "sessions_prune",
    "stale_hosts_process",
    "zones_check_health",
]
