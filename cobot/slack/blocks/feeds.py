"""The calendar-feed messages: the DM with a link, and the answers to subscribe/revoke."""

from __future__ import annotations

from typing import Any

from cobot.services.feeds import FeedNote
from cobot.services.feeds import FeedScope
from cobot.services.feeds import Subscribed
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import section

HOW_TO = (
    "In Google Calendar: *Other calendars* → *+* → *From URL*. "
    "In Outlook: *Add calendar* → *Subscribe from web*. Paste the link there."
)
KEEP_PRIVATE = (
    "Keep this link to yourself: anyone who has it can see these sessions. "
    "`/cobot calendar revoke` in the project's channel stops it working."
)


def feed_message(note: FeedNote) -> OutgoingMessage:
    """The DM: the link, how to add it, and how to stop it."""
    name = escape(note.project_name)
    if note.scope is FeedScope.PROJECT:
        what = f"Every session of *{name}*, for coordinators"
    else:
        what = f"Your sessions in *{name}*, and when the work between them is due"
    url = escape(note.url)
    text = f"{what}, kept up to date in your calendar app: {url}"
    blocks: list[dict[str, Any]] = [
        section(f":date: {what}."),
        section(f"`{url}`"),
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": HOW_TO},
                {"type": "mrkdwn", "text": KEEP_PRIVATE},
            ],
        },
    ]
    return OutgoingMessage(text=text, blocks=blocks)


def subscribed_text(subscribed: Subscribed) -> str:
    """The ephemeral answer to `/cobot calendar subscribe`."""
    name = escape(subscribed.project_name)
    links = "your link" if len(subscribed.scopes) == 1 else "your link and the project's link"
    return (
        f":date: I've sent you {links} for *{name}* in a direct message. "
        "Any links you had before for this project no longer work."
    )


def revoked_text(count: int) -> str:
    """The ephemeral answer to `/cobot calendar revoke`."""
    if count == 0:
        return "You have no calendar links for this project."
    return (
        f"Done: your {'link' if count == 1 else f'{count} links'} for this project no longer "
        "work. Your calendar app will show an error for it; you can remove it there. "
        "`/cobot calendar subscribe` gives you a new one."
    )
