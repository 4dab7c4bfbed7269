from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from domains.models import Host

READ = "read"
FULL = "full"
HOSTS = "hosts"
SCOPES = [
    (READ, _("read only")),
    (FULL, _("full")),
    (HOSTS, _("named hosts only")),
]


class ApiToken(models.Model):
    """A personal API token: what a script or a VM uses instead of the owner's password.

    Only the SHA-256 digest of the token is stored (it is shown once, at creation), so one
    indexed lookup finds the row. Revoked tokens are kept so their owner sees what was used.
    """

    owner = models.ForeignKey(
        # Tokens publish nothing themselves: they may go with their owner.
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=SCOPES, default=FULL)
    # Deleting a host removes it from these lists (the through rows cascade).
    hosts = models.ManyToManyField("domains.Host", blank=True, related_name="api_tokens")
    allowed_networks = models.JSONField(
        _("allowed source networks"), default=list, blank=True, help_text=_("empty: anywhere")
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token: enough to recognise it, far too few to guess it.
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def can_write(self) -> bool:
        return self.scope != READ

    def can_manage(self) -> bool:
        """May create and delete hosts, zones, groups and tokens."""
        return self.scope == FULL

    def covers_host(self, host: "Host") -> bool:
        """Whether the token may change this host's addresses and ACME TXT records."""
        if self.scope == FULL:
            return host.owner_id == self.owner_id
        if self.scope == HOSTS:
            # Uses the prefetched list when the caller loaded it (see tokens.token_authenticate).
            return any(covered.pk == host.pk for covered in self.hosts.all())
        return False
