"""A local Slack emulator for tests: Web API, Socket Mode, and a signed Slack-side client."""

from cobot.sandbox.client import HttpResult
from cobot.sandbox.client import SlackClient
from cobot.sandbox.signing import sign
from cobot.sandbox.webapi import ApiCall
from cobot.sandbox.webapi import SlackEmulator
from cobot.sandbox.webapi import UploadedFile

__all__ = ["ApiCall", "HttpResult", "SlackClient", "SlackEmulator", "UploadedFile", "sign"]
