"""A scheduling process that always leads (no election), for the two-scheduler test.

Run as `python -m tests.e2e.scheduler_process` with cobot's environment variables.
"""

from __future__ import annotations

import signal
import threading

from cobot.config import Settings
from cobot.logs import configure_logging
from cobot.runtime import Runtime


def main() -> None:
    configure_logging("WARNING")
    runtime = Runtime.build(Settings.from_env())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime.start(force_lead=True)
    stop.wait()
    runtime.stop()


if __name__ == "__main__":
    main()
