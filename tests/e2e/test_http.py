"""cobot over HTTP, driven by signed requests exactly as Slack sends them."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Protocol

import pytest
from sqlalchemy import func
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ack_body
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import Reply
from cobot.storage.db import transaction
from cobot.storage.models import SlackEvent

GENERAL = "C0GENERAL"


class _Acks(Protocol):
    """The part of a subcommand's tools these handlers use."""

    def ack(self) -> object: ...


def test_help_answers_with_an_ephemeral_overview(driver: Driver, slack: SlackClient) -> None:
    body = driver.command("UCOORD", "help", channel_id=GENERAL)
    assert body.get("response_type", "ephemeral") == "ephemeral"
    shown = json.dumps(body["blocks"])
    assert "cobot: what you can ask" in shown and "/cobot help" in shown
    assert len(body["blocks"]) <= 50


def test_an_empty_command_is_help_too(driver: Driver, slack: SlackClient) -> None:
    assert "/cobot help" in json.dumps(driver.command("UCOORD", "", channel_id=GENERAL))


def test_unknown_subcommand_suggests_the_nearest(driver: Driver, slack: SlackClient) -> None:
    body = driver.command("UCOORD", "hlep me", channel_id=GENERAL)
    assert "I don't know `/cobot hlep me`" in body["text"]
    assert "Did you mean `/cobot help`?" in body["text"]


def test_an_unclosed_quote_is_explained(driver: Driver, slack: SlackClient) -> None:
    body = driver.command("UCOORD", 'session add "Kick off', channel_id=GENERAL)
    assert "a quote is not closed" in body["text"]


def test_forged_signature_is_401_and_runs_nothing(
    slack: SlackClient, emulator: SlackEmulator
) -> None:
    fields = slack.slash_command_fields(user_id="UCOORD", text="help")
    from urllib.parse import urlencode

    body = urlencode(fields)
    ts = str(int(time.time()))
    result = slack.raw(
        body.encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    assert result.status == 401
    assert "cobot: what you can ask" not in result.text


def test_stale_timestamp_is_401(slack: SlackClient) -> None:
    stale = str(int(time.time()) - 600)
    assert slack.slash_command(user_id="UCOORD", text="help", timestamp=stale).status == 401


def test_malformed_or_missing_timestamp_is_401_not_500(slack: SlackClient) -> None:
    body = b"command=%2Fcobot&text=help"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for headers in (
        {**form, "X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=abc"},
        {**form, "X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=abc"},
        {**form, "X-Slack-Signature": "v0=abc"},
        {**form, "X-Slack-Request-Timestamp": str(int(time.time()))},
        form,
    ):
        assert slack.raw(body, headers).status == 401, headers
    assert slack.slash_command(user_id="UCOORD", text="help", timestamp="12ab").status == 401


def test_url_verification_echoes_the_challenge(slack: SlackClient) -> None:
    result = slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert result.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in result.text


def test_retried_event_is_processed_once(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    first = slack.app_home_opened("UCOORD", event_id="Ev0HOME1")
    assert first.status == 200
    emulator.wait_for("views.publish", count=1)
    retry = slack.app_home_opened("UCOORD", event_id="Ev0HOME1", retry_num=1)
    assert retry.status == 200
    time.sleep(0.5)
    publishes = emulator.calls_to("views.publish")
    assert len(publishes) == 1
    home = emulator.home_view("UCOORD")
    assert home is not None and home["blocks"][0]["text"]["text"] == "Welcome to cobot"
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        stored = session.scalar(select(func.count()).select_from(SlackEvent))
        assert stored == 1


def test_healthz_reports_readiness_and_livez_liveness(stack: LocalStack) -> None:
    with urllib.request.urlopen(f"{stack.base_url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "ok": True,
            "database": "ok",
            "migrations": "current",
            "slack": "ok",
            "scheduler": "leader",
            "leader": "this process",
        }
    with urllib.request.urlopen(f"{stack.base_url}/livez", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True}


def test_unknown_path_is_404(stack: LocalStack) -> None:
    request = urllib.request.Request(f"{stack.base_url}/nope")
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:
        raise AssertionError("expected 404")


def test_a_failing_listener_answers_kindly_and_logs_no_body(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    from cobot.slack.commands import Subcommand

    def explode(request: CommandRequest, tools: object) -> Reply | None:
        raise ValueError(f"secret words from {request.raw_args}")

    assert stack.runtime is not None
    stack.runtime.router.add(Subcommand(name="boom", usage="boom", summary="", handler=explode))
    result = slack.slash_command(user_id="UCOORD", text="boom I feel awful today")
    assert result.status == 200, result.text
    body = ack_body(result)
    assert "Traceback" not in result.text
    assert "something went wrong on cobot's side" in body["text"]
    assert body["response_type"] == "ephemeral"
    assert "I feel awful" not in caplog.text
    assert "listener failed on a slash_command request: ValueError" in caplog.text


def test_a_refusal_from_a_service_is_answered_once_before_or_after_the_ack(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    from cobot.services.access import AccessError
    from cobot.slack.commands import Subcommand

    def refuse(request: CommandRequest, tools: object) -> Reply | None:
        raise AccessError("Only coordinators can do that.")

    def ack_then_refuse(request: CommandRequest, tools: _Acks) -> Reply | None:
        tools.ack()
        raise AccessError("That session no longer exists.")

    assert stack.runtime is not None
    stack.runtime.router.add(Subcommand(name="refuse", usage="refuse", summary="", handler=refuse))
    stack.runtime.router.add(
        Subcommand(name="late", usage="late", summary="", handler=ack_then_refuse)
    )
    assert driver.command("UCOORD", "refuse", channel_id=GENERAL)["text"] == (
        "Only coordinators can do that."
    )
    late = slack.slash_command(user_id="UCOORD", text="late")
    assert late.status == 200 and "no longer exists" not in late.text
    [answer] = emulator.wait_for("response_url")
    assert answer.args["text"] == "That session no longer exists."
    assert answer.args["response_type"] == "ephemeral"
