"""The house rules of docs/architecture.md, checked on the source itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = {"domains", "accounts"}
FEATURES = {"dyndns2", "portal", "failover", "api", "acme", "ops"}
PROJECT = {"ddns"}
APPS = CORE | FEATURES | {"devtools"}


def sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def top_packages(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


def existing(packages: set[str]) -> list[str]:
    return sorted(p for p in packages if (ROOT / p).is_dir())


@pytest.mark.parametrize("package", existing(FEATURES))
def test_a_feature_app_imports_no_other_feature_app(package):
    for path in sources(package):
        others = top_packages(path) & (FEATURES - {package} | {"devtools"})
        assert not others, f"{path.relative_to(ROOT)} imports {others}"


@pytest.mark.parametrize("package", sorted(CORE))
def test_the_core_imports_no_feature_app(package):
    for path in sources(package):
        found = top_packages(path) & (FEATURES | {"devtools"})
        assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_only_domains_dns_imports_dnspython():
    for package in [*existing(APPS | PROJECT), "bench", "tests"]:
        for path in sources(package):
            if path == ROOT / "domains" / "dns.py":
                continue
            assert "dns" not in top_packages(path), f"{path.relative_to(ROOT)} imports dnspython"


def test_no_feature_app_uses_the_dns_client_directly():
    for package in [*existing(FEATURES), "accounts"]:
        for path in sources(package):
            assert "domains.dns" not in imported_modules(path), (
                f"{path.relative_to(ROOT)} imports domains.dns; call a service instead"
            )


def test_the_project_package_holds_only_settings_and_their_wiring():
    # logs.py and cache.py are named by LOGGING and CACHES: wiring, not features.
    names = {path.name for path in (ROOT / "ddns").glob("*.py")}
    wiring = {"settings.py", "env.py", "urls.py", "celery.py", "wsgi.py", "logs.py", "cache.py"}
    assert names <= {"__init__.py"} | wiring
