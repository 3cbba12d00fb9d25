"""The Slack client: one rate gate per process (a 429 on one thread holds every thread back
for that method), and no retry that could post a message twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from cobot.sandbox.webapi import SlackEmulator
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import SlackSendError
from cobot.slack.web import RateGate
from cobot.slack.web import SafeConnectionRetryHandler
from cobot.slack.web import SlackMessenger
from cobot.slack.web import make_web_client
from cobot.slack.web import team_key

CHANNELS = [f"C{n:03d}" for n in range(6)]


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(bot_token="xoxb-gate", channel_rate_per_second=0) as running:
        for channel in CHANNELS:
            running.add_channel(channel, name=channel.lower(), members=["UA"])
        yield running


def test_a_429_holds_back_every_thread_for_that_method(emulator: SlackEmulator) -> None:
    gate = RateGate()
    emulator.rate_limit_next("chat.postMessage", retry_after=1)
    errors: list[BaseException] = []
    start = threading.Barrier(len(CHANNELS))

    def post_three(channel: str) -> None:
        # each thread its own client, as Bolt gives each request one; one gate for all
        client = make_web_client(token="xoxb-gate", base_url=emulator.api_url, gate=gate)
        start.wait()
        try:
            for n in range(3):
                client.chat_postMessage(channel=channel, text=f"{channel} {n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post_three, args=(c,)) for c in CHANNELS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    calls = emulator.calls_to("chat.postMessage")
    [limited] = [c for c in calls if c.status == 429]
    # calls already on the wire when the 429 was answered may land just after it; after
    # that, nobody calls chat.postMessage until Retry-After has passed
    inside = [c for c in calls if limited.at + 0.1 < c.at < limited.at + 1.0]
    assert inside == []
    # and every message went out exactly once
    texts = sorted(m["text"] for c in CHANNELS for m in emulator.messages(c))
    assert texts == sorted(f"{c} {n}" for c in CHANNELS for n in range(3))


def test_a_hold_on_one_method_leaves_other_methods_alone() -> None:
    now = [100.0]
    gate = RateGate(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    team = team_key("xoxb-gate")
    gate.hold("chat.postMessage", team, 2.0)
    gate.wait("views.publish", team)
    assert now[0] == 100.0
    gate.wait("chat.postMessage", team, "C1")
    assert now[0] >= 102.0
    assert gate.held_for("chat.postMessage", team) == 0


def test_tiers_pace_a_method_and_chat_post_message_paces_each_channel() -> None:
    now = [0.0]
    gate = RateGate(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    team = team_key("xoxb-gate")
    # chat.update is Tier 3, 50 a minute: a burst of a minute's worth, then 1.2 s apart
    for _ in range(50):
        gate.wait("chat.update", team)
    assert now[0] == 0.0
    gate.wait("chat.update", team)
    assert now[0] == pytest.approx(1.2)
    # chat.postMessage: about 1 a second per channel after a short burst; channels apart
    now[0] = 10.0
    for _ in range(3):
        gate.wait("chat.postMessage", team, "C1")
    gate.wait("chat.postMessage", team, "C2")
    assert now[0] == 10.0
    gate.wait("chat.postMessage", team, "C1")
    assert now[0] == pytest.approx(11.0)


def test_a_scaled_gate_keeps_every_pace_that_many_times_faster() -> None:
    """The demo's simulated clock squeezes weeks into seconds: its gate keeps Slack's
    limits, scaled; a 429's Retry-After is still waited out as Slack said."""
    now = [0.0]
    gate = RateGate(
        clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s), scale=100.0
    )
    team = team_key("xoxb-gate")
    for _ in range(5000):  # Tier 3 (50 a minute) times 100: a minute's burst, then paced
        gate.wait("chat.update", team)
    assert now[0] == 0.0
    gate.wait("chat.update", team)
    assert now[0] == pytest.approx(0.012)
    for _ in range(4):  # the channel's burst of 3, then 100 a second
        gate.wait("chat.postMessage", team, "C1")
    assert now[0] == pytest.approx(0.022)
    gate.hold("views.publish", team, 2.0)
    gate.wait("views.publish", team)
    assert now[0] == pytest.approx(2.022)
    with pytest.raises(ValueError, match="positive"):
        RateGate(scale=0)


def test_tier_1_allows_a_small_burst_only() -> None:
    now = [0.0]
    gate = RateGate(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    team = team_key("xoxb-gate")
    for _ in range(3):
        gate.wait("apps.connections.open", team)
    assert now[0] == 0.0
    gate.wait("apps.connections.open", team)
    assert now[0] == pytest.approx(60.0)


def test_a_post_whose_answer_is_lost_is_not_retried_by_the_client() -> None:
    handler = SafeConnectionRetryHandler(max_retry_count=2)
    state = RetryState()

    def retries(method: str, error: Exception) -> bool:
        request = HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})
        return bool(handler.can_retry(state=state, request=request, error=error))

    # the connection dropped while waiting for Slack's answer: it may have posted
    assert not retries("chat.postMessage", RemoteDisconnected("closed"))
    assert not retries("chat.postMessage", ConnectionResetError("reset"))
    # never connected: nothing was posted, so retrying is safe
    assert retries("chat.postMessage", URLError("connection refused"))
    # idempotent methods keep their retries
    assert retries("views.publish", RemoteDisconnected("closed"))


def test_a_slow_answer_is_waited_for_within_the_client_timeout(emulator: SlackEmulator) -> None:
    emulator.slow_next("chat.postMessage", seconds=1.5)
    client = make_web_client(token="xoxb-gate", base_url=emulator.api_url)
    assert client.timeout >= 30  # Slack answers slower than 10 s are still heard
    messenger = SlackMessenger(client)
    posted = messenger.post("C000", OutgoingMessage(text="slow"))
    assert posted.channel == "C000"
    assert [m["text"] for m in emulator.messages("C000")] == ["slow"]
    # and a timeout is reported as a transient failure, not retried by the client
    quick = SlackMessenger(make_web_client(token="xoxb-gate", base_url=emulator.api_url, timeout=1))
    emulator.slow_next("chat.postMessage", seconds=2)
    with pytest.raises(SlackSendError) as failure:
        quick.post("C001", OutgoingMessage(text="lost answer"))
    assert failure.value.permanent is False
    time.sleep(1.5)
    assert (
        len([c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == "C001"]) == 1
    )


def test_after_a_429_the_method_is_paced_just_below_the_rate_that_drew_it() -> None:
    now = [0.0]
    gate = RateGate(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    team = team_key("xoxb-gate")
    for n in range(20):  # 20 posts in a second, to 20 channels: Slack's unpublished ceiling
        now[0] = n / 20
        gate.wait("chat.postMessage", team, f"C{n}")
    gate.hold("chat.postMessage", team, 1.0)
    started = now[0]
    for n in range(39):
        gate.wait("chat.postMessage", team, f"D{n}")
    # the hold, then 19 a second (95% of 20), not another burst into another 429
    assert now[0] - started == pytest.approx(1.0 + 38 / 19)
    # a minute without 429s and the learnt pace lapses
    now[0] += 61 + 2.0
    before = now[0]
    for n in range(10):
        gate.wait("chat.postMessage", team, f"E{n}")
    assert now[0] == before
