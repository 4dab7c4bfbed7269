from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from domains import dyndns2, selectors, services
from domains.models import Host


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
