"""Fixtures for the Slack emulator's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from cobot.sandbox import SlackEmulator


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    """A running emulator with a small workspace: three people, two channels."""
    with SlackEmulator() as emu:
        emu.add_user("U0ALICE", name="alice", real_name="Alice Doe", tz="Europe/London")
        emu.add_user("U0BOB", name="bob", real_name="Bob Roe", tz="America/Los_Angeles")
        emu.add_user("U0GONE", name="gone", deleted=True)
        emu.add_channel("C0GENERAL", name="general", members=["U0ALICE", "U0BOB"])
        emu.add_channel("C0QUIET", name="quiet", members=["U0ALICE"], bot_member=False)
        emu.add_channel(
            "G0SECRET", name="secret", members=["U0ALICE"], is_private=True, bot_member=False
        )
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    """A real slack_sdk WebClient pointed at the emulator, with the bot token."""
    return WebClient(base_url=emulator.api_url, token=emulator.bot_token, timeout=5)
