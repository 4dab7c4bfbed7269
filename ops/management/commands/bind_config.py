"""`manage.py bind_config`: the named.conf this service needs, for a primary or a secondary."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops import bind


class Command(BaseCommand):
    help = (
        "Print (or write) the BIND configuration for the zones the service manages: the "
        "primary the service updates, or a secondary that follows it by NOTIFY/IXFR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, choices=["primary", "secondary"])
        parser.add_argument(
            "--zone", action="append", required=True, help="zone name; repeat or comma-separate"
        )
        parser.add_argument("--key-name", default="ddns-key.", help="the service's update key")
        parser.add_argument("--key-file", type=Path, help="file holding its base64 secret")
        parser.add_argument("--algorithm", default="hmac-sha256", choices=bind.ALGORITHMS)
        parser.add_argument("--transfer-key-name", default="ddns-transfer.")
        parser.add_argument(
            "--transfer-key-file", type=Path, help="secret the secondaries transfer with"
        )
        parser.add_argument(
            "--create-keys", action="store_true", help="make missing key files (random secrets)"
        )
        parser.add_argument(
            "--secondary", action="append", default=[], help="ADDRESS[:PORT] to notify"
        )
        parser.add_argument(
            "--primary", action="append", default=[], help="ADDRESS[:PORT] to transfer from"
        )
        parser.add_argument(
            "--directory", type=Path, help="named's working directory (with --full)"
        )
        parser.add_argument("--listen", help="ADDRESS[:PORT] named listens on (with --full)")
        parser.add_argument(
            "--full", action="store_true", help="a whole named.conf, options block included"
        )
        parser.add_argument("--output", type=Path, help="write here instead of printing")
        parser.add_argument(
            "--write-zone-files",
            action="store_true",
            help="primary: create missing zone files in --directory (existing ones stay)",
        )

    def handle(self, *args, **options) -> None:
        try:
            text = self.configuration(options)
        except bind.BadBindValue as exc:
            raise CommandError(str(exc)) from None
        if options["output"]:
            write_atomically(options["output"], text)
        else:
            self.stdout.write(text, ending="")

    def configuration(self, options: dict) -> str:
        zones = [bind.zone_name(z) for item in options["zone"] for z in item.split(",") if z]
        if not zones:
            raise bind.BadBindValue("give at least one --zone")
        if options["role"] == "primary":
            body = self.primary(zones, options)
        else:
            body = self.secondary(zones, options)
        if not options["full"]:
            return body
        return self.options_block(options) + "\n" + body

    def primary(self, zones: list[str], options: dict) -> str:
        if options["primary"]:
            raise bind.BadBindValue("--primary is for --role secondary")
        update_key = self.key(options["key_name"], options["key_file"], "--key-file", options)
        transfer_key = None
        if options["transfer_key_file"]:
            transfer_key = self.key(
                options["transfer_key_name"], options["transfer_key_file"], "", options
            )
        secondaries = [bind.Peer.parse(text) for text in options["secondary"]]
        if options["write_zone_files"]:
            self.write_zone_files(zones, options)
        return bind.primary_config(
            zones, update_key=update_key, transfer_key=transfer_key, secondaries=secondaries
        )

    def secondary(self, zones: list[str], options: dict) -> str:
        if options["secondary"] or options["write_zone_files"]:
            raise bind.BadBindValue("--secondary and --write-zone-files are for --role primary")
        if not options["primary"]:
            raise bind.BadBindValue("a secondary needs --primary ADDRESS[:PORT]")
        transfer_key = self.key(
            options["transfer_key_name"],
            options["transfer_key_file"],
            "--transfer-key-file",
            options,
        )
        primaries = [bind.Peer.parse(text) for text in options["primary"]]
        return bind.secondary_config(zones, transfer_key=transfer_key, primaries=primaries)

    def key(self, name: str, path: Path | None, flag: str, options: dict) -> bind.TsigKey:
        if path is None:
            raise bind.BadBindValue(f"--role {options['role']} needs {flag}")
        secret = bind.secret_from_file(path, create=options["create_keys"])
        return bind.TsigKey(name, secret, options["algorithm"])

    def options_block(self, options: dict) -> str:
        if not options["directory"] or not options["listen"]:
            raise bind.BadBindValue("--full needs --directory and --listen")
        return bind.options_block(options["directory"], bind.Peer.parse(options["listen"]))

    def write_zone_files(self, zones: list[str], options: dict) -> None:
        if not options["directory"] or not options["listen"]:
            raise bind.BadBindValue("--write-zone-files needs --directory and --listen")
        address = bind.Peer.parse(options["listen"]).address
        for zone in zones:
            path = options["directory"] / f"{zone}.zone"
            if not path.exists():  # BIND owns it, and its journal, once it has started
                write_atomically(path, bind.zone_file(zone, address))


def write_atomically(path: Path, text: str) -> None:
    """Readers (named starting beside us) see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temporary, 0o640)  # the configuration holds key secrets
    os.replace(temporary, path)
