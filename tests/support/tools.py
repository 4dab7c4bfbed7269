"""Real tools the tests run: found, or the test fails in CI and skips elsewhere."""

import os
import shutil

import pytest


def require_tool(command: str, package: str) -> str:
    """Path of a tool; in CI a missing tool fails the test, elsewhere it skips it."""
    found = shutil.which(command) or shutil.which(f"/usr/sbin/{command}")
    if found:
        return found
    message = f"{command} is not installed: apt-get install {package}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
