"""A local Slack emulator for tests: Web API, Socket Mode, and a signed Slack-side client."""

from cobot.sandbox.client import HttpResult, SlackClient
from cobot.sandbox.signing import sign
from cobot.sandbox.webapi import ApiCall, SlackEmulator, UploadedFile

__all__ = ["ApiCall", "HttpResult", "SlackClient", "SlackEmulator", "UploadedFile", "sign"]
