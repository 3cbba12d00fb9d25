"""Slack request signing (v0 HMAC-SHA256), as Slack signs requests to an app."""

from __future__ import annotations

import hashlib
import hmac


def sign(signing_secret: str, timestamp: str, body: str | bytes) -> str:
    """Return Slack's ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + timestamp.encode() + b":" + raw
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"
