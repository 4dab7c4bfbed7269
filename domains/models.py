from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from domains import crypto, names

TSIG_ALGORITHMS = [
    ("hmac-sha256", "hmac-sha256"),
    ("hmac-sha512", "hmac-sha512"),
    ("hmac-sha384", "hmac-sha384"),
    ("hmac-sha224", "hmac-sha224"),
    ("hmac-sha1", "hmac-sha1"),
    ("hmac-md5", "hmac-md5"),
]


class Domain(models.Model):
    """A zone the service writes to on its primary name server."""

    name = models.CharField(_("zone"), max_length=253, unique=True)
    nameserver_host = models.CharField(_("primary name server"), max_length=253)
    nameserver_port = models.PositiveIntegerField(_("port"), default=53)
    tsig_key_name = models.CharField(_("TSIG key name"), max_length=253)
    tsig_algorithm = models.CharField(
        _("TSIG algorithm"), max_length=20, choices=TSIG_ALGORITHMS, default="hmac-sha256"
    )
    tsig_secret_encrypted = models.TextField(editable=False)
    public = models.BooleanField(_("public"), default=False, help_text=_("others may add hosts"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A zone goes through domain_delete (records out of DNS first), never by cascade.
        on_delete=models.PROTECT,
        related_name="domains",
        help_text=_("empty: managed by the operators"),
    )
    ttl = models.PositiveIntegerField(_("record TTL"), default=60)
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("operators can disable a zone: its hosts stop updating"),
    )
    available = models.BooleanField(_("server available"), default=True)
    last_error = models.TextField(_("last server error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The periodic health check (an SOA query): consecutive failures, when to ask next (a
    # zone that stays down is asked less and less often) and when its owner was told of
    # the outage (once per outage; cleared, with a second e-mail, when it answers again).
    failed_checks = models.PositiveIntegerField(default=0, editable=False)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    outage_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tsig_secret(self) -> str:
        return crypto.decrypt(self.tsig_secret_encrypted)

    @tsig_secret.setter
    def tsig_secret(self, value: str) -> None:
        self.tsig_secret_encrypted = crypto.encrypt(value)


class Host(models.Model):
    """A name under a domain, with the addresses it should have (the desired state)."""

    label = models.CharField(_("name"), max_length=63)
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="hosts")
    # Denormalised so authentication is one indexed lookup by the dyndns2 username.
    fqdn = models.CharField(max_length=253, unique=True, editable=False)
    # A host goes through host_delete (records out of DNS first), never by cascade: the
    # database refuses to delete a user who still has hosts.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosts"
    )
    secret_digest = models.CharField(max_length=64, editable=False)
    comment = models.CharField(_("comment"), max_length=255, blank=True)

    ipv4 = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    ipv4_updated_at = models.DateTimeField(null=True, blank=True)
    ipv4_source = models.GenericIPAddressField(null=True, blank=True)
    ipv4_user_agent = models.CharField(max_length=255, blank=True)
    ipv4_tls = models.BooleanField(default=False)
    ipv6 = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    ipv6_updated_at = models.DateTimeField(null=True, blank=True)
    ipv6_source = models.GenericIPAddressField(null=True, blank=True)
    ipv6_user_agent = models.CharField(max_length=255, blank=True)
    ipv6_tls = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Several addresses per family with a TTL of their own, decided by a high-availability
    # group ({"A": [...], "AAAA": [...], "ttl": 30}); null for a plain dynamic host. The
    # group owns such a name: dyndns2 updates leave it alone. ipv4/ipv6 mirror the first
    # address of each family, so every page shows something sensible.
    published_set = models.JSONField(null=True, blank=True, editable=False)
    # "*.<fqdn>" answers with the same addresses (e.g. a Kubernetes ingress behind one
    # name); both names are written in one RFC 2136 message and removed together.
    wildcard = models.BooleanField(
        _("wildcard"), default=False, help_text=_("*.name answers with the same addresses")
    )

    client_faults = models.PositiveIntegerField(default=0)
    client_fault_message = models.TextField(blank=True)
    server_faults = models.PositiveIntegerField(default=0)
    server_fault_message = models.TextField(blank=True)
    auth_faults = models.PositiveIntegerField(default=0)
    auth_fault_message = models.TextField(blank=True)

    abuse = models.BooleanField(
        _("abuse"), default=False, help_text=_("flagged for abuse; the owner may clear it")
    )
    abuse_blocked = models.BooleanField(
        _("blocked by admin"), default=False, help_text=_("only an operator may clear it")
    )
    # Stale-host maintenance: when the owner was reminded that nothing updates the host,
    # and when its addresses were withdrawn for that; an update after the mark revives it.
    stale_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    stale_disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fqdn"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "label"], name="unique_label_per_domain")
        ]

    def __str__(self) -> str:
        return self.fqdn

    def save(self, *args, **kwargs) -> None:
        # Label and zone never change after creation (renaming is delete + add), so the
        # name is set once and no old name's records can be left behind.
        if not self.fqdn:
            self.fqdn = f"{self.label}.{self.domain.name}"
        super().save(*args, **kwargs)

    def addresses(self) -> dict[str, str | None]:
        """The published addresses by record type (A, AAAA)."""
        return {rdtype: getattr(self, field) for rdtype, field in names.RDTYPE_FIELDS.items()}

    @property
    def managed(self) -> bool:
        """Its records are decided by a high-availability group, not by dyndns2 updates."""
        return self.published_set is not None


class UpdateEvent(models.Model):
    """One change of a host's address (or a failed attempt to change it)."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    family = models.CharField(max_length=4)  # "A" or "AAAA"
    old_address = models.GenericIPAddressField(null=True, blank=True)
    new_address = models.GenericIPAddressField(null=True, blank=True)
    source = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    tls = models.BooleanField(default=False)
    result = models.CharField(max_length=255)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["host", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.host_id} {self.family} {self.old_address} -> {self.new_address}"


class AcmeChallenge(models.Model):
    """A TXT value published at "_acme-challenge.<host>" for ACME DNS-01 validation.

    Several at once, so one certificate for the host and its wildcard can be validated.
    Deleting a host cascades here safely: host_delete removes these records from DNS in
    the same message as its addresses; acme_txt_expire removes forgotten ones.
    """

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="acme_challenges")
    value = models.CharField(_("value"), max_length=64)
    # Set again when the same value is presented again, so it is not expired meanwhile.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "value"], name="unique_acme_value_per_host")
        ]

    def __str__(self) -> str:
        return f"{self.host_id} {self.value}"


class RetiredName(models.Model):
    """A deleted host's name whose records the zone's server has not yet removed.

    Written when the server did not answer at deletion time; the reconciler removes the
    records once it answers, then this row. Only names the service published get here,
    so the operator's own records in the zone are never touched.
    """

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="retired_names")
    fqdn = models.CharField(max_length=253)
    created_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["fqdn"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "fqdn"], name="unique_retired_name")
        ]

    def __str__(self) -> str:
        return self.fqdn
