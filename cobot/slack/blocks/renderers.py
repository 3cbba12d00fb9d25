"""Each feature's delivery renderers, picked by the kind of note the ledger hands over."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from cobot.services.ports import OutgoingMessage


class ByKind:
    """A feature's delivery renderers, one per kind of note (the type of the renderer's
    first parameter); calling it renders a note by the renderer of its class. A renderer
    returns the message, or only its text."""

    def __init__(self, *renderers: Callable[[Any], OutgoingMessage | str]) -> None:
        self._renderers: dict[type[Any], Callable[[Any], OutgoingMessage | str]] = {}
        for renderer in renderers:
            first = next(iter(inspect.signature(renderer).parameters))
            self._renderers[typing.get_type_hints(renderer)[first]] = renderer

    def __call__(self, note: object) -> OutgoingMessage:
        for kind in type(note).__mro__:
            found = self._renderers.get(kind)
            if found is not None:
                rendered = found(note)
                return OutgoingMessage(text=rendered) if isinstance(rendered, str) else rendered
        raise TypeError(f"no renderer for {type(note).__name__}")
