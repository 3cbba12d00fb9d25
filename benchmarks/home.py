"""Benchmark: how long a Home takes to build and render (run by hand).

    .venv/bin/python benchmarks/home.py [--rounds 20] [--database-url URL]

A project of 12 participants and 20 sessions (3 held, with debriefs, feedback, check-ins
and a failed delivery), as tests/integration/test_home.py seeds it. Prints the median and
the slowest time for a participant's, a facilitator's and a coordinator's Home (service +
Block Kit) and for the timeline picture; asserts nothing. The target is under a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cobot.services.checkins import Checkins  # noqa: E402
from cobot.services.home import Home  # noqa: E402
from cobot.services.ports import SystemClock  # noqa: E402
from cobot.services.timeline import Timelines  # noqa: E402
from cobot.slack.blocks.home import home_view  # noqa: E402
from cobot.storage import crypto  # noqa: E402
from cobot.storage.db import create_db_engine  # noqa: E402
from cobot.storage.db import session_factory  # noqa: E402
from cobot.storage.migrate import upgrade  # noqa: E402
from tests.fakes import FakeClock  # noqa: E402
from tests.integration.test_home import NOW  # noqa: E402
from tests.integration.test_home import TEAM  # noqa: E402
from tests.integration.test_home import NoDirectory  # noqa: E402
from tests.integration.test_home import seed_project  # noqa: E402


def timed(rounds: int, work) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    crypto.configure([crypto.new_key()])
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    clock = FakeClock(NOW)
    seeded = seed_project(factory, NOW, participants=12, sessions=20)
    checkins = Checkins(factory=factory, clock=clock, directory=NoDirectory())
    home = Home(factory=factory, clock=clock, checkins=checkins)
    timelines = Timelines(factory=factory, clock=SystemClock())
    print(f"database: {engine.dialect.name}; 12 participants, 20 sessions; {args.rounds} rounds")
    for label, user in (("participant", "UP01"), ("facilitator", "UF2"), ("coordinator", "UCOORD")):
        size = len(json.dumps(home_view(home.home(team_id=TEAM, user_id=user))))

        def build(user: str = user) -> None:
            home_view(home.home(team_id=TEAM, user_id=user))

        median, worst = timed(args.rounds, build)
        print(
            f"{label:12} Home: median {median * 1000:7.1f} ms, slowest {worst * 1000:7.1f} ms, "
            f"{size} bytes of Block Kit"
        )
    timelines.picture(team_id=TEAM, user_id="UCOORD", project_id=seeded.project_id)  # warm up
    median, worst = timed(
        max(args.rounds // 4, 3),
        lambda: timelines.picture(team_id=TEAM, user_id="UCOORD", project_id=seeded.project_id),
    )
    print(f"timeline picture: median {median * 1000:7.1f} ms, slowest {worst * 1000:7.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
