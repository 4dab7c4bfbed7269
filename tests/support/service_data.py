"""Data for the service's own processes: a zone on the test's named, hosts, a token and a
logged-in session, created by `manage.py shell` in the service's environment (its
database may be one the test process cannot reach through Django)."""

import json
from dataclasses import dataclass

from tests.support.bind import KEY_NAME, ZONE, Bind, unique_label
from tests.support.processes import manage

SEED = """
import json, sys
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from accounts.tokens import token_create
from domains import services
given = json.load(sys.stdin)
user = get_user_model().objects.create_user("alice", "alice@example.org", "alice-pw-1234")
domain = services.domain_add(name=given["zone"], nameserver_host="127.0.0.1",
    nameserver_port=given["port"], tsig_key_name=given["key"], tsig_secret=given["secret"],
    public=True)
hosts = {}
for label in given["labels"]:
    host, secret = services.host_register(domain=domain, label=label, owner=user)
    hosts[host.fqdn] = secret
_token, raw = token_create(owner=user, name="outage test")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"hosts": hosts, "token": raw, "session": session.session_key}))
"""


@dataclass(frozen=True)
class ServiceData:
    hosts: dict[str, str]  # fqdn -> update secret
    token: str  # a full-scope API token of the hosts' owner
    session: str  # the owner's session key (cookie "sessionid")


def seed(env: dict[str, str], bind: Bind, count: int) -> ServiceData:
    given = {
        "zone": ZONE,
        "port": bind.port,
        "key": KEY_NAME,
        "secret": bind.secret,
        "labels": [unique_label("fault") for _ in range(count)],
    }
    output = manage(env, "shell", "-c", SEED, stdin=json.dumps(given))
    return ServiceData(**json.loads(output.strip().splitlines()[-1]))
