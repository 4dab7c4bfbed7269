"""ha_group_create and ha_group_show, as operators script them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.support.bind import unique_label
from tests.support.groups import check

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_the_talks_vault_example_from_the_command_line(make_host, members, bind):
    generic, _ = make_host(label=unique_label("vault"))
    output = run(
        "ha_group_create", generic.fqdn, "--check", "http", "--port", str(members.port),
        "--interval", "1", "--down", "2", "--up", "1",
        "--member", "192.0.2.21=127.0.0.21", "--member", "192.0.2.22=127.0.0.22",
    )  # fmt: skip
    assert output[0] == f"group {generic.fqdn} created with 2 members"
    assert output[1] == "publishing 192.0.2.21"
    assert output[2].startswith("webhook secret (shown once): ")
    members.answer(0, 503)
    check(2)
    shown = "\n".join(run("ha_group_show", generic.fqdn))
    assert "answer: 192.0.2.22" in shown
    assert "HTTP 503 from 127.0.0.21" in shown
    assert bind.lookup(generic.fqdn) == ["192.0.2.22"]


def test_a_registered_host_makes_a_host_member(make_host, members, bind):
    generic, _ = make_host(label=unique_label("vault"))
    member, _ = make_host(label=unique_label("vault-infn"))
    output = run(
        "ha_group_create", generic.fqdn, "--check", "tcp", "--port", str(members.port),
        "--member", f"{member.fqdn}=127.0.0.21",
    )  # fmt: skip
    assert output[1] == "publishing nothing"  # the member has no address yet
    assert member.fqdn in "\n".join(run("ha_group_show", generic.fqdn))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch.dyn.test", "--check", "http", "--member", "192.0.2.1"], "no host"),
        (["{fqdn}", "--check", "tcp", "--member", "192.0.2.1"], "needs --port"),
        (["{fqdn}", "--check", "http", "--member", "bogus"], "neither an address"),
        (["{fqdn}", "--check", "http", "--member", "127.0.0.1"], "loopback"),
        (["{fqdn}", "--check", "http", "--interval", "0", "--member", "192.0.2.1"], "interval"),
    ],
)
def test_bad_arguments_are_explained(make_host, args, message):
    generic, _ = make_host()
    with pytest.raises(CommandError, match=message):
        run("ha_group_create", *[a.format(fqdn=generic.fqdn) for a in args])


def test_showing_an_unknown_group_fails(db):
    with pytest.raises(CommandError, match="no group"):
        run("ha_group_show", "nosuch.dyn.test")
