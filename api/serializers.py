"""The API's serializers: they parse and check syntax; the services decide the rest
(quota, reserved and taken names, publishable addresses), as for the portal's forms."""

from django.conf import settings
from rest_framework import serializers

from accounts.models import SCOPES, ApiToken
from accounts.tokens import MAX_EXPIRY_DAYS, MAX_NAME_LENGTH, MAX_NETWORKS
from domains import names, selectors
from domains.models import TSIG_ALGORITHMS, Domain, Host, UpdateEvent

MAX_TTL = 86400
MAX_ID = 2**63 - 1  # the database's largest integer key


# --- Hosts ------------------------------------------------------------------------------


class HostSerializer(serializers.ModelSerializer):
    zone = serializers.CharField(source="domain.name", read_only=True)
    managed = serializers.BooleanField(
        read_only=True, help_text="its addresses follow a high-availability group"
    )

    class Meta:
        model = Host
        fields = [
            "id",
            "fqdn",
            "label",
            "zone",
            "comment",
            "wildcard",
            "ipv4",
            "ipv4_updated_at",
            "ipv6",
            "ipv6_updated_at",
            "last_seen_at",
            "managed",
            "abuse",
            "abuse_blocked",
            "client_faults",
            "server_faults",
            "auth_faults",
            "created_at",
        ]
        read_only_fields = fields


class HostCreateSerializer(serializers.Serializer):
    # Shadows Field.label for the type checker only; DRF collects it as a field.
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=63, help_text="letters, digits and hyphens"
    )
    zone = serializers.CharField(max_length=253, help_text="a zone from GET /api/v1/zones/")
    comment = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    wildcard = serializers.BooleanField(
        required=False, default=False, help_text="*.<host> follows the host's addresses"
    )

    def validate_label(self, label: str) -> str:
        return names.clean_label(label)

    def validate_zone(self, zone: str) -> Domain:
        usable = selectors.domains_usable_by(self.context["request"].user)
        found = usable.filter(name=names.normalize_name(zone)).first()
        if found is None:
            raise serializers.ValidationError("no such zone, or it does not take hosts from you")
        return found


class HostCreatedSerializer(HostSerializer):
    secret = serializers.CharField(read_only=True, help_text="shown this once only")

    class Meta(HostSerializer.Meta):
        fields = [*HostSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="shown this once only")


class AddressField(serializers.CharField):
    """One address of the field's family, publishable (the portal's rules)."""

    def __init__(self, family: int, **kwargs) -> None:
        self.family = family
        super().__init__(max_length=names.MAX_ADDRESS_LENGTH, allow_null=True, **kwargs)

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data)
        try:
            address = names.parse_address(text)
            if address.version != self.family:
                raise names.BadAddress(f"{text!r} is not an IPv{self.family} address")
            names.check_publishable(
                names.Addresses.of(str(address)), settings.DDNS_REJECTED_ADDRESS_KINDS
            )
        except names.BadAddress as error:
            raise serializers.ValidationError(str(error)) from None
        return str(address)


class HostUpdateSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True)
    wildcard = serializers.BooleanField(
        required=False, help_text="*.<host> follows the host's addresses; both names change at once"
    )
    ipv4 = AddressField(4, required=False, help_text="publish this A record; null removes it")
    ipv6 = AddressField(6, required=False, help_text="publish this AAAA record; null removes it")


class UpdateEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = UpdateEvent
        fields = [
            "id",
            "created_at",
            "family",
            "old_address",
            "new_address",
            "source",
            "user_agent",
            "tls",
            "result",
        ]
        read_only_fields = fields


class TxtValueSerializer(serializers.Serializer):
    value = serializers.CharField(
        max_length=64, help_text="the 43-character base64url DNS-01 digest"
    )


class TxtSerializer(serializers.Serializer):
    values = serializers.ListField(child=serializers.CharField(), read_only=True)


# --- Zones ------------------------------------------------------------------------------

# Shown only to the zone's owner (null for others): how the service reaches its server.
ZONE_OWNER_ONLY = (
    "nameserver_host",
    "nameserver_port",
    "tsig_key_name",
    "tsig_algorithm",
    "last_error",
    "last_error_at",
)


class ZoneSerializer(serializers.ModelSerializer):
    """Any usable zone; the server settings only of the caller's own zones."""

    mine = serializers.SerializerMethodField(help_text="the caller owns (manages) this zone")
    OWNER_ONLY = ZONE_OWNER_ONLY

    class Meta:
        model = Domain
        fields = [
            "id",
            "name",
            "public",
            "mine",
            "enabled",
            "available",
            "ttl",
            "nameserver_host",
            "nameserver_port",
            "tsig_key_name",
            "tsig_algorithm",
            "last_error",
            "last_error_at",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {field: {"allow_null": True} for field in ZONE_OWNER_ONLY}

    def get_mine(self, zone: Domain) -> bool:
        return zone.owner_id == self.context["request"].user.pk

    def to_representation(self, zone: Domain) -> dict:
        data = super().to_representation(zone)
        if not data["mine"]:
            data.update(dict.fromkeys(self.OWNER_ONLY))
        return data


class ZoneCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=253, help_text="e.g. dyn.example.org")
    nameserver_host = serializers.CharField(max_length=253)
    nameserver_port = serializers.IntegerField(min_value=1, max_value=65535, default=53)
    tsig_key_name = serializers.CharField(max_length=253)
    tsig_algorithm = serializers.ChoiceField(choices=TSIG_ALGORITHMS, default="hmac-sha256")
    tsig_secret = serializers.CharField(
        max_length=200, write_only=True, help_text="base64, as tsig-keygen prints it"
    )
    public = serializers.BooleanField(default=False, help_text="others may add hosts")
    ttl = serializers.IntegerField(min_value=1, max_value=MAX_TTL, required=False)


class ZoneUpdateSerializer(serializers.Serializer):
    """Everything but the name (names never change); absent fields keep their value."""

    nameserver_host = serializers.CharField(max_length=253, required=False)
    nameserver_port = serializers.IntegerField(min_value=1, max_value=65535, required=False)
    tsig_key_name = serializers.CharField(max_length=253, required=False)
    tsig_algorithm = serializers.ChoiceField(choices=TSIG_ALGORITHMS, required=False)
    tsig_secret = serializers.CharField(max_length=200, write_only=True, required=False)
    public = serializers.BooleanField(required=False)
    ttl = serializers.IntegerField(min_value=1, max_value=MAX_TTL, required=False)


# --- Tokens -----------------------------------------------------------------------------


class TokenSerializer(serializers.ModelSerializer):
    hosts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "scope",
            "hosts",
            "allowed_networks",
            "prefix",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    scope = serializers.ChoiceField(choices=SCOPES, default="full")
    hosts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=1000,
        help_text="ids of your hosts (scope hosts only)",
    )
    expires_days = serializers.IntegerField(
        min_value=1, max_value=MAX_EXPIRY_DAYS, required=False, allow_null=True, default=None
    )
    networks = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        default=list,
        max_length=MAX_NETWORKS,
        help_text="source networks allowed to use it (CIDR); empty: anywhere",
    )

    def validate_hosts(self, ids: list[int]) -> list[Host]:
        hosts = list(selectors.hosts_of(self.context["request"].user).filter(pk__in=ids))
        missing = set(ids) - {host.pk for host in hosts}
        if missing:
            raise serializers.ValidationError(f"no such host: {sorted(missing)}")
        return hosts


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="shown this once only")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
