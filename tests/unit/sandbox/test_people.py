"""The driver people act through: what it sends Slack-shaped, and how it reads answers."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from cobot.sandbox.client import HttpResult
from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import DriveError
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ack_body
from cobot.sandbox.people import find_button
from cobot.sandbox.people import state
from cobot.sandbox.people import timed
from cobot.sandbox.people import typed
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import forms
from tests.unit.sandbox.conftest import Captured

MESSAGE = {
    "ts": "1700000000.000100",
    "text": "Share the agenda",
    "blocks": [
        {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"}},
        {
            "type": "actions",
            "block_id": "act",
            "elements": [
                {
                    "type": "button",
                    "action_id": "share",
                    "value": "42",
                    "text": {"type": "plain_text", "text": "Share"},
                }
            ],
        },
    ],
}


def sent_action(captured: Captured) -> dict[str, object]:
    fields = dict(parse_qsl(captured.requests[-1][1].decode()))
    payload = json.loads(fields["payload"])
    [action] = payload["actions"]
    assert isinstance(action, dict)
    return action


def test_a_press_sends_the_button_as_slack_does(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    url, captured = capture
    driver = Driver(SlackClient(app_url=url, signing_secret="s", emulator=emulator), emulator)
    driver.press("U0ALICE", MESSAGE, "share")
    action = sent_action(captured)
    assert action.pop("action_ts")  # the client stamps each action, as Slack does
    assert action == {
        "type": "button",
        "action_id": "share",
        "block_id": "act",
        "text": {"type": "plain_text", "text": "Share"},
        "value": "42",
    }
    # a made-up value (a stale or forged button) replaces the message's own
    driver.press("U0ALICE", MESSAGE, "share", value="999")
    assert sent_action(captured)["value"] == "999"


def test_a_button_that_is_not_there_is_not_pressed(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    url, captured = capture
    driver = Driver(SlackClient(app_url=url, signing_secret="s", emulator=emulator), emulator)
    with pytest.raises(DriveError, match="no button 'gone'"):
        driver.press("U0ALICE", MESSAGE, "gone")
    assert captured.requests == []


def test_a_non_200_answer_fails_the_action(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    url, captured = capture
    captured.status = 500
    driver = Driver(SlackClient(app_url=url, signing_secret="s", emulator=emulator), emulator)
    view = {"id": "V1", "blocks": [forms.text_input("a", "A", action_id="v")]}
    with pytest.raises(DriveError, match="HTTP 500"):
        driver.submit_modal("U0ALICE", view, state("v", a=typed("x")))


def test_a_submission_slack_could_not_send_is_not_sent(
    capture: tuple[str, Captured], emulator: SlackEmulator
) -> None:
    """Slack's state comes from the modal's own inputs: a test typing into a text box the
    modal no longer has (a picker now), or under another action id, fails in the driver."""
    url, captured = capture
    driver = Driver(SlackClient(app_url=url, signing_secret="s", emulator=emulator), emulator)
    view = {"id": "V1", "blocks": [forms.timepicker("at", "At", action_id="v")]}
    with pytest.raises(DriveError, match="a plain_text_input, not a timepicker"):
        driver.submit_modal("U0ALICE", view, state("v", at=typed("10:00")))
    with pytest.raises(DriveError, match="action id 'value', not 'v'"):
        driver.submit_modal("U0ALICE", view, state("value", at=timed("10:00")))
    with pytest.raises(DriveError, match="no input block 'gone'"):
        driver.submit_modal("U0ALICE", view, state("v", gone=timed("10:00")))
    assert captured.requests == []


def test_acks_read_as_slack_shows_them() -> None:
    json_ack = HttpResult(200, {"Content-Type": "application/json"}, b'{"text": "hi"}')
    text_ack = HttpResult(200, {"Content-Type": "text/plain"}, b"plain words")
    assert ack_body(json_ack) == {"text": "hi"}
    assert ack_body(text_ack) == {"text": "plain words"}
    assert ack_body(HttpResult(200, {}, b"")) == {}


def test_buttons_are_found_in_actions_and_accessories() -> None:
    view = {
        "blocks": [
            {
                "type": "section",
                "block_id": "s",
                "accessory": {"type": "button", "action_id": "open", "value": "7"},
            }
        ]
    }
    assert find_button(view, "open") == {
        "type": "button",
        "action_id": "open",
        "value": "7",
        "block_id": "s",
    }
    assert find_button(MESSAGE, "share") is not None and find_button(MESSAGE, "nope") is None
