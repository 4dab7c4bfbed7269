"""`manage.py bind_config`: what it writes is what named accepts, and bad values get a
precise error instead of a broken configuration."""

import io
import re
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.tools import require_tool


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("bind_config", *arguments, stdout=out)
    return out.getvalue()


def primary(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--role=primary",
        "--zone=dyn.example.org,hosts.example.org",
        f"--key-file={tmp_path / 'keys' / 'update'}",
        f"--transfer-key-file={tmp_path / 'keys' / 'transfer'}",
        "--create-keys",
        *extra,
    ]


def secondary(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--role=secondary",
        "--zone=dyn.example.org",
        f"--transfer-key-file={tmp_path / 'keys' / 'transfer'}",
        "--primary=192.0.2.53",
        *extra,
    ]


def checkconf(conf: Path) -> str:
    checker = require_tool("named-checkconf", "bind9")
    result = subprocess.run([checker, "-z", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_whole_primary_configuration_loads_in_named(tmp_path):
    conf = tmp_path / "primary" / "named.conf"
    full = ["--full", f"--directory={tmp_path / 'primary'}", "--listen=127.0.0.1:5353"]

    run(
        *primary(
            tmp_path, *full, "--write-zone-files", "--secondary=192.0.2.54", f"--output={conf}"
        )
    )

    loaded = checkconf(conf)
    assert "zone dyn.example.org/IN: loaded serial 1" in loaded
    assert "zone hosts.example.org/IN: loaded serial 1" in loaded


def test_a_whole_secondary_configuration_is_valid_for_named(tmp_path):
    run(*primary(tmp_path))  # makes the transfer key the secondary shares
    conf = tmp_path / "secondary" / "named.conf"
    full = ["--full", f"--directory={tmp_path / 'secondary'}", "--listen=[2001:db8::53]:53"]

    run(*secondary(tmp_path, *full, f"--output={conf}"))

    checkconf(conf)
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640  # it holds a key secret


def test_the_primary_lets_only_the_service_update_and_notifies_the_secondaries(tmp_path):
    text = run(*primary(tmp_path, "--secondary=192.0.2.54", "--secondary=[2001:db8::54]:5300"))

    assert 'update-policy { grant "ddns-key." zonesub ANY; };' in text
    assert 'allow-transfer { key "ddns-key."; key "ddns-transfer."; };' in text
    assert "also-notify { 192.0.2.54 port 53; 2001:db8::54 port 5300; };" in text
    assert "ixfr-from-differences yes;" in text
    assert "options {" not in text  # a snippet to include, unless --full


def test_the_secondary_takes_no_updates_and_holds_only_the_transfer_key(tmp_path):
    run(*primary(tmp_path))

    text = run(*secondary(tmp_path, "--primary=192.0.2.55:5300"))

    assert 'primaries { 192.0.2.53 port 53 key "ddns-transfer."; ' in text
    assert "192.0.2.55 port 5300" in text
    assert "allow-update-forwarding { none; };" in text
    assert (tmp_path / "keys" / "update").read_text().strip() not in text
    assert "ddns-key." not in text


def test_key_files_are_made_once_private_and_then_reused(tmp_path):
    first = run(*primary(tmp_path))
    key_file = tmp_path / "keys" / "update"

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert run(*primary(tmp_path)) == first


def test_zone_files_that_exist_are_left_to_bind(tmp_path):
    directory = tmp_path / "primary"
    directory.mkdir()
    (directory / "dyn.example.org.zone").write_text("; BIND's own, with the journal beside it\n")

    run(*primary(tmp_path, f"--directory={directory}", "--listen=192.0.2.53", "--write-zone-files"))

    assert (directory / "dyn.example.org.zone").read_text().startswith("; BIND's own")
    assert "ns  IN A    192.0.2.53" in (directory / "hosts.example.org.zone").read_text()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (['--zone=dyn.example.org";'], "is not a valid zone name"),
        (["--secondary=ns2.example.org"], "'ns2.example.org' is not an IP address"),
        (["--secondary=192.0.2.54:70000"], "port 70000 is not between 1 and 65535"),
        (["--secondary=192.0.2.54:dns"], "port 'dns' in '192.0.2.54:dns' is not a number"),
        (["--primary=192.0.2.53"], "--primary is for --role secondary"),
        (["--full"], "--full needs --directory and --listen"),
        (["--key-name=bad key"], "key name 'bad key' must look like a domain name"),
    ],
)
def test_bad_values_for_a_primary_are_named(tmp_path, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*primary(tmp_path), *arguments)


def test_a_missing_key_file_is_not_invented_without_create_keys(tmp_path):
    with pytest.raises(CommandError, match=r"no key file .*transfer \(--create-keys makes one\)"):
        run(*secondary(tmp_path))


def test_a_key_file_that_is_not_base64_is_refused(tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "transfer").write_text("not a secret!\n")

    with pytest.raises(
        CommandError, match=re.escape("the secret of key ddns-transfer. is not base64")
    ):
        run(*secondary(tmp_path))


def test_a_secondary_needs_its_primary(tmp_path):
    run(*primary(tmp_path))
    arguments = [a for a in secondary(tmp_path) if not a.startswith("--primary")]

    with pytest.raises(CommandError, match="a secondary needs --primary ADDRESS"):
        run(*arguments)
