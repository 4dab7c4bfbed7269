"""High-availability groups: a generic name that follows the healthy members of a group."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from domains.models import Host

CHECK_KINDS = [("http", "HTTP"), ("https", "HTTPS"), ("tcp", "TCP"), ("vault", "Vault")]
MODES = [("failover", _("failover")), ("all-healthy", _("all healthy"))]
ALL_DOWN = [
    ("keep", _("keep the last answer")),
    ("all", _("publish every member")),
    ("none", _("publish nothing (NODATA)")),
]
VAULT_POLICIES = [
    ("unsealed", _("any unsealed node (200, 429, 473)")),
    ("active", _("follow the active node (200 only)")),
]
SWITCHES = [
    ("auto", _("automatic")),
    ("maintenance", _("maintenance")),
    ("forced-up", _("forced up")),
    ("forced-down", _("forced down")),
]
HEALTH = [("unknown", _("unknown")), ("up", _("up")), ("down", _("down"))]


class Group(models.Model):
    """A generic host whose A/AAAA records follow the group's healthy members."""

    # Deleting the generic host (through its service, records first) ends the group.
    host = models.OneToOneField(Host, on_delete=models.CASCADE, related_name="ha_group")
    ttl = models.PositiveIntegerField(
        _("record TTL"), default=30, validators=[MinValueValidator(1), MaxValueValidator(86400)]
    )
    mode = models.CharField(_("mode"), max_length=12, choices=MODES, default="failover")
    failback = models.BooleanField(
        _("fail back"), default=True, help_text=_("a recovered better member takes the name back")
    )
    hold_down = models.PositiveIntegerField(
        _("hold-down (s)"), default=60, help_text=_("how long it must stay healthy first")
    )
    max_drop = models.PositiveIntegerField(
        _("most members dropped per step"), default=1, validators=[MinValueValidator(1)]
    )
    all_down = models.CharField(
        _("when every member is down"), max_length=4, choices=ALL_DOWN, default="keep"
    )

    check_kind = models.CharField(_("check"), max_length=5, choices=CHECK_KINDS, default="https")
    check_port = models.PositiveIntegerField(
        _("port"), default=443, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    check_path = models.CharField(_("path"), max_length=255, default="/")
    check_method = models.CharField(
        _("method"), max_length=4, choices=[("GET", "GET"), ("HEAD", "HEAD")], default="GET"
    )
    expected_codes = models.CharField(
        _("healthy status codes"), max_length=100, default="200-399", help_text=_("e.g. 200,204")
    )
    body_contains = models.CharField(_("body contains"), max_length=200, blank=True)
    headers = models.JSONField(_("extra headers"), default=list, blank=True)
    tls_verify = models.BooleanField(_("verify TLS"), default=True)
    sni = models.CharField(_("TLS server name"), max_length=253, blank=True)
    timeout = models.FloatField(
        _("timeout (s)"), default=2.0, validators=[MinValueValidator(0.1), MaxValueValidator(30)]
    )
    interval = models.PositiveIntegerField(
        _("interval (s)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
    down_threshold = models.PositiveSmallIntegerField(
        _("down after failures"), default=3, validators=[MinValueValidator(1)]
    )
    up_threshold = models.PositiveSmallIntegerField(
        _("up after successes"), default=2, validators=[MinValueValidator(1)]
    )
    cert_expiry_days = models.PositiveSmallIntegerField(
        _("certificate must be valid for (days)"), default=7, help_text=_("0: not checked")
    )
    vault_policy = models.CharField(
        _("Vault nodes counted healthy"), max_length=8, choices=VAULT_POLICIES, default="unsealed"
    )

    # Set when an operator made the group: its check targets may be internal addresses.
    internal_targets = models.BooleanField(default=False, editable=False)
    webhook_url = models.URLField(_("webhook"), blank=True)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)

    # The published answer: {"member_ids": [...], "addresses": [...], "reason": "..."}.
    answer = models.JSONField(null=True, blank=True, editable=False)
    # Raised by every decision, so a stale result cannot overwrite a newer one.
    generation = models.PositiveIntegerField(default=0, editable=False)
    # A decided answer the name server has not taken yet (retried on the next tick).
    pending = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host__fqdn"]

    def __str__(self) -> str:
        return self.host.fqdn


class Member(models.Model):
    """What the group may publish: fixed addresses, or another host of this service."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    priority = models.PositiveIntegerField(_("priority"), help_text=_("lower is preferred"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    ipv4 = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    ipv6 = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    # A host member follows that host's own updates (it may move between clouds).
    host = models.ForeignKey(
        Host, null=True, blank=True, on_delete=models.SET_NULL, related_name="ha_memberships"
    )
    check_target = models.CharField(
        _("check target"), max_length=253, blank=True, help_text=_("address or name to probe")
    )
    switch = models.CharField(_("state"), max_length=12, choices=SWITCHES, default="auto")
    switch_until = models.DateTimeField(_("until"), null=True, blank=True)
    # The checked health, agreed by the locations (a switch overrides it when deciding).
    health = models.CharField(max_length=7, choices=HEALTH, default="unknown", editable=False)
    health_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["group", "priority"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.host_id:
            return self.host.fqdn if self.host else "?"
        return ", ".join(a for a in (self.ipv4, self.ipv6) if a) or "?"

    def published_addresses(self) -> tuple[str, ...]:
        """What this member would publish now (a host member: its current addresses)."""
        source = self.host if self.host_id else self
        if source is None:
            return ()
        return tuple(a for a in (source.ipv4, source.ipv6) if a)

    def probe_target(self) -> str:
        """What the checker connects to: the check target, else the first address."""
        addresses = self.published_addresses()
        return self.check_target or (addresses[0] if addresses else "")


class Probe(models.Model):
    """One checker location's view of a member: its streak and latest result."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="probes")
    location = models.CharField(max_length=50)
    health = models.CharField(max_length=7, choices=HEALTH, default="unknown")
    ok_streak = models.PositiveIntegerField(default=0)
    failed_streak = models.PositiveIntegerField(default=0)
    health_since = models.DateTimeField(null=True, blank=True)
    abstained = models.BooleanField(default=False)
    last_ok = models.BooleanField(null=True)
    last_reason = models.CharField(max_length=255, blank=True)
    last_threshold = models.CharField(max_length=100, blank=True)
    last_latency_ms = models.FloatField(null=True)
    checked_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "location"], name="one_probe_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.location}: {self.health}"


class Schedule(models.Model):
    """When a location checks a group next; claimed with a conditional UPDATE."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedules")
    location = models.CharField(max_length=50)
    next_due_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "location"], name="one_schedule_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.location}: {self.next_due_at}"


class Event(models.Model):
    """A transition: a member's state, the group's answer, or why nothing moved."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20)  # member, failover, recovery, all-down, frozen, ...
    old_state = models.CharField(max_length=50, blank=True)
    new_state = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    threshold = models.CharField(max_length=100, blank=True)
    locations = models.JSONField(default=dict, blank=True)
    dns_change = models.CharField(max_length=500, blank=True)
    dns_visible_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["group", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.group_id} {self.kind}: {self.old_state} -> {self.new_state}"
