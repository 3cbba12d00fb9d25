"""cobot: a Slack bot that runs the logistics and the care of a co-production project."""

__version__ = "0.1.0"
