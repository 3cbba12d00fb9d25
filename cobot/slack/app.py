"""Build the Bolt app: middleware, listeners, and an error handler that never leaks a trace."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from cobot.services.events import EventLedger
from cobot.slack.commands import CommandRouter
from cobot.slack.listeners import help as help_listeners
from cobot.slack.listeners import home as home_listeners
from cobot.slack.middleware import dedupe_events

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on cobot's side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your coordinator."
)


def build_app(
    *,
    client: WebClient,
    signing_secret: str | None,
    events: EventLedger,
    router: CommandRouter | None = None,
) -> App:
    """The one Bolt app; listeners are thin and call services."""
    app = App(
        client=client,
        # Socket Mode has no signatures; HTTP mode requires the secret (checked in config)
        signing_secret=signing_secret or "socket-mode-has-no-signing-secret",
        process_before_response=False,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("cobot.bolt"),
    )
    app.use(dedupe_events(events))
    router = router or CommandRouter()
    help_listeners.register(app, router)
    home_listeners.register(app)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any) -> None:
        # the body may hold personal answers: log only what kind of request failed
        # and never str(error), which can quote what the person typed
        log.error(
            "listener failed on a %s request: %s\n%s",
            body.get("type") or ("slash_command" if "command" in body else "unknown"),
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        if respond is not None and body.get("response_url"):
            try:
                respond(text=SORRY, response_type="ephemeral", replace_original=False)
            except Exception:  # reporting the failure must not fail again
                log.warning("could not tell the user about the failure")

    return app
