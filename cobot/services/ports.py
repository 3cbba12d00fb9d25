"""What services need from the outside world, as small typed protocols."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Protocol


class Clock(Protocol):
    """The only way services learn the time."""

    def now(self) -> datetime:
        """The current aware UTC time."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class OutgoingFile:
    """A file to share through Slack's upload flow (e.g. a word cloud image)."""

    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class OutgoingMessage:
    """What to post: plain text (the notification fallback) and optional Block Kit.

    With `files`, the files are uploaded and shared with `text` as their comment (blocks
    are not sent: Slack's upload flow takes text only); PostedMessage.ts is then the
    first file's id. With `replaces`, the message there is updated and nothing new posted.
    """

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    files: tuple[OutgoingFile, ...] = ()
    # (channel, ts) of a message cobot sent earlier: update that one in place (chat.update)
    # instead of posting a new one
    replaces: tuple[str, str] | None = None


@dataclass(frozen=True)
class PostedMessage:
    """Where Slack put a message."""

    channel: str
    ts: str


class SlackSendError(Exception):
    """Slack refused or could not take a message, after the client's own retries.

    `permanent`: no retry can fix it (the ledger fails the delivery at once); otherwise it
    is transient (429, 5xx, timeout, Slack down) and the delivery is tried again until its
    kind's lateness policy says it is too late.
    """

    def __init__(self, error: str, *, permanent: bool) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


class Messenger(Protocol):
    """Posts messages to Slack (a user id posts to that person's DM with cobot)."""

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        """Post or raise SlackSendError."""
        ...


class Alarms(Protocol):
    """Wakes deliveries at their due time; only a hint, the ledger is the truth (the sweep
    drives whatever is due without one)."""

    def arm(self, delivery_id: int, when: datetime) -> None:
        """Make sure something tries what is due at `when` (delivery `delivery_id` among it);
        an implementation may share one alarm between deliveries due close together."""
        ...


class Directory(Protocol):
    """What cobot may look up about a Slack user."""

    def timezone(self, user_id: str) -> str | None:
        """The person's Slack time zone (IANA name), if Slack knows it."""
        ...
