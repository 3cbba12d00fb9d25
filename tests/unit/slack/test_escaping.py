"""Every Block Kit builder escapes what people and coordinators typed: a title, name or
answer of `Party <!channel> <@U123> <https://evil|x> &amp;` pings nobody and links nowhere,
in `text` fallbacks, mrkdwn sections, file titles and comments alike.

The builders are found by walking cobot/slack/blocks, and their arguments are made from
their type hints, so a new builder is covered without being listed here."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

import cobot.slack.blocks
from cobot.domain import debriefs as debrief_rules
from cobot.domain import endings as ending_rules
from cobot.services.ports import OutgoingMessage
from cobot.slack.blocks import home as home_blocks
from cobot.slack.blocks.common import escape
from tests.mrkdwn import shown_texts

HOSTILE = "Party <!channel> <@U123> <https://evil|x> &amp;"
# what must never reach Slack unescaped from that input
DANGEROUS = ("<!channel", "<@U123", "<https://evil", "<!")
SAFE_ID = "U0SAFE"
WHEN = datetime(2027, 3, 4, 10, 30, tzinfo=UTC)

# fields that hold Slack ids, codes and labels cobot chose, never anyone's text
ID_FIELDS = {
    "user_id", "by", "author", "owner", "person", "shared_by", "target", "contacts",
    "coordinators", "facilitators", "participants", "practitioners", "added", "unchanged",
    "not_members", "debriefed", "skipped", "missing", "who", "channel_id", "cloud_file_id",
    "filename", "timezone", "time_of_day", "kind", "status", "phase", "key", "field",
    "trend", "days", "role", "roles", "rhythm", "changed", "removed", "groups", "usage",
    "name_of_command", "done", "action_id", "fallback_zone", "user_ids", "style",
    "group", "hidden", "mood", "label", "emoji", "suggestion",
    "currency", "saved_by", "workload", "overloaded", "came", "absent", "extra", "expected",
    "present",
}  # fmt: skip
# (class, field) whose values are codes in one place and people's text elsewhere
CODES: dict[tuple[str, str], Any] = {
    ("Announcement", "change"): "added",
    ("Subcommand", "name"): "help",
    ("Timeline", "phase"): next(iter(home_blocks.PHASE_WORDS)),
    ("OpenItem", "kind"): next(iter(home_blocks.ITEM_TEXT)),
    ("Risk", "what"): "agenda",
    # (what was written, by whom): the author is a user id
    ("FeedbackDigestNote", "keep"): ((HOSTILE, SAFE_ID), (HOSTILE, None)),
    ("FeedbackDigestNote", "change"): ((HOSTILE, SAFE_ID), (HOSTILE, None)),
    ("Subcommand", "handler"): lambda request, tools: None,
}
ZONE_FIELDS = {"timezone", "fallback_zone", "tz", "zone"}
# dicts of questions and answers are keyed by the features' question keys
DICT_KEYS = tuple(dict.fromkeys(debrief_rules.QUESTION_KEYS + ending_rules.QUESTION_KEYS))
# builders that take codes, not text, as plain str arguments
CODE_ARGUMENTS = {"what", "heading", "intro", "note", "action_id", "value", "label"}


def dataclass_hints(cls: type) -> dict[str, Any]:
    """`typing.get_type_hints`, with the type variables of generic bases filled in:
    a field `default_rate: Money` of `PayFields[int]` is an `int`."""
    bound: dict[Any, Any] = {}
    for klass in reversed(cls.__mro__):
        for base in getattr(klass, "__orig_bases__", ()):
            params = getattr(typing.get_origin(base), "__parameters__", ())
            bound.update(zip(params, typing.get_args(base), strict=False))

    def filled(hint: Any) -> Any:
        if isinstance(hint, typing.TypeVar):
            return bound[hint]
        params = getattr(hint, "__parameters__", ())
        return hint[tuple(bound[p] for p in params)] if params else hint

    return {name: filled(hint) for name, hint in typing.get_type_hints(cls).items()}


class Builder:
    """Arguments from type hints: strings are hostile unless they name an id or a code."""

    def __init__(self, *, full: bool) -> None:
        self.full = full  # False: optional fields None, flags False (the other branches)

    def value(self, hint: Any, *, name: str = "", owner: str = "") -> Any:  # noqa: C901
        if (owner, name) in CODES:
            return CODES[(owner, name)]
        safe = name in ID_FIELDS
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is Any or hint is object:
            return HOSTILE
        if origin is typing.Literal:
            return args[0]
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            if not self.full and len(options) < len(args):
                return None
            return self.value(options[0], name=name, owner=owner)
        if origin in (tuple,):
            if len(args) == 2 and args[1] is Ellipsis:
                # five, for counts per score (1 to 5); two of anything else
                many = 5 if args[0] is int else 2
                return tuple(self.value(args[0], name=name, owner=owner) for _ in range(many))
            return tuple(self.value(a, name=name, owner=owner) for a in args)
        if origin in (list, Sequence, Iterable, typing.Sequence):
            return [self.value(args[0], name=name, owner=owner) for _ in range(2)]
        if origin in (frozenset, set):
            return origin({self.value(args[0], name=name, owner=owner)})
        if origin in (dict, Mapping):
            keys = DICT_KEYS if args[0] is str else (self.value(args[0], name="key"),)
            return {k: self.value(args[1], name=name, owner=owner) for k in keys}
        if hint is str:
            if name in ZONE_FIELDS:
                return "Europe/London"
            return SAFE_ID if safe else HOSTILE
        if hint is bool:
            return self.full
        if hint is int:
            return 3
        if hint is float:
            return 3.5
        if hint is Decimal:
            return Decimal("0.35")
        if hint is bytes:
            return b"\x89PNG"
        if hint is datetime:
            return WHEN
        if hint is date:
            return WHEN.date()
        if hint is time:
            return time(10, 30)
        if hint is timedelta:
            return timedelta(hours=2)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return next(iter(hint))
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.instance(hint)
        raise TypeError(f"no value for {hint!r} ({owner}.{name})")

    def instance(self, cls: type) -> Any:
        hints = dataclass_hints(cls)
        values = {
            f.name: self.value(hints[f.name], name=f.name, owner=cls.__name__)
            for f in dataclasses.fields(cls)
            if f.init
        }
        return cls(**values)

    def calls(self, fn: Callable[..., Any]) -> Iterator[dict[str, Any]]:
        """Keyword arguments for `fn`, one set per member of a union parameter."""
        hints = typing.get_type_hints(fn)
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
        unions = [
            p.name
            for p in params
            if typing.get_origin(hints[p.name]) in (typing.Union, types.UnionType)
            and all(dataclasses.is_dataclass(a) for a in typing.get_args(hints[p.name]))
        ]
        variants = typing.get_args(hints[unions[0]]) if unions else (None,)
        for variant in variants:
            kwargs: dict[str, Any] = {}
            for p in params:
                if p.name in unions:
                    kwargs[p.name] = self.instance(variant)
                elif p.default is not p.empty and hints[p.name] in (bool, int):
                    continue
                elif p.name in CODE_ARGUMENTS and str in (
                    hints[p.name],
                    *typing.get_args(hints[p.name]),
                ):
                    kwargs[p.name] = "agenda" if p.name == "what" else "Heading"
                else:
                    kwargs[p.name] = self.value(hints[p.name], name=p.name)
            yield kwargs


def builders() -> list[tuple[str, Callable[..., Any]]]:
    """Every public function of every feature's blocks module that makes something shown."""
    found: list[tuple[str, Callable[..., Any]]] = []
    for info in pkgutil.iter_modules(cobot.slack.blocks.__path__):
        if info.name == "common":
            continue
        module = importlib.import_module(f"cobot.slack.blocks.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            returns = typing.get_type_hints(fn).get("return")
            if returns in (OutgoingMessage, str) or typing.get_origin(returns) in (list, dict):
                found.append((f"{info.name}.{name}", fn))
    return found


# builders that show nothing a person typed, or take Block Kit / parsed input, not values
NOT_SHOWN = {"home.fit", "reminders.without_buttons", "sessions.form_errors"}


BUILDERS = [(name, fn) for name, fn in builders() if name not in NOT_SHOWN]


def test_the_walk_finds_the_builders_that_notify() -> None:
    names = {name for name, _ in BUILDERS}
    for expected in (
        "sessions.announcement_message",
        "reminders.reminder_message",
        "debriefs.debrief_message",
        "endings.ending_message",
        "checkins.checkin_message",
        "checkins.contact_message",
    ):
        assert expected in names
    assert len(names) > 80


@pytest.mark.parametrize("full", [True, False], ids=["filled", "sparse"])
@pytest.mark.parametrize(("name", "fn"), BUILDERS, ids=[n for n, _ in BUILDERS])
def test_no_typed_text_reaches_slack_unescaped(name: str, fn: Any, full: bool) -> None:
    builder = Builder(full=full)
    for kwargs in builder.calls(fn):
        result = fn(**kwargs)
        for where, text in shown_texts(result, name):
            for pattern in DANGEROUS:
                # cobot's own date tokens are the only <! allowed
                leftover = text.replace("<!date^", "")
                assert pattern not in leftover, f"{where}: {text!r}"


def test_escape_makes_slacks_control_characters_inert() -> None:
    assert escape(HOSTILE) == (
        "Party &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|x&gt; &amp;amp;"
    )
    assert escape("plain words, *bold* and _italic_") == "plain words, *bold* and _italic_"
