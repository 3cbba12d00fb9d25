"""Socket Mode: no public URL; Slack pushes requests over a websocket cobot opens."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_bolt.adapter.socket_mode.internals import send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from cobot.slack import inbound
from cobot.slack.app import SORRY

log = logging.getLogger(__name__)

# the envelope types that carry a request for Bolt; others (hello, disconnect) are the client's
REQUEST_ENVELOPES = frozenset({"slash_commands", "interactive", "events_api"})


class CobotSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, refusing envelopes of a shape Slack never sends and
    answering every failure with an ack that reveals nothing (the connection stays up)."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time.time()
        payload: Any = req.payload
        try:
            if req.type not in REQUEST_ENVELOPES or not isinstance(payload, dict):
                raise inbound.Malformed("unknown envelope")
            inbound.check(payload)
        except inbound.Malformed as problem:
            log.info("ignored a malformed Socket Mode envelope: %s", problem)
            _ack(client, req, None)
            return
        command = req.type == "slash_commands"
        try:
            response = run_bolt_app(self.app, req)
        except Exception as error:
            log.error("could not handle a %s envelope: %s", req.type, type(error).__name__)
            _ack(client, req, {"response_type": "ephemeral", "text": SORRY} if command else None)
            return
        if response.status >= 500:
            log.error("Bolt answered %d to a %s envelope", response.status, req.type)
            _ack(client, req, {"response_type": "ephemeral", "text": SORRY} if command else None)
            return
        send_response(client, req, response, start)


def _ack(client: SocketModeClient, req: SocketModeRequest, payload: dict[str, Any] | None) -> None:
    client.send_socket_mode_response(
        SocketModeResponse(envelope_id=req.envelope_id, payload=payload)
    )


def socket_handler(app: App, *, app_token: str) -> SocketModeHandler:
    """Bolt's built-in Socket Mode client, using the app's own WebClient (and its base URL)."""
    return CobotSocketModeHandler(app, app_token=app_token, web_client=app.client)
