import ipaddress

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        checks.register(metrics_networks_check)


def metrics_networks_check(**_: object) -> list[checks.CheckMessage]:
    """A mistyped network would refuse every scrape: say so at start instead."""
    errors: list[checks.CheckMessage] = []
    for network in settings.DDNS_METRICS_ALLOWED_NETWORKS:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"DDNS_METRICS_ALLOWED_NETWORKS: {network!r} is not a network",
                    hint="e.g. 127.0.0.0/8 or 2001:db8::/48",
                    id="ops.E001",
                )
            )
    return errors
