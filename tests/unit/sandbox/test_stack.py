"""What LocalStack gives a caller that needs the same outcome however busy the machine is."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cobot.sandbox import SlackClient
from cobot.sandbox.stack import ListenerWork

from .conftest import Captured


def _timed_out(caplog: pytest.LogCaptureFixture) -> bool:
    """Whether ListenerWork.wait gave up (it says so in a warning) instead of returning."""
    return any("still at work" in r.getMessage() for r in caplog.records)


def test_listener_work_waits_for_what_runs_after_the_ack(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    inner = ThreadPoolExecutor(max_workers=2)
    work = ListenerWork(inner)
    release = threading.Event()
    finished: list[str] = []

    def listener() -> None:
        release.wait(5)
        time.sleep(0.05)
        finished.append("done")

    future = work.submit(listener)
    waiter = threading.Thread(target=work.wait)
    waiter.start()
    time.sleep(0.05)
    assert waiter.is_alive()  # still at work: wait() has not returned
    release.set()
    waiter.join(5)
    assert not waiter.is_alive()
    assert finished == ["done"]
    assert future.result() is None
    assert not _timed_out(caplog)
    work.wait(timeout=0.1)  # nothing under way: returns at once, not by timing out
    assert not _timed_out(caplog)
    work.shutdown()


def test_listener_work_counts_a_listener_that_raises(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    work = ListenerWork(ThreadPoolExecutor(max_workers=1))

    def broken() -> None:
        raise RuntimeError("a listener failed")

    future = work.submit(broken)
    work.wait(timeout=2)
    # counted down although it raised: wait() returned, it did not give up after 2 s
    assert not _timed_out(caplog)
    assert isinstance(future.exception(), RuntimeError)
    work.shutdown()


def test_the_client_settles_after_each_interaction(capture: tuple[str, Captured]) -> None:
    url, _captured = capture
    settled: list[int] = []
    client = SlackClient(app_url=url, signing_secret="s", settle=lambda: settled.append(1))
    client.slash_command(user_id="U1", text="help")
    client.block_actions(user_id="U1", actions=[{"action_id": "a", "value": "v"}])
    assert len(settled) == 2
    client.post("{}", content_type="application/json")  # a raw request is not an interaction
    assert len(settled) == 2
