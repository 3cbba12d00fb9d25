"""/cobot calendar subscribe and /cobot calendar revoke, and GET /calendar/<secret>.ics
(the feed calendar apps fetch, served by the HTTP app)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from cobot.services.feeds import FEED_PATH
from cobot.services.feeds import FEED_SUFFIX
from cobot.services.feeds import Feeds
from cobot.slack.blocks.feeds import revoked_text
from cobot.slack.blocks.feeds import subscribed_text
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import Reply
from cobot.slack.commands import add_commands
from cobot.slack.http import Page
from cobot.slack.http import Route

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

CALENDAR_TYPE = "text/calendar; charset=utf-8"
# calendar apps poll; a proxy or the app may keep a copy this long, nobody else may
CACHE = "private, max-age=300"
NOT_FOUND = Page(404, b"not found\n", (("Content-Type", "text/plain; charset=utf-8"),))


def register(router: CommandRouter, *, feeds: Feeds) -> None:
    """Add the calendar-feed subcommands to the router."""
    add_commands(router, _COMMANDS, group="Sessions", deps=feeds)


def on_subscribe(feeds: Feeds, request: CommandRequest, tools: Any) -> Reply | None:  # noqa: ARG001
    """`/cobot calendar subscribe`: new links by DM; the old ones stop working."""
    return Reply(text=subscribed_text(feeds.subscribe(**request.caller)))


def on_revoke(feeds: Feeds, request: CommandRequest, tools: Any) -> Reply | None:  # noqa: ARG001
    """`/cobot calendar revoke`: this person's links for the project stop working."""
    return Reply(text=revoked_text(feeds.revoke(**request.caller)))


def feed_route(feeds: Feeds) -> Route:
    """GET /calendar/<secret>.ics: the feed, or 404 for anything else (a wrong, revoked or
    malformed secret alike: nothing tells a guess that it was close)."""

    def page(environ: WSGIEnvironment) -> Page:
        name = str(environ.get("PATH_INFO", ""))[len(FEED_PATH) :]
        if not name.endswith(FEED_SUFFIX):
            return NOT_FOUND
        document = feeds.document(name[: -len(FEED_SUFFIX)])
        if document is None:
            return NOT_FOUND
        etag = f'"{document.etag}"'
        headers = (
            ("Content-Type", CALENDAR_TYPE),
            ("Cache-Control", CACHE),
            ("ETag", etag),
            ("Content-Disposition", 'inline; filename="cobot.ics"'),
            ("Referrer-Policy", "no-referrer"),
            ("X-Robots-Tag", "noindex"),
        )
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            return Page(304, b"", headers)
        return Page(200, document.body, headers)

    return Route("calendar", FEED_PATH, page)


_COMMANDS = (
    Command(
        "calendar subscribe",
        "a private link that keeps your calendar app in step with your sessions",
        on_subscribe,
    ),
    Command(
        "calendar revoke",
        "stop your calendar links working (subscribe again for a new one)",
        on_revoke,
    ),
)
