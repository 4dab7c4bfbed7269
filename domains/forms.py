import base64
import binascii
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from domains import dyndns2, selectors, services
from domains.models import TSIG_ALGORITHMS, Domain, Host

HOSTNAME_RE = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")


class HostForm(forms.Form):
    label = forms.CharField(
        label=_("Name"), max_length=63, help_text=_("letters, digits and hyphens")
    )
    domain = forms.ModelChoiceField(label=_("Zone"), queryset=None, empty_label=None)
    comment = forms.CharField(label=_("Comment"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["domain"].queryset = selectors.domains_usable_by(user)

    def clean_label(self) -> str:
        return services.validate_label(self.cleaned_data["label"])

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"]
        if any(not ch.isprintable() for ch in comment):
            raise ValidationError(_("The comment may not contain control characters."))
        return comment

    def clean(self):
        cleaned = super().clean()
        label, domain = cleaned.get("label"), cleaned.get("domain")
        if label and domain and Host.objects.filter(domain=domain, label=label).exists():
            self.add_error(
                "label", _("%(name)s is already taken.") % {"name": f"{label}.{domain.name}"}
            )
        if Host.objects.filter(owner=self.user).count() >= settings.DDNS_MAX_HOSTS_PER_USER:
            raise ValidationError(
                _("You have reached your limit of %(n)d hosts.")
                % {"n": settings.DDNS_MAX_HOSTS_PER_USER}
            )
        return cleaned


class AddressForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=64)

    def clean_address(self) -> str:
        try:
            address = dyndns2.parse_address(self.cleaned_data["address"])
            dyndns2.check_publishable(
                dyndns2.Addresses(**{f"ipv{address.version}": str(address)}),
                settings.DDNS_REJECTED_ADDRESS_KINDS,
            )
        except dyndns2.BadAddress as exc:
            raise ValidationError(str(exc)) from None
        return str(address)


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
        name = dyndns2.normalize_name(self.cleaned_data["name"])
        if not services.ZONE_RE.match(name):
            raise ValidationError(_("Not a valid zone name."))
        if Domain.objects.filter(name=name).exists():
            raise ValidationError(_("This zone is already managed here."))
        return name

    def clean_nameserver_host(self) -> str:
        host = self.cleaned_data["nameserver_host"].strip()
        if not HOSTNAME_RE.match(host):
            raise ValidationError(_("Give a host name or an IP address."))
        return host

    def clean_tsig_key_name(self) -> str:
        key = self.cleaned_data["tsig_key_name"].strip().lower()
        if not services.ZONE_RE.match(key.rstrip(".")):
            raise ValidationError(_("A key name looks like a domain name, e.g. ddns-key."))
        return key

    def clean_tsig_secret(self) -> str:
        secret = self.cleaned_data["tsig_secret"].strip()
        if secret:
            try:
                base64.b64decode(secret, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError(_("The secret must be base64.")) from None
        return secret
