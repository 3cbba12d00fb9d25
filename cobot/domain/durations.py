"""Durations as people type them: 90m, 2h, 1h30m, 3 days, 1w, 1.5h."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "wk": 604800,
    "week": 604800,
    "weeks": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


class DurationError(ValueError):
    """The text is not a duration."""


def parse_duration(text: str) -> timedelta:
    """Parse `90m`, `2h`, `1h30m`, `2 hours`, `3d`, `1w`; a bare number means minutes."""
    cleaned = text.strip().lower().replace(",", " ").replace(" and ", " ")
    if not cleaned:
        raise DurationError("empty")
    if re.fullmatch(r"\d+", cleaned):
        return timedelta(minutes=int(cleaned))
    total = 0.0
    position = 0
    for match in _PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            raise DurationError(text)
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise DurationError(text)
        total += float(match.group(1)) * unit
        position = match.end()
    if position == 0 or cleaned[position:].strip():
        raise DurationError(text)
    return timedelta(seconds=round(total))


def format_duration(value: timedelta) -> str:
    """`2 hours`, `1 hour 30 minutes`, `3 days`, `1 week`."""
    seconds = int(value.total_seconds())
    parts = []
    for name, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 minutes"
