"""End-to-end fixtures: the real app, over HTTP or Socket Mode, against the emulator."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from cobot.logs import BODY_LOGGERS
from cobot.logs import configure_logging
from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.stack import APP_TOKEN
from cobot.sandbox.stack import BOT_TOKEN
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator

# Slack's limits run this many times faster on both sides (cobot's rate gate and the
# emulator, as in `cobot demo`): still enforced, but a test that sends a week of DMs to one
# person does not wait a wall-clock second per message. Tests of the limits themselves build
# their own emulator at Slack's real rates (tests/integration/test_rate_limits.py, the 429
# tests in test_deliveries.py and test_metrics.py).
RATE_SCALE = 50.0


def scaled_emulator() -> SlackEmulator:
    """An emulator whose limits run RATE_SCALE times faster (pair with a LocalStack given
    rate_limit_scale=RATE_SCALE)."""
    return SlackEmulator(
        bot_token=BOT_TOKEN,
        app_token=APP_TOKEN,
        rate_limit_scale=RATE_SCALE,
        channel_rate_per_second=RATE_SCALE,
    )


@pytest.fixture
def stack(database_url: str) -> Iterator[LocalStack]:
    with LocalStack(
        database_url=database_url,
        mode="http",
        emulator=scaled_emulator(),
        rate_limit_scale=RATE_SCALE,
    ) as running:
        running.emulator.add_user("UCOORD", name="cora", tz="Europe/London")
        running.emulator.add_user("UPART", name="pat", tz="America/New_York")
        yield running


@pytest.fixture
def socket_stack(database_url: str) -> Iterator[LocalStack]:
    with LocalStack(database_url=database_url, mode="socket") as running:
        running.emulator.add_user("UCOORD", name="cora")
        yield running


@pytest.fixture
def slack(stack: LocalStack) -> SlackClient:
    assert stack.client is not None
    return stack.client


@pytest.fixture
def emulator(stack: LocalStack) -> SlackEmulator:
    return stack.emulator


@pytest.fixture
def driver(slack: SlackClient, emulator: SlackEmulator) -> Driver:
    """Acts as anyone in the workspace: commands, buttons, modals, DMs (cobot/sandbox/people)."""
    return Driver(slack, emulator)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """What `cobot run` logs with COBOT_LOG_FORMAT=json COBOT_LOG_LEVEL=DEBUG."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "apscheduler", *BODY_LOGGERS)}
    out = io.StringIO()
    handler = configure_logging("DEBUG", fmt="json", stream=out)
    yield out
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
