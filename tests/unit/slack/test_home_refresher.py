"""The Home refresher: a burst of changes publishes each opened Home once, nobody else's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import Any

from cobot.services.home import HomeView
from cobot.services.home import Touch
from cobot.slack.listeners.home import HomeRefresher
from tests.polling import wait_until

TEAM = "T0SANDBOX"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


class FakeHome:
    """Says who a touch concerns (only people in `opened`), and builds empty Homes."""

    def __init__(self, opened: set[str]) -> None:
        self.opened_by: list[str] = []
        self._opened = opened

    def audience(self, touches: Iterable[Touch]) -> set[tuple[str, str]]:
        return {(TEAM, t.user_id) for t in touches if t.user_id in self._opened}

    def home(self, *, team_id: str, user_id: str, focus: int | None = None) -> HomeView:
        return HomeView(user_id, NOW, (), (), 0, (), ())

    def opened(self, *, team_id: str, user_id: str) -> bool:
        self.opened_by.append(user_id)
        self._opened.add(user_id)
        return True


class FakeClient:
    def __init__(self) -> None:
        self.published: list[str] = []
        self.lock = threading.Lock()

    def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        with self.lock:
            self.published.append(user_id)


def test_a_burst_publishes_each_opened_home_once() -> None:
    home, client = FakeHome({"UA", "UB"}), FakeClient()
    refresher = HomeRefresher(home=home, client=client, delay=0.2, max_wait=5)  # type: ignore[arg-type]
    try:
        # 50 transactions a few milliseconds apart, touching the same people again and again
        for i in range(50):
            refresher.request(frozenset({Touch(project_id=1, user_id=u) for u in ("UA", "UB")}))
            refresher.request(frozenset({Touch(project_id=1, user_id=f"UNEVER{i}")}))
            time.sleep(0.005)
        wait_until(lambda: len(client.published) >= 2, 5, "the first two Homes")
        time.sleep(0.5)  # nothing more comes
        assert sorted(client.published) == ["UA", "UB"]
        # a later change is a new burst
        refresher.request(frozenset({Touch(project_id=1, user_id="UA")}))
        wait_until(lambda: len(client.published) >= 3, 5, "the later Home")
        time.sleep(0.3)
        assert sorted(client.published) == ["UA", "UA", "UB"]
    finally:
        refresher.close()


def test_a_burst_that_never_pauses_still_refreshes() -> None:
    home, client = FakeHome({"UA"}), FakeClient()
    refresher = HomeRefresher(home=home, client=client, delay=0.2, max_wait=0.4)  # type: ignore[arg-type]
    try:
        started = time.monotonic()
        while not client.published and time.monotonic() - started < 5:
            refresher.request(frozenset({Touch(project_id=1, user_id="UA")}))
            time.sleep(0.05)  # never quiet for 0.2 s
        assert client.published == ["UA"]
    finally:
        refresher.close()


def test_opening_a_home_notes_it_and_publishes_it_at_once() -> None:
    home, client = FakeHome(set()), FakeClient()
    refresher = HomeRefresher(home=home, client=client)  # type: ignore[arg-type]
    assert refresher.opened(team_id=TEAM, user_id="UC") is True
    assert home.opened_by == ["UC"] and client.published == ["UC"]
    refresher.close()
