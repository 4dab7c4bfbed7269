import os

from django.core.management.base import BaseCommand, CommandError

from domains import services

OLD_KEY_VARIABLE = "DDNS_OLD_ENCRYPTION_KEY"


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored zone TSIG secret under the current DDNS_ENCRYPTION_KEY. "
        f"The previous key is read from ${OLD_KEY_VARIABLE} or --old-key-file (not from the "
        "command line, where other users and the shell history would see it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--old-key-file", help="file holding the previous key")

    def handle(self, *args, **options):
        old_key = self._old_key(options["old_key_file"])
        rotated, unreadable = services.encryption_key_rotate(old_key=old_key)
        self.stdout.write(f"{rotated} zone secrets re-encrypted with the current key")
        if unreadable:
            raise CommandError(
                "neither key decrypts the secret of: "
                + ", ".join(unreadable)
                + " (set it again in the admin)"
            )

    def _old_key(self, path: str | None) -> str:
        if path:
            try:
                with open(path) as handle:
                    key = handle.read().strip()
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        else:
            key = os.environ.get(OLD_KEY_VARIABLE, "")
        if not key:
            raise CommandError(f"give the previous key in ${OLD_KEY_VARIABLE} or --old-key-file")
        return key
