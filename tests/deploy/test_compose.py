"""docker-compose.yml, the Dockerfile and .env.example, checked without Docker: what
`docker compose config` would refuse, and that what they wire together exists (services,
volumes, modules, commands, settings, addresses) and agrees across the three files."""

import ast
import importlib
import ipaddress
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command, get_commands

from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
CONTAINER_SECTION = "=== Read by the containers of docker-compose.yml only"
SOURCES = ["ddns", "domains", "accounts", "dyndns2", "portal", "failover", "api", "acme", "ops"]
ENV_READERS = {"env_str", "env_bool", "env_int", "env_float", "env_list"}
ENV_FUNCTIONS = {"os.environ.get", "os.getenv"}
HEALTHCHECK_DURATION = re.compile(r"^(\d+(ms|s|m|h))+$")
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


# --- What the files say ----------------------------------------------------------------


def example_variables(section: str = "service") -> dict[str, str]:
    """NAME -> value, for set (NAME=v) and documented (# NAME=v) lines of one section."""
    service_part, _, container_part = ENV_EXAMPLE.partition(CONTAINER_SECTION)
    text = service_part if section == "service" else container_part
    found = re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE)
    return dict(found)


def example_value(name: str) -> str:
    values = {**example_variables("service"), **example_variables("containers")}
    return values[name]


def variables_read_by_the_service() -> set[str]:
    """Every NAME in env_*("NAME"), os.environ.get("NAME"), os.environ["NAME"] of the code."""
    paths = [ROOT / "gunicorn.conf.py"]
    paths += [p for package in SOURCES for p in (ROOT / package).rglob("*.py")]
    names = set()
    for path in paths:
        if "migrations" not in path.parts:
            names |= _environment_names(ast.parse(path.read_text()))
    return names


def _environment_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and _is_text(node.args[0]):
            function = ast.unparse(node.func)
            if function in ENV_READERS or function in ENV_FUNCTIONS:
                names.add(node.args[0].value)  # type: ignore[attr-defined]
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and _is_text(node.slice)
        ):
            names.add(node.slice.value)  # type: ignore[attr-defined]
    return names


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def command_words(service: str) -> list[str]:
    command = SERVICES[service].get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def bind_config_arguments(service: str) -> list[str]:
    """The `manage.py bind_config` arguments a BIND container runs, zones filled in."""
    shell = command_words(service)[-1]
    generate, _, run_named = shell.partition("&&")
    zones = example_value("BIND_ZONES")
    words = shlex.split(generate.replace("$${BIND_ZONES}", zones))
    assert words[:3] == ["python", "manage.py", "bind_config"], words
    assert run_named.split()[:2] == ["exec", "named"], run_named
    return words[3:]


def option(arguments: list[str], name: str) -> list[str]:
    return [arguments[i + 1] for i, word in enumerate(arguments) if word == name]


def dockerfile_stages() -> dict[str, str]:
    """Stage name -> its instructions."""
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", DOCKERFILE, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


# --- Compose: what `docker compose config` checks --------------------------------------


def test_the_file_has_only_top_level_keys_compose_knows():
    known = {"name", "services", "networks", "volumes", "secrets", "configs"}
    assert {key for key in COMPOSE if not key.startswith("x-")} <= known


def test_every_service_has_an_image_or_a_build_of_a_dockerfile_stage():
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (ROOT / service["build"]["context"] / "Dockerfile").exists()
            assert service["build"]["target"] in dockerfile_stages(), name


def test_dependencies_exist_and_their_conditions_can_be_met():
    for name, service in SERVICES.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"
            elif rule["condition"] == "service_completed_successfully":
                assert SERVICES[dependency].get("restart") == "no", dependency
            else:
                assert rule["condition"] == "service_started"


def test_named_volumes_are_declared_and_every_declared_volume_is_used():
    used = set()
    for service in SERVICES.values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used == set(COMPOSE["volumes"])


def test_env_files_are_the_documented_example_and_never_go_into_the_image():
    for name, service in SERVICES.items():
        if "env_file" in service:
            assert service["env_file"] == ".env", name
    assert (ROOT / ".env.example").exists()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_published_host_ports_are_unique():
    published = []
    for service in SERVICES.values():
        for mapping in service.get("ports", []):
            ports, _, protocol = mapping.partition("/")
            host = ports.rsplit(":", 1)[0]
            published.append((host, protocol or "tcp"))
    assert len(published) == len(set(published)), published


def test_healthchecks_are_well_formed():
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        if not check:
            continue
        kind, *words = check["test"]
        assert kind in ("CMD", "CMD-SHELL"), name
        assert words and all(isinstance(word, str) for word in words), name
        if kind == "CMD-SHELL":
            assert len(words) == 1, f"{name}: CMD-SHELL takes one command line"
        for key in ("interval", "timeout", "start_period"):
            if key in check:
                assert HEALTHCHECK_DURATION.match(check[key]), f"{name} {key}"
        assert isinstance(check.get("retries", 3), int)


def test_every_network_used_is_declared_and_static_addresses_are_inside_it():
    subnet = ipaddress.ip_network(COMPOSE["networks"]["ddns"]["ipam"]["config"][0]["subnet"])
    addresses = []
    for name, service in SERVICES.items():
        networks = service.get("networks", {})
        assert set(networks) <= set(COMPOSE["networks"]), name
        if isinstance(networks, dict):
            for settings_of_network in networks.values():
                address = ipaddress.ip_address(settings_of_network["ipv4_address"])
                assert address in subnet and address != next(subnet.hosts()), name
                addresses.append(address)
    assert len(addresses) == len(set(addresses))


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0
    if shutil.which("docker")
    else True,
    reason="the docker compose plugin is not installed here",
)
def test_docker_compose_config_accepts_the_file(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# --- What they wire together -----------------------------------------------------------


def test_every_variable_the_service_reads_is_documented_in_env_example():
    missing = variables_read_by_the_service() - set(example_variables("service"))
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_every_service_variable_in_env_example_is_read_by_the_service():
    unknown = set(example_variables("service")) - variables_read_by_the_service()
    assert not unknown, f"nothing reads {sorted(unknown)}"


def test_the_containers_variables_are_used_by_the_containers():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    for name in example_variables("containers"):
        assert name in POSTGRES_IMAGE_VARIABLES or name in compose_text, name


def test_the_database_url_is_the_postgres_container_with_its_user_and_database():
    url = urlsplit(example_value("DATABASE_URL"))

    assert url.hostname in SERVICES and SERVICES[url.hostname]["image"].startswith("postgres:")
    assert url.username == example_value("POSTGRES_USER")
    assert url.password == example_value("POSTGRES_PASSWORD")
    assert url.path.lstrip("/") == example_value("POSTGRES_DB")


def test_broker_and_cache_are_the_redis_container_in_different_databases():
    broker = urlsplit(example_value("CELERY_BROKER_URL"))
    cache = urlsplit(example_value("CACHE_URL"))

    assert broker.hostname == cache.hostname == "redis" and "redis" in SERVICES
    assert broker.path != cache.path


def test_the_app_commands_name_modules_files_and_commands_that_exist():
    assert command_words("web") == ["gunicorn", "-c", "gunicorn.conf.py", "ddns.wsgi"]
    assert (ROOT / "gunicorn.conf.py").exists()
    assert callable(importlib.import_module("ddns.wsgi").application)
    celery_app = importlib.import_module("ddns.celery").app
    for name in ("worker", "beat"):
        assert command_words(name)[:4] == ["celery", "-A", "ddns", name]
    assert celery_app.main == "ddns"
    run_by_python = [command_words(name) for name in SERVICES]
    manage_commands = {words[2] for words in run_by_python if words[:2] == ["python", "manage.py"]}
    assert manage_commands | {"bind_config"} <= set(get_commands()), manage_commands


def test_the_worker_takes_the_default_queue_and_each_checker_location():
    words = command_words("worker")
    queues = set(words[words.index("-Q") + 1].split(","))

    assert queues == {"celery"} | {f"checks.{name}" for name in settings.DDNS_CHECK_LOCATIONS}


def test_the_web_healthcheck_asks_healthz_as_a_permitted_host_on_the_bound_port():
    probe = SERVICES["web"]["healthcheck"]["test"][-1]
    url = urlsplit(re.search(r"'(http://[^']+)'", probe).group(1))
    host = re.search(r"'Host': '([^']+)'", probe).group(1)

    assert url.path == "/healthz"
    assert host in example_value("DJANGO_ALLOWED_HOSTS").split(",")
    assert example_value("DDNS_WEB_BIND") == f"0.0.0.0:{url.port}"
    assert any(mapping.endswith(f":{url.port}") for mapping in SERVICES["web"]["ports"])
    if example_value("DDNS_TLS") == "true":  # else the check would be redirected to HTTPS
        assert "'X-Forwarded-Proto': 'https'" in probe
        assert example_value("DDNS_TLS_PROXY") == "true"


def test_the_name_servers_find_each_other_at_their_static_addresses():
    primary, secondary = (
        bind_config_arguments("bind-primary"),
        bind_config_arguments("bind-secondary"),
    )
    primary_at = SERVICES["bind-primary"]["networks"]["ddns"]["ipv4_address"]
    secondary_at = SERVICES["bind-secondary"]["networks"]["ddns"]["ipv4_address"]

    assert option(primary, "--listen")[0].split(":")[0] == primary_at
    assert option(secondary, "--listen")[0].split(":")[0] == secondary_at
    assert option(primary, "--secondary") == option(secondary, "--listen")
    assert option(secondary, "--primary") == option(primary, "--listen")
    assert option(primary, "--transfer-key-file") == option(secondary, "--transfer-key-file")
    published = {mapping.split(":")[-1] for mapping in SERVICES["bind-secondary"]["ports"]}
    assert published == {
        option(secondary, "--listen")[0].split(":")[1] + p for p in ("/udp", "/tcp")
    }


@pytest.mark.parametrize("service", ["bind-primary", "bind-secondary"])
def test_the_bind_containers_configurations_are_accepted_by_named(tmp_path, service):
    checker = require_tool("named-checkconf", "bind9")
    keys = tmp_path / "keys"
    call_command(  # the primary makes the key files the secondary reads
        "bind_config",
        *_relocated(bind_config_arguments("bind-primary"), tmp_path / "primary", keys),
    )
    directory = tmp_path / service.removeprefix("bind-")
    call_command("bind_config", *_relocated(bind_config_arguments(service), directory, keys))

    result = subprocess.run(
        [checker, "-z", str(directory / "named.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _relocated(arguments: list[str], directory: Path, keys: Path) -> list[str]:
    """The container's paths, moved into the test's directory."""
    return [
        word.replace("/var/lib/ddns-bind", str(directory)).replace("/var/lib/ddns-keys", str(keys))
        for word in arguments
    ]


# --- The Dockerfile --------------------------------------------------------------------


def test_the_image_is_python_3_11_slim_and_runs_as_an_unprivileged_user():
    assert re.search(r"^FROM python:3\.11-slim AS base$", DOCKERFILE, flags=re.MULTILINE)
    for stage in ("app", "bind"):
        users = re.findall(r"^USER\s+(\S+)", dockerfile_stages()[stage], flags=re.MULTILINE)
        assert users and users[-1] not in ("root", "0"), stage


def test_the_image_serves_what_the_web_container_runs():
    cmd = re.search(r"^CMD\s+(\[.*\])$", dockerfile_stages()["app"], flags=re.MULTILINE)

    assert yaml.safe_load(cmd.group(1)) == command_words("web")
    assert "collectstatic --noinput" in DOCKERFILE


def test_the_state_directories_the_containers_mount_belong_to_the_unprivileged_user():
    chowned = re.search(r"chown -R ddns:ddns ([^\n]+)", DOCKERFILE).group(1).split()
    for service in SERVICES.values():
        if "build" not in service:
            continue
        for mount in service.get("volumes", []):
            target = mount.split(":")[1]
            assert any(target.startswith(owned) for owned in chowned), mount
