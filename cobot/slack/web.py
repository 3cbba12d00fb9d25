"""The Slack Web API client with retry handlers, and the Messenger that services use."""

from __future__ import annotations

import logging
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from cobot.domain.deliveries import is_permanent
from cobot.services.ports import OutgoingMessage, PostedMessage, SlackSendError

log = logging.getLogger(__name__)


def make_web_client(*, token: str | None, base_url: str, timeout: int = 10) -> WebClient:
    """A WebClient that waits out 429 Retry-After and retries 5xx and dropped connections."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackMessenger:
    """Posts through chat.postMessage; a user id target posts into cobot's DM with them."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:
        if message.files:
            return self._upload(target, message)
        try:
            response = self._client.chat_postMessage(
                channel=target,
                text=message.text,
                blocks=message.blocks or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            raise SlackSendError(error, permanent=is_permanent(error)) from None
        except (SlackRequestError, URLError, TimeoutError, OSError) as exc:
            raise SlackSendError(type(exc).__name__, permanent=False) from None
        return PostedMessage(channel=str(response["channel"]), ts=str(response["ts"]))

    def _upload(self, target: str, message: OutgoingMessage) -> PostedMessage:
        """Share files through files.getUploadURLExternal/completeUploadExternal."""
        try:
            channel = target
            if target.startswith(("U", "W")):
                channel = str(self._client.conversations_open(users=target)["channel"]["id"])
            response = self._client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title}
                    for f in message.files
                ],
                initial_comment=message.text,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            raise SlackSendError(error, permanent=is_permanent(error)) from None
        except (SlackRequestError, URLError, TimeoutError, OSError) as exc:
            raise SlackSendError(type(exc).__name__, permanent=False) from None
        files = response.get("files") or [{}]
        return PostedMessage(channel=channel, ts=str(files[0].get("id") or ""))
