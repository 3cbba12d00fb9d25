"""What the sandbox's local servers share: a `with` block starts one and stops it."""

from __future__ import annotations

from abc import ABC
from abc import abstractmethod
from types import TracebackType
from typing import Self


class Running(ABC):
    """A local server (the Slack emulator, the whole stack) that a `with` block runs: it
    starts on entering and stops on leaving, however the block ends."""

    @abstractmethod
    def start(self) -> object:
        """Start serving (each server says how)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and wait for its threads (each server says how)."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
