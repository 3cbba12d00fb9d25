"""Build the Bolt app: middleware, listeners, and an error handler that never leaks a trace."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from slack_bolt import App
from slack_bolt.context import BoltContext
from slack_bolt.oauth import OAuthFlow
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from cobot.services.events import EventLedger
from cobot.slack.commands import CommandRouter
from cobot.slack.listeners import help as help_listeners
from cobot.slack.middleware import TRUSTED
from cobot.slack.middleware import dedupe_events
from cobot.slack.middleware import mark_trusted

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on cobot's side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your coordinator."
)


def _tell_user(body: dict[str, Any], client: WebClient) -> None:
    """Say sorry where the person will see it: the response URL, else a DM."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or []), None
    )
    try:
        if response_url:
            WebhookClient(str(response_url)).send(
                text=SORRY, response_type="ephemeral", replace_original=False
            )
        elif user:
            client.chat_postMessage(channel=str(user), text=SORRY)
    except (SlackClientError, OSError):
        log.warning("could not tell the user about the failure")


def build_app(
    *,
    client: WebClient,
    signing_secret: str | None,
    events: EventLedger,
    router: CommandRouter | None = None,
    oauth_flow: OAuthFlow | None = None,
) -> App:
    """The one Bolt app; listeners are thin and call services. With `oauth_flow` (installing
    to any workspace), each request is authorised from the installation store."""
    app = App(
        client=client,
        oauth_flow=oauth_flow,
        # Socket Mode has no signatures; HTTP mode requires the secret (checked in config)
        signing_secret=signing_secret or "socket-mode-has-no-signing-secret",
        process_before_response=False,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("cobot.bolt"),
    )
    # first of cobot's middleware: Bolt's verification has passed once it runs
    app.use(mark_trusted)
    app.use(dedupe_events(events))
    router = router or CommandRouter()
    help_listeners.register(app, router)
    # the Home tab is registered with its services by cobot.runtime (listeners/home.py)

    @app.error
    def on_error(
        error: Exception,
        body: dict[str, Any],
        response: BoltResponse | None,
        client: WebClient,
        context: BoltContext,
    ) -> BoltResponse | None:
        kind = body.get("type") or ("slash_command" if "command" in body else "unknown")
        kind = str(kind)[:40]
        # the body may hold personal answers: log only what kind of request failed,
        # and never str(error), which can quote what the person typed
        log.error(
            "listener failed on a %s request: %s\n%s",
            kind,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        acked = response is not None and response.status == 200
        if not context.get(TRUSTED):
            # failed before verification passed: the body is anyone's, so act on none of it
            return None if acked else BoltResponse(status=401, body="")
        if kind == "slash_command" and not acked:
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": SORRY}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        if kind not in ("event_callback", "unknown"):
            _tell_user(body, client)
        return None if acked else BoltResponse(status=200, body="")

    return app
