"""A fake Socket Mode endpoint: a local websocket that speaks Slack's envelope protocol."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any
from typing import Literal

from slack_sdk.socket_mode.builtin import SocketModeClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve

logger = logging.getLogger(__name__)

PayloadType = Literal["events_api", "slash_commands", "interactive"]


class _PendingAck:
    """One envelope waiting for its acknowledgement."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.ack: dict[str, Any] | None = None


class SocketModeServer:
    """Websocket server that Slack's Socket Mode clients can connect to.

    It greets each connection with Slack's ``hello`` message, sends envelopes on
    demand and matches the client's acknowledgements to them by ``envelope_id``.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", app_id: str = "A0SANDBOX", ping_interval: float = 0.2
    ) -> None:
        self._host = host
        # Frequent pings wake slack_sdk's blocking recv (3 s timeout), so clients close fast.
        self._ping_interval = ping_interval
        self._app_id = app_id
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, _PendingAck] = {}
        self._acks: list[dict[str, Any]] = []
        self._connects = 0

    @property
    def port(self) -> int:
        """The port the server listens on (only valid once started)."""
        if self._server is None:
            raise RuntimeError("socket mode server is not running")
        port: int = self._server.socket.getsockname()[1]
        return port

    def url(self) -> str:
        """A fresh connection URL, shaped like the one ``apps.connections.open`` returns."""
        ticket = uuid.uuid4()
        return f"ws://{self._host}:{self.port}/link/?ticket={ticket}&app_id={self._app_id}"

    def start(self) -> None:
        """Start listening on an ephemeral port in a background thread."""
        if self._server is not None:
            return
        self._server = serve(
            self._handle,
            self._host,
            0,
            compression=None,
            close_timeout=1,
            ping_interval=self._ping_interval,
            ping_timeout=10,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-socket-mode", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close every connection, stop listening and wait for the server's threads."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None
        with self._changed:
            for pending in self._pending.values():
                pending.event.set()
            self._pending.clear()
            self._connections.clear()
            self._changed.notify_all()

    @property
    def connection_count(self) -> int:
        """How many clients are connected right now."""
        with self._lock:
            return len(self._connections)

    @property
    def total_connects(self) -> int:
        """How many connections were accepted since start (reconnects included)."""
        with self._lock:
            return self._connects

    @property
    def acks(self) -> list[dict[str, Any]]:
        """Every acknowledgement received, in order."""
        with self._lock:
            return list(self._acks)

    def wait_connected(self, timeout: float = 10.0, *, count: int = 1) -> bool:
        """Wait until at least ``count`` clients are connected; return whether they are."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._connections) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def wait_connects(self, total: int, timeout: float = 10.0) -> bool:
        """Wait until ``total`` connections have been accepted since start."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._connects < total:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def send(
        self,
        payload_type: PayloadType,
        payload: dict[str, Any],
        *,
        timeout: float = 10.0,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Send one envelope to the newest connection and wait for its ack.

        Raises ``TimeoutError`` when no client is connected or no ack arrives in time.
        """
        if accepts_response_payload is None:
            accepts_response_payload = payload_type != "events_api"
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": payload_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        deadline = time.monotonic() + timeout
        pending = _PendingAck()
        with self._lock:
            self._pending[envelope_id] = pending
        try:
            self._send_to_newest(json.dumps(envelope), deadline)
            if not pending.event.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"no ack for {payload_type} envelope within {timeout}s")
            if pending.ack is None:
                raise TimeoutError("socket mode server stopped before the envelope was acked")
            return pending.ack
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect, as Slack does before rotating servers."""
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": _DEBUG_INFO})
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.send(message)
            except ConnectionClosed:
                logger.debug("socket mode client went away before disconnect was sent")

    def _send_to_newest(self, message: str, deadline: float) -> None:
        while True:
            with self._changed:
                while not self._connections:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError("no socket mode client is connected")
                    self._changed.wait(remaining)
                connection = self._connections[-1]
            try:
                connection.send(message)
                return
            except ConnectionClosed:
                self._forget(connection)

    def _forget(self, connection: ServerConnection) -> None:
        with self._changed:
            if connection in self._connections:
                self._connections.remove(connection)
            self._changed.notify_all()

    def _handle(self, connection: ServerConnection) -> None:
        with self._changed:
            self._connections.append(connection)
            self._connects += 1
            count = len(self._connections)
            self._changed.notify_all()
        logger.debug("socket mode client connected (%d open)", count)
        try:
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": count,
                        "debug_info": _DEBUG_INFO,
                        "connection_info": {"app_id": self._app_id},
                    }
                )
            )
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            self._forget(connection)
            logger.debug("socket mode client disconnected")

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            logger.warning("socket mode client sent a message that is not JSON")
            return
        if not isinstance(message, dict) or "envelope_id" not in message:
            logger.warning("socket mode client sent a message without envelope_id")
            return
        with self._lock:
            self._acks.append(message)
            pending = self._pending.get(str(message["envelope_id"]))
        if pending is None:
            logger.warning("ack for an unknown or expired envelope")
            return
        pending.ack = message
        pending.event.set()


def close_socket_mode_client(client: SocketModeClient) -> None:
    """Close a slack_sdk ``SocketModeClient`` without waiting out its 1 s queue poll."""
    client.closed = True
    # Wakes the message processor blocked in ``queue.get(timeout=1)``; None is skipped.
    client.message_queue.put(None)
    client.close()


_DEBUG_INFO: dict[str, Any] = {
    "host": "applink-sandbox",
    "build_number": 1,
    "approximate_connection_time": 18060,
}
