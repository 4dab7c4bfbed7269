"""The portal's forms: they parse and check syntax; the services decide the rest (quota,
reserved and taken names, whether a zone takes hosts) so every entry point agrees."""

from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import tokens
from accounts.models import FULL, SCOPES
from domains import names, selectors
from domains.models import TSIG_ALGORITHMS, Domain, Host


class HostForm(forms.Form):
    label = forms.CharField(
        label=_("Name"), max_length=63, help_text=_("letters, digits and hyphens")
    )
    domain: "forms.ModelChoiceField[Domain]" = forms.ModelChoiceField(
        label=_("Zone"), queryset=None, empty_label=None
    )
    comment = forms.CharField(label=_("Comment"), max_length=255, required=False)
    wildcard = forms.BooleanField(
        label=_("Wildcard"),
        required=False,
        help_text=_("every name below this one (*.name) answers with the same addresses"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields maps names to plain Fields; "domain" is the ModelChoiceField above.
        field = cast("forms.ModelChoiceField[Domain]", self.fields["domain"])
        field.queryset = selectors.domains_usable_by(user)

    def clean_label(self) -> str:
        return names.clean_label(self.cleaned_data["label"])


class WildcardForm(forms.Form):
    wildcard = forms.BooleanField(label=_("Wildcard (*.name follows this host)"), required=False)


class AddressForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=64)

    def clean_address(self) -> str:
        try:
            address = str(names.parse_address(self.cleaned_data["address"]))
            names.check_publishable(
                names.Addresses.of(address), settings.DDNS_REJECTED_ADDRESS_KINDS
            )
        except names.BadAddress as exc:
            raise ValidationError(str(exc)) from None
        return address


class ZoneForm(forms.Form):
    name = forms.CharField(label=_("Zone"), max_length=253, help_text=_("e.g. dyn.example.org"))
    nameserver_host = forms.CharField(label=_("Primary name server"), max_length=253)
    nameserver_port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=53)
    tsig_key_name = forms.CharField(label=_("TSIG key name"), max_length=253)
    tsig_algorithm = forms.ChoiceField(
        label=_("TSIG algorithm"), choices=TSIG_ALGORITHMS, initial="hmac-sha256"
    )
    tsig_secret = forms.CharField(
        label=_("TSIG secret"),
        max_length=200,
        required=False,
        help_text=_("base64; leave empty to have one generated"),
    )
    public = forms.BooleanField(label=_("Others may add hosts"), required=False)

    def clean_name(self) -> str:
        name = names.clean_zone_name(self.cleaned_data["name"])
        if selectors.zone_exists(name):
            raise ValidationError(_("This zone is already managed here."))
        return name

    def clean_nameserver_host(self) -> str:
        return names.clean_server(self.cleaned_data["nameserver_host"])

    def clean_tsig_key_name(self) -> str:
        return names.clean_key_name(self.cleaned_data["tsig_key_name"])

    def clean_tsig_secret(self) -> str:
        secret = self.cleaned_data["tsig_secret"].strip()
        if secret:
            names.clean_tsig_secret(secret)
        return secret


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. where it is used"))
    scope = forms.ChoiceField(
        label=_("Scope"), choices=SCOPES, initial=FULL, widget=forms.RadioSelect
    )
    hosts: "forms.ModelMultipleChoiceField[Host]" = forms.ModelMultipleChoiceField(
        label=_("Hosts"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "for the scope “named hosts only”: the token may update these hosts and their "
            "ACME TXT records, nothing else"
        ),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=tokens.MAX_EXPIRY_DAYS,
        initial=365,
        required=False,
        help_text=_("empty: never"),
    )
    networks = forms.CharField(
        label=_("Allowed source networks"),
        required=False,
        help_text=_("e.g. 192.0.2.0/24 2001:db8::/48; empty: anywhere"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelMultipleChoiceField[Host]", self.fields["hosts"])
        field.queryset = selectors.hosts_of(user)

    def clean_networks(self) -> list[str]:
        return tokens.clean_networks(self.cleaned_data["networks"].replace(",", " ").split())
