"""Forms for groups: they parse; failover.services decides (publishable addresses,
targets a user may probe, thresholds)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from domains.models import Host
from failover import services
from failover.models import SWITCHES, Group

GROUP_FIELDS = [
    "check_kind",
    "check_port",
    "check_path",
    "check_method",
    "expected_codes",
    "body_contains",
    "tls_verify",
    "sni",
    "timeout",
    "interval",
    "down_threshold",
    "up_threshold",
    "cert_expiry_days",
    "vault_policy",
    "mode",
    "failback",
    "hold_down",
    "max_drop",
    "all_down",
    "ttl",
    "webhook_url",
]


class GroupForm(forms.ModelForm):
    """The check and the policy of a group (also used to edit one)."""

    webhook_url = forms.URLField(
        label=_("Webhook"), required=False, assume_scheme="https", help_text=_("optional")
    )
    headers = forms.CharField(
        label=_("Extra headers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("one per line, e.g. Host: vault.example.org"),
    )

    class Meta:
        model = Group
        fields = GROUP_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["headers"] = "\n".join(f"{k}: {v}" for k, v in self.instance.headers)

    def clean_expected_codes(self) -> str:
        codes = self.cleaned_data["expected_codes"]
        services.parse_codes(codes)
        return codes

    def clean_headers(self) -> list[list[str]]:
        pairs = []
        for line in self.cleaned_data["headers"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or any(not c.isprintable() for c in line):
                raise ValidationError(_("Write each header as Name: value."))
            pairs.append([name.strip(), value.strip()])
        return pairs

    def options(self) -> dict:
        return {field: self.cleaned_data[field] for field in [*GROUP_FIELDS, "headers"]}


class NewGroupForm(GroupForm):
    host: "forms.ModelChoiceField[Host]" = forms.ModelChoiceField(
        label=_("Generic name"), queryset=Host.objects.none(), empty_label=None
    )
    members = forms.CharField(
        label=_("Members"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "one per line, best first: an address (or IPv4,IPv6), or a host registered "
            "here; optionally =CHECK_TARGET, e.g. 192.0.2.7=10.0.0.7"
        ),
    )

    field_order = ["host", "members"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["host"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Host.objects.filter(owner=user, ha_group__isnull=True).order_by("fqdn")

    def clean_members(self) -> list[services.MemberSpec]:
        lines = [line for line in self.cleaned_data["members"].splitlines() if line.strip()]
        if not lines:
            raise ValidationError(_("Give at least one member."))
        return [services.parse_member(line) for line in lines]


class MemberForm(forms.Form):
    member = forms.CharField(
        label=_("Member"), max_length=600, help_text=_("address or registered host[=target]")
    )

    def clean_member(self) -> services.MemberSpec:
        return services.parse_member(self.cleaned_data["member"])


class SwitchForm(forms.Form):
    switch = forms.ChoiceField(label=_("State"), choices=SWITCHES)
    until = forms.DateTimeField(
        label=_("Until"), required=False, help_text=_("UTC, e.g. 2026-12-01 18:00")
    )
