"""Socket Mode: no public URL; Slack pushes requests over a websocket cobot opens."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler


def socket_handler(app: App, *, app_token: str) -> SocketModeHandler:
    """Bolt's built-in Socket Mode client, using the app's own WebClient (and its base URL)."""
    return SocketModeHandler(app, app_token=app_token, web_client=app.client)
