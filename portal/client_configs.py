"""Ready-to-paste update configurations for common dyndns2 clients."""

from urllib.parse import urlsplit


def client_configs(fqdn: str, base_url: str) -> list[tuple[str, str]]:
    """(client name, configuration text) pairs; SECRET stands for the host's secret."""
    parts = urlsplit(base_url)
    server = parts.netloc
    ssl = "yes" if parts.scheme == "https" else "no"
    update_url = f"{base_url}/nic/update"
    return [
        ("curl", f'curl -u {fqdn}:SECRET "{update_url}?myip=192.0.2.10"'),
        ("Generic update URL", f"{parts.scheme}://{fqdn}:SECRET@{server}/nic/update?myip=<ipaddr>"),
        (
            "ddclient",
            f"protocol=dyndns2\nuse=web\nweb={base_url}/myip\nssl={ssl}\n"
            f"server={server}\nlogin={fqdn}\npassword='SECRET'\n{fqdn}",
        ),
        (
            "inadyn",
            f"custom ddns {{\n    ssl = {'true' if ssl == 'yes' else 'false'}\n"
            f"    username = {fqdn}\n    password = SECRET\n    ddns-server = {server}\n"
            f'    ddns-path = "/nic/update?hostname=%h&myip=%i"\n'
            f"    hostname = {fqdn}\n}}",
        ),
        (
            "Fritz!Box",
            f"Update-URL: {update_url}?hostname=<domain>&myip=<ipaddr>,<ip6addr>\n"
            f"Domainname: {fqdn}\nBenutzername: {fqdn}\nKennwort: SECRET",
        ),
        (
            "OpenWrt (ddns-scripts)",
            f"option service_name 'custom'\n"
            f"option update_url '{parts.scheme}://[USERNAME]:[PASSWORD]@"
            f"{server}/nic/update?hostname=[DOMAIN]&myip=[IP]'\n"
            f"option domain '{fqdn}'\noption username '{fqdn}'\n"
            f"option password 'SECRET'",
        ),
        (
            "pfSense (Custom)",
            f"Update URL: {update_url}?hostname={fqdn}&myip=%IP%\n"
            f"Username: {fqdn}\nPassword: SECRET\n"
            f"Result Match: good|nochg",
        ),
    ]
