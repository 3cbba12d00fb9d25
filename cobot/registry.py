"""Things registered by name at start-up, each name once: the delivery kinds features add
(services/deliveries.py) and the `/cobot` subcommands (slack/commands.py)."""

from __future__ import annotations

from typing import ClassVar
from typing import Generic
from typing import Protocol
from typing import TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


class Registry(Generic[N]):
    """The things registered, by name, in registration order.

    A registry says in `called` what its refusal of a second registration calls a name: a
    template such as "delivery kind {!r}".
    """

    called: ClassVar[str]

    def __init__(self) -> None:
        self.by_name: dict[str, N] = {}

    def add(self, item: N) -> None:
        """Register `item` under its name; a name may be registered once."""
        if item.name in self.by_name:
            raise ValueError(f"{self.called.format(item.name)} registered twice")
        self.by_name[item.name] = item

    def get(self, name: str) -> N | None:
        """What is registered as `name`, if anything."""
        return self.by_name.get(name)
