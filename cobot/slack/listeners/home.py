"""App Home: publish each person's Home when they open it and whenever something of theirs
changes; the Home's own buttons; `/cobot timeline`.

Refreshing: opening the Home always publishes it fresh, and notes that this person looks at
it. `HomeRefresher.request()` is fed by `cobot.services.home.watch_changes` with what each
committed transaction touched; one background thread coalesces those (a burst of changes
republishes each Home once) and republishes the Homes of the people concerned who have
opened theirs; nobody else's (most people never open it, and views.publish has its own
rate limit). No feature has to remember to call it.

Buttons on a Home have no response_url (Slack gives none for views), so the features' own
handlers, reused here through their action ids, could not `respond()`. A middleware gives
actions from a Home a `respond` that answers in the person's DM with cobot instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import App
from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from cobot.services.access import AccessError
from cobot.services.home import Home
from cobot.services.home import Touch
from cobot.services.reports import Reports
from cobot.services.timeline import TimelinePicture
from cobot.services.timeline import Timelines
from cobot.slack import kit
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks import home as blocks
from cobot.slack.commands import Command
from cobot.slack.commands import CommandRequest
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import Reply
from cobot.slack.kit import Press
from cobot.slack.listeners.endings import send_export
from cobot.slack.payloads import user_id as _user

log = logging.getLogger(__name__)

STALE = "That button is out of date, so nothing was changed."
# changes less than this many seconds apart are one burst: it republishes each Home once
COALESCE_SECONDS = 0.3
# a burst that goes on and on still refreshes Homes this often
MAX_COALESCE_SECONDS = 3.0


# other features' Home sections for one person (team id, user id), e.g. polls they run
Extra = Callable[[str, str], list[dict[str, Any]]]


class HomeRefresher:
    """Republishes people's Homes: at once for one person, or in the background for what
    transactions touched, for the people who have opened their Home only.

    A burst of changes (many transactions close together) republishes each Home once: the
    background thread waits until changes have been quiet for `delay` seconds (but never
    more than `max_wait` after the first), takes everything queued (a set: duplicates
    drop out) and publishes each person concerned once."""

    def __init__(
        self,
        *,
        home: Home,
        client: WebClient,
        delay: float = COALESCE_SECONDS,
        max_wait: float = MAX_COALESCE_SECONDS,
        extra: Extra | None = None,
    ) -> None:
        self._home = home
        self._extra = extra
        self._client = client
        self._delay = delay
        self._max_wait = max_wait
        self._pending: set[Touch] = set()
        self._first = self._last = 0.0
        self._focus: dict[str, int] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def focus(self, user_id: str, project_id: int) -> None:
        """Which coordinated project `user_id`'s Home details (kept in memory)."""
        self._focus[user_id] = project_id

    def opened(self, *, team_id: str, user_id: str, client: WebClient | None = None) -> bool:
        """Someone opened their Home: note it (so changes keep it fresh) and publish it now,
        built from the current state."""
        try:
            self._home.opened(team_id=team_id, user_id=user_id)
        except SQLAlchemyError:  # they still get their Home; the next open notes it
            log.exception("could not note that a Home was opened")
        return self.publish(team_id=team_id, user_id=user_id, client=client)

    def publish(self, *, team_id: str, user_id: str, client: WebClient | None = None) -> bool:
        """Build and publish one person's Home now; False when Slack refused it."""
        view = self._home.home(team_id=team_id, user_id=user_id, focus=self._focus.get(user_id))
        more = self._extra(team_id, user_id) if self._extra is not None else []
        try:
            (client or self._client).views_publish(
                user_id=user_id, view=blocks.home_view(view, extra=more)
            )
        except SlackApiError as exc:
            log.warning("could not publish a Home: %s", exc.response.get("error"))
            return False
        return True

    def request(self, touches: frozenset[Touch]) -> None:
        """Queue Homes to refresh for what a committed transaction touched (returns at once)."""
        with self._wake:
            if self._stopping:
                return
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending.update(touches)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cobot-home-refresh", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the background thread (what is queued is dropped: Homes refresh on open)."""
        with self._wake:
            self._stopping = True
            self._pending.clear()
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _take_burst(self) -> frozenset[Touch] | None:
        """Wait for a burst of changes to end; what it touched (None: stopping)."""
        with self._wake:
            while not self._stopping:
                if not self._pending:
                    self._wake.wait()
                    continue
                now = time.monotonic()
                quiet_at = min(self._last + self._delay, self._first + self._max_wait)
                if now >= quiet_at:
                    touches, self._pending = frozenset(self._pending), set()
                    return touches
                self._wake.wait(quiet_at - now)
            return None

    def _run(self) -> None:
        while (touches := self._take_burst()) is not None:
            try:
                people = self._home.audience(touches)
            except SQLAlchemyError:  # the database may be gone for a moment; Homes refresh on open
                log.exception("could not work out whose Home to refresh")
                continue
            for team_id, user_id in sorted(people):
                if self._stopping:
                    return
                try:
                    self.publish(team_id=team_id, user_id=user_id)
                except (
                    SQLAlchemyError,
                    SlackClientError,
                    OSError,
                ):  # one Home must not stop others
                    log.exception("could not refresh a Home")


class HomeRespond:
    """`respond` for actions pressed on a Home (which has no response_url): answers the
    person in their DM with cobot."""

    def __init__(self, client: WebClient, user_id: str) -> None:
        self._client = client
        self._user_id = user_id

    def __call__(
        self, text: str = "", blocks: list[dict[str, Any]] | None = None, **_: Any
    ) -> None:
        kit.dm(self._client, self._user_id, text, blocks=blocks or None, what="a Home's answer")


def from_home(body: dict[str, Any]) -> bool:
    """Whether an interaction came from someone's Home tab."""
    view = body.get("view") or {}
    return (
        body.get("type") == "block_actions"
        and isinstance(view, dict)
        and view.get("type") == "home"
        and not body.get("response_url")
    )


@dataclass(frozen=True)
class Deps:
    """What the Home's listeners call."""

    home: Home
    timelines: Timelines
    refresher: HomeRefresher
    reports: Reports | None = None


# a Home has no response_url: refusals are answered in the person's DM (`home_respond`)
listen = kit.Listeners(group=blocks.GROUP)


def register(
    app: App,
    router: CommandRouter,
    *,
    home: Home,
    timelines: Timelines,
    client: WebClient,
    reports: Reports | None = None,
    extra: Extra | None = None,
) -> HomeRefresher:
    """Wire the Home tab, its buttons and `/cobot timeline`; returns the refresher (to feed
    with changes, and to close on shutdown)."""
    refresher = HomeRefresher(home=home, client=client, extra=extra)
    deps = Deps(home=home, timelines=timelines, refresher=refresher, reports=reports)
    app.use(home_respond)
    app.event("app_home_opened")(partial(on_home_opened, refresher))
    listen.wire(app, router, deps, _COMMANDS)
    return refresher


def home_respond(
    body: dict[str, Any], context: BoltContext, client: WebClient, next_: Callable[[], None]
) -> None:
    """Middleware: actions from a Home answer in the person's DM (Homes have no response_url)."""
    if from_home(body):
        context["respond"] = HomeRespond(client, _user(body))
    next_()


def on_home_opened(
    refresher: HomeRefresher, event: dict[str, Any], body: dict[str, Any], client: WebClient
) -> None:
    """Someone opened their Home: publish it fresh."""
    if event.get("tab", "home") != "home":
        return
    team_id = str(body.get("team_id") or event.get("view", {}).get("team_id") or "")
    refresher.opened(team_id=team_id, user_id=str(event["user"]), client=client)


# ---------------------------------------------------------------- the Home's own buttons


# the project's agreement, in a modal; the person's check-in settings (the check-ins
# feature's own modal and handler)
listen.opens(
    blocks.AGREEMENT, "home.agreement", blocks.agreement_modal, key="project_id", stale=STALE
)
listen.opens(
    blocks.CHECKIN_SETTINGS,
    "home.checkin_settings",
    checkin_blocks.settings_modal,
    key="project_id",
    stale=STALE,
)


@listen.button(blocks.RETRY)
def retry(deps: Deps, press: Press) -> None:
    """Send a failed delivery again."""
    result = deps.home.retry(**press.caller, delivery_id=press.id(STALE))
    deps.refresher.publish(**press.caller, client=press.client)
    press.dm(blocks.retried_text(result))


@listen.button(blocks.TIMELINE)
def show_timeline(deps: Deps, press: Press) -> None:
    """The project's timeline picture, to the person's DM."""
    plan = deps.timelines.plan(**press.caller, project_id=press.id(STALE))
    picture = deps.timelines.draw(plan)
    kit.dm_files(
        press.client,
        press.user,
        [(picture.filename, blocks.timeline_title(picture), picture.content)],
        comment=blocks.timeline_comment(picture),
        what="a timeline picture",
    )


@listen.button(blocks.FOCUS)
def focus(deps: Deps, press: Press) -> None:
    """Show one project on the Home."""
    project_id = press.id(STALE)
    deps.refresher.focus(press.user, project_id)
    deps.refresher.publish(**press.caller, client=press.client)


@listen.button(blocks.EXPORT)
def export(deps: Deps, press: Press) -> None:
    """The project's report and exports, to the coordinator's DM."""
    if deps.reports is None:
        raise AccessError("Exports are not available here.")
    channel_id = deps.home.coordinated_channel(**press.caller, project_id=press.id(STALE))
    # the reports feature's own public service, which checks the coordinator again
    files = deps.reports.export(team_id=press.team, channel_id=channel_id, user_id=press.user)
    send_export(press.client, press.user, files)


# ---------------------------------------------------------------- /cobot timeline


def timeline_command(deps: Deps, request: CommandRequest, tools: Any) -> Reply | None:
    """`/cobot timeline`: acked first, the picture follows in the channel."""
    plan = deps.timelines.plan(**request.caller)
    tools.ack(text=":bar_chart: Drawing the timeline: it will appear in this channel.")
    picture = deps.timelines.draw(plan)
    try:
        _upload(tools.client, request.channel_id, picture)
    except SlackApiError as exc:
        log.warning("could not upload a timeline picture: %s", exc.response.get("error"))
        kit.dm(
            tools.client,
            request.user_id,
            "I couldn't upload the timeline picture to the channel. Is cobot a member of "
            "it? Invite it with `/invite @cobot` and try again.",
        )
    return None


def _upload(client: WebClient, channel: str, picture: TimelinePicture) -> None:
    client.files_upload_v2(
        channel=channel,
        content=picture.content,
        filename=picture.filename,
        title=blocks.timeline_title(picture),
        initial_comment=blocks.timeline_comment(picture),
    )


# ---------------------------------------------------------------- commands, in /cobot help order

_COMMANDS = (
    Command(
        "timeline",
        "a picture of the sessions and the work between them (coordinators)",
        timeline_command,
    ),
)
