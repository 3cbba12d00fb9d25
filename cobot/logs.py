"""Logging set-up: plain lines, or one JSON object per line (COBOT_LOG_FORMAT=json).

The JSON formatter is a small stdlib Formatter rather than python-json-logger on purpose:
that library copies every `extra` attribute of a record into the output, so whatever a
library attached to a record would be logged; this one writes a fixed set of fields and
nothing else. An exception is logged as its type and its stack (files, lines, functions),
never its message: database and HTTP errors quote the values they were given, and those
can be what a person wrote.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC
from datetime import datetime
from typing import TextIO

# Loggers that print request or response bodies at DEBUG; bodies can hold personal answers.
BODY_LOGGERS = ("slack_sdk", "slack_bolt", "cobot.bolt", "websockets", "urllib3")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and for an
    exception its type and stack only."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, tb = record.exc_info
            entry["exc_type"] = kind.__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry, ensure_ascii=False)


_installed: list[logging.Handler] = []


def configure_logging(
    level: str = "INFO", *, fmt: str = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Logs on stderr (or `stream`), as text lines or JSON, replacing the handler an earlier
    call installed (and no other); never below INFO for the body-logging libraries,
    whatever `level` is. Returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    root.addHandler(handler)
    _installed.append(handler)
    root.setLevel(level)
    quiet_body_loggers(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler


def quiet_body_loggers(level: str | int) -> None:
    """Keep the libraries that log request bodies at INFO or above."""
    wanted = logging.getLevelName(level) if isinstance(level, str) else level
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, int(wanted)))
