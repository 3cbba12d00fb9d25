"""Slack request signing (v0 HMAC-SHA256), as Slack signs requests to an app."""

from __future__ import annotations

import hashlib
import hmac


def sign(signing_secret: str, timestamp: str, body: str) -> str:
    """Return Slack's ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"
