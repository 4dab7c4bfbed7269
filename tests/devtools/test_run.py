"""`make run` says which part did not start, with its output, instead of claiming success."""

import sys

import pytest

from devtools import named, run


@pytest.fixture(autouse=True)
def _free_web_port(monkeypatch):
    monkeypatch.setattr(run, "WEB", f"127.0.0.1:{named.free_port()}")


def test_a_web_server_that_exits_is_reported_with_its_output():
    part = run.Part("web server", [sys.executable, "-c", "print('port is taken'); exit(3)"])
    with pytest.raises(run.PartDidNotStart, match="exited with status 3") as failure:
        run.wait_for_web(part)
    assert "port is taken" in str(failure.value)


def test_a_web_server_that_never_listens_is_reported(monkeypatch):
    monkeypatch.setattr(run, "START_TIMEOUT", 1.0)
    sleeper = "import time; print('starting'); time.sleep(30)"
    part = run.Part("web server", [sys.executable, "-c", sleeper])
    try:
        with pytest.raises(run.PartDidNotStart, match="did not answer") as failure:
            run.wait_for_web(part)
        assert "starting" in str(failure.value)
    finally:
        named.stop(part.process)
