"""The /cobot command router: one registry feeds dispatch, /cobot help and the README."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from operator import attrgetter
from typing import Any
from typing import TypedDict
from typing import TypeVar

from slack_bolt import Ack

from cobot.registry import Registry

T = TypeVar("T")


class InChannel(TypedDict):
    """Who typed a command, in which workspace and channel: the keywords most features'
    services take first (`service.method(**request.caller, ...)`)."""

    team_id: str
    channel_id: str
    user_id: str


@dataclass(frozen=True)
class CommandRequest:
    """A parsed /cobot invocation."""

    team_id: str
    user_id: str
    channel_id: str
    name: str
    args: list[str]
    raw_args: str
    trigger_id: str | None

    @property
    def caller(self) -> InChannel:
        """Who typed it and where, as keyword arguments for a service."""
        return InChannel(team_id=self.team_id, channel_id=self.channel_id, user_id=self.user_id)


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer to the person who typed the command."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(
        cls, found: T, text: Callable[[T], str], blocks: Callable[[T], list[dict[str, Any]]]
    ) -> Reply:
        """The answer showing `found`: its text (for notifications) and its blocks."""
        return cls(text=text(found), blocks=blocks(found))


class CommandTools:
    """What a subcommand handler may use besides its request: ack first, then the client."""

    def __init__(self, *, ack: Ack, client: Any, trigger_id: str | None = None) -> None:
        self._ack = ack
        self._trigger_id = trigger_id
        self.client = client
        self.acked = False

    def ack(self, *args: Any, **kwargs: Any) -> Any:
        """Acknowledge Slack (once); later answers go through the response URL."""
        self.acked = True
        return self._ack(*args, **kwargs)

    def open(self, view: dict[str, Any]) -> None:
        """Ack, then open `view` as a modal on the command's trigger (the handler has read
        what the form needs first: a refusal is answered instead)."""
        self.ack()
        self.client.views_open(trigger_id=self._trigger_id, view=view)


CommandHandler = Callable[[CommandRequest, Any], Reply | None]


@dataclass(frozen=True)
class Command:
    """One row of a feature's command table: `/cobot <name>`, its help line and its handler
    (taking the feature's services first); `usage` only where it takes arguments."""

    name: str
    summary: str
    handler: Callable[..., Reply | None]
    usage: str = ""


CommandTable = tuple[Command, ...]


@dataclass(frozen=True)
class Shows:
    """The handler of a command that shows what the service method named `method` gives the
    asker (a dotted name reaches the service in the feature's deps: "endings.feelings"), as
    its `text` (for notifications) and its `blocks`."""

    method: str
    text: Callable[[Any], str]
    blocks: Callable[[Any], list[dict[str, Any]]]

    def __call__(self, deps: Any, request: CommandRequest, _tools: Any) -> Reply:
        return Reply.of(attrgetter(self.method)(deps)(**request.caller), self.text, self.blocks)


def shows(
    method: str, text: Callable[[Any], str], blocks: Callable[[Any], list[dict[str, Any]]]
) -> Shows:
    """A `Shows` handler, as a command table row takes it."""
    return Shows(method, text, blocks)


@dataclass(frozen=True)
class Subcommand:
    """One `/cobot <name>` with its help line."""

    name: str
    usage: str
    summary: str
    handler: CommandHandler
    group: str = "General"


class ParseError(ValueError):
    """The command text could not be split (e.g. an unclosed quote)."""


def split_args(text: str) -> list[str]:
    """Split on spaces; double quotes (straight or Slack's curly ones) group words.

    Apostrophes are ordinary letters: "Women's group" is two words, not an open quote.
    """
    normalised = text.replace("\u201c", '"').replace("\u201d", '"')
    lexer = shlex.shlex(normalised, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.commenters = ""
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError:
        raise ParseError("a quote is not closed") from None


class CommandRouter(Registry[Subcommand]):
    """Longest-prefix dispatch over registered subcommands (`add` registers one; names
    are unique)."""

    called = "/cobot {}"

    def match(self, words: list[str]) -> tuple[Subcommand, list[str]] | None:
        """The subcommand the words start with (longest name first) and the rest."""
        lowered = [w.lower() for w in words]
        for size in (3, 2, 1):
            if len(lowered) >= size:
                name = " ".join(lowered[:size])
                if name in self.by_name:
                    return self.by_name[name], words[size:]
        return None

    def suggest(self, words: list[str]) -> str | None:
        """The closest known subcommand to what was typed."""
        typed = " ".join(w.lower() for w in words[:2])
        names = list(self.by_name)
        close = difflib.get_close_matches(typed, names, n=1, cutoff=0.5)
        if not close and words:
            close = difflib.get_close_matches(words[0].lower(), names, n=1, cutoff=0.5)
        return close[0] if close else None

    def listing(self) -> list[Subcommand]:
        """Subcommands in registration order (help and the README's reference)."""
        return list(self.by_name.values())


def add_commands(router: CommandRouter, table: CommandTable, *, group: str, deps: Any) -> None:
    """Register a feature's subcommands, each handler bound to the feature's services."""
    for row in table:
        router.add(
            Subcommand(
                name=row.name,
                usage=row.usage or row.name,
                summary=row.summary,
                handler=partial(row.handler, deps),
                group=group,
            )
        )
