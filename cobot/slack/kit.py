"""The Slack interaction kit: form inputs paired with their readers, stale ids, and the
`action()` / `view()` registrations that ack, catch refusals and field errors, and reply."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from functools import partial
from operator import attrgetter
from typing import Any
from typing import TypedDict
from typing import TypeVar

from slack_bolt import Ack
from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError

from cobot.domain.durations import DurationError
from cobot.domain.durations import parse_duration
from cobot.services.access import AccessError
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import mention
from cobot.slack.blocks.forms import INPUT
from cobot.slack.blocks.forms import Form
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import CommandTable
from cobot.slack.commands import add_commands
from cobot.slack.payloads import action_value
from cobot.slack.payloads import mentioned_user
from cobot.slack.payloads import parse_id
from cobot.slack.payloads import state_values
from cobot.slack.payloads import team_id
from cobot.slack.payloads import user_id

log = logging.getLogger(__name__)

STALE = "That button or form is out of date, so nothing was changed."


# ---------------------------------------------------------------- refusals and field errors


class Stale(AccessError):
    """A forged or outdated id in a button value or a modal's private_metadata."""

    def __init__(self, message: str = STALE) -> None:
        super().__init__(message)


class FormError(ValueError):
    """Typed values could not be read; `problems` are messages for the person, by block id."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def stale_id(raw: Any, message: str = STALE) -> int:
    """An id from a button value or private_metadata; anything else raises Stale."""
    found = parse_id(raw)
    if found is None:
        raise Stale(message)
    return found


def field_errors(
    exc: AccessError | FormError, fallback: str, rename: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a modal shows under its inputs: a form error's problems, a service's per-field
    `errors` (InvalidFields, FormRejected), or the refusal under `fallback`."""
    if isinstance(exc, FormError):
        found: dict[str, str] = exc.problems
    else:
        errors = getattr(exc, "errors", None)
        found = errors if isinstance(errors, dict) else {fallback: exc.message}
    names = rename or {}
    return {names.get(k, k): v for k, v in found.items()}


def mentions(words: Iterable[str], *, not_one: Callable[[str], str], none: str) -> list[str] | str:
    """The user ids the words mention, or what is wrong: `not_one` of the first word that is
    not a mention (cut to 40 characters to show back), or `none` when nobody is named."""
    users = []
    for word in words:
        found = mentioned_user(word)
        if found is None:
            return not_one(word if len(word) <= 40 else word[:37] + "...")
        users.append(found)
    return users or none


def read_duration(form: Form, block_id: str, problems: dict[str, str]) -> timedelta | None:
    """A duration input (empty means 2h); None, and a problem under `block_id`, when what
    was typed is not a duration."""
    typed = form.text(block_id).strip() or "2h"
    try:
        return parse_duration(typed)
    except DurationError:
        problems[block_id] = f"“{typed[:40]}” is not a duration: try 2h, 90m or 1h30m."
        return None


# ---------------------------------------------------------------- answering

# anything between angle brackets: a mention, a link, @channel or a date token
_TOKEN = re.compile(r"(<[^<>]*>)")


def refusal(message: str) -> str:
    """A refusal (AccessError.message) to show in mrkdwn: cobot wrote it, but it may name
    people with <@U…> mentions (NotCoordinator names the coordinators), which stay
    mentions; everything else is escaped, so no link, @channel or date comes from it."""
    return "".join(
        part if mentioned_user(part) is not None else escape(part) for part in _TOKEN.split(message)
    )


def dm(
    client: Any,
    user: str,
    text: str,
    *,
    blocks: list[dict[str, Any]] | None = None,
    what: str = "an answer",
) -> None:
    """Tell the person in their DM with cobot (a closed modal or a Home has nowhere else);
    a failure is logged as `what` (never the text: it may be personal)."""
    try:
        client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not send %s in a DM: %s", what, exc.response.get("error"))


def dm_files(
    client: Any, user: str, files: list[tuple[str, str, str | bytes]], *, comment: str, what: str
) -> None:
    """Upload (filename, title, content) files to the person's DM with cobot; a failure is
    logged as `what` (never the contents: they may be personal)."""
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": content, "filename": name, "title": title}
                for name, title, content in files
            ],
            initial_comment=comment,
        )
    except SlackApiError as exc:
        log.warning("could not send %s: %s", what, exc.response.get("error"))


def tell(respond: Respond, text: str) -> None:
    """An ephemeral answer to whoever pressed, leaving the message as it was."""
    respond(text=text, response_type="ephemeral", replace_original=False)


# ---------------------------------------------------------------- buttons


class Caller(TypedDict):
    """Who acted, in which workspace: the keywords every feature's service takes first
    (`service.method(**press.caller, ...)`)."""

    team_id: str
    user_id: str


@dataclass(frozen=True)
class _Interaction:
    """What every interaction payload says: the workspace and who acted."""

    body: dict[str, Any]

    @property
    def caller(self) -> Caller:
        """Who acted, as keyword arguments for a service."""
        return Caller(team_id=self.team, user_id=self.user)

    @property
    def team(self) -> str:
        return team_id(self.body)

    @property
    def user(self) -> str:
        return user_id(self.body)


@dataclass(frozen=True)
class Press(_Interaction):
    """A button (or other block action) pressed: who, where, and how to answer."""

    client: Any
    respond: Respond

    @property
    def value(self) -> str:
        return action_value(self.body)

    @property
    def action_id(self) -> str:
        actions = self.body.get("actions") or [{}]
        return str(actions[0].get("action_id") or "")

    @property
    def message(self) -> dict[str, Any]:
        found = self.body.get("message")
        return found if isinstance(found, dict) else {}

    def id(self, message: str = STALE) -> int:
        """The id in the button's value, or Stale."""
        return stale_id(self.value, message)

    def open(self, view: dict[str, Any]) -> None:
        """Open a modal on the press's trigger."""
        self.client.views_open(trigger_id=self.body["trigger_id"], view=view)

    def tell(self, text: str) -> None:
        """Answer just the presser, leaving the message."""
        tell(self.respond, text)

    def replace(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Replace the message the button was in."""
        if blocks is None:
            self.respond(text=text, replace_original=True)
        else:
            self.respond(text=text, blocks=blocks, replace_original=True)

    def dm(
        self, text: str, *, blocks: list[dict[str, Any]] | None = None, what: str = "an answer"
    ) -> None:
        """Answer in the presser's DM with cobot (see `dm`)."""
        dm(self.client, self.user, text, blocks=blocks, what=what)


ActionHandler = Callable[[Press], None]


def action(app: App, action_id: Any, handler: ActionHandler) -> None:
    """Register a block action: ack at once, then run `handler`; a refusal (AccessError and
    its subclasses) goes to the presser ephemerally (from a Home, which has no response_url,
    in their DM: listeners/home.py's middleware gives such presses a `respond` that DMs)."""

    def listener(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        press = Press(body=body, client=client, respond=respond)
        try:
            handler(press)
        except AccessError as exc:
            press.tell(exc.message)

    app.action(action_id)(listener)


# ---------------------------------------------------------------- modals


@dataclass(frozen=True)
class Submission(_Interaction):
    """A modal submitted: who, the form's values and its metadata."""

    view: dict[str, Any]
    client: Any

    @property
    def metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def view_id(self) -> str | None:
        """The open view's id (a form id for idempotent saves); None when absent."""
        return str(self.view.get("id") or "") or None

    @property
    def values(self) -> dict[str, Any]:
        return state_values(self.view)

    def form(self, action_id: str = INPUT) -> Form:
        """The values, read by block id."""
        return Form(self.values, action_id)

    def id(self, message: str = STALE) -> int:
        """The id in private_metadata, or Stale."""
        return stale_id(self.view.get("private_metadata"), message)


@dataclass(frozen=True)
class Answer:
    """What a view handler answers: close (default) or show `view`; then DM `dm` and run
    `then`, both after the ack (Slack waits 3 seconds for it)."""

    view: dict[str, Any] | None = None
    dm: str | None = None
    then: Callable[[], None] | None = field(default=None, compare=False)


ViewHandler = Callable[[Submission], Answer | None]


def view(
    app: App,
    callback_id: str,
    handler: ViewHandler,
    *,
    fallback: str,
    rename: Mapping[str, str] | None = None,
) -> None:
    """Register a modal submission: run `handler`; field errors and refusals go back under
    the inputs (`response_action: errors`, a plain refusal under `fallback`); otherwise ack
    (closing, or updating to the answer's view), then DM and run what comes after."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        submitted = Submission(body=body, view=view, client=client)
        try:
            answer = handler(submitted) or Answer()
        except (AccessError, FormError) as exc:
            ack(response_action="errors", errors=field_errors(exc, fallback, rename))
            return
        if answer.view is not None:
            ack(response_action="update", view=answer.view)
        else:
            ack()
        if answer.dm is not None:
            dm(client, submitted.user, answer.dm)
        if answer.then is not None:
            answer.then()

    app.view(callback_id)(listener)


# ---------------------------------------------------------------- a feature, wired

H = TypeVar("H", bound=Callable[..., Any])


class Listeners:
    """One feature's buttons and modals, declared on their handlers (module-level functions
    taking the feature's services first):

        listen = kit.Listeners(group="Sessions")

        @listen.button(CANCEL_ACTION)
        def on_cancel(sessions: Sessions, press: Press) -> None: ...

    `wire` registers them, and the feature's command table, with the services bound."""

    def __init__(self, *, group: str = "") -> None:
        self.group = group
        self._buttons: list[tuple[Any, Callable[..., None]]] = []
        self._forms: list[tuple[str, Callable[..., Answer | None], str, Mapping[str, str]]] = []
        # the service methods `opens` names, and the services they were last wired with
        self._named: list[str] = []
        self._wired: Any = None

    def button(self, *action_ids: Any) -> Callable[[H], H]:
        """The handler of these block actions (ids or patterns), as `action()` runs it."""

        def add(handler: H) -> H:
            self._buttons += [(action_id, handler) for action_id in action_ids]
            return handler

        return add

    def opens(
        self,
        action_id: str,
        form: str,
        modal: Callable[[Any], dict[str, Any]],
        *,
        key: str,
        stale: str = STALE,
    ) -> None:
        """A button that opens `modal` on what the service method named `form` gives the
        presser for the id in the button's value, passed as `key`; a dotted name reaches the
        service in the feature's deps ("endings.feelings_form")."""
        method = attrgetter(form)
        self._named.append(form)

        def open_form(deps: Any, press: Press) -> None:
            press.open(modal(method(deps)(**press.caller, **{key: press.id(stale)})))

        self._buttons.append((action_id, open_form))

    def form(
        self, callback_id: str, *, fallback: str, rename: Mapping[str, str] | None = None
    ) -> Callable[[H], H]:
        """The handler of this modal's submission, as `view()` runs it."""

        def add(handler: H) -> H:
            self._forms.append((callback_id, handler, fallback, rename or {}))
            return handler

        return add

    def wire(self, app: App, router: CommandRouter, deps: Any, commands: CommandTable = ()) -> None:
        """Register the subcommands (listed in help under `group`), buttons and modals, each
        handler bound to the feature's services `deps` first."""
        self._wired = deps
        add_commands(router, commands, group=self.group, deps=deps)
        for action_id, press in self._buttons:
            action(app, action_id, partial(press, deps))
        for callback_id, submit, fallback, rename in self._forms:
            view(app, callback_id, partial(submit, deps), fallback=fallback, rename=rename)

    def unresolved(self) -> list[str]:
        """The method names `opens` was given that the services it was last wired with do
        not have (a test checks a real runtime's are all there: names are not type-checked)."""
        return [name for name in self._named if not _resolves(self._wired, name)]


def _resolves(deps: Any, name: str) -> bool:
    try:
        return callable(attrgetter(name)(deps))
    except AttributeError:
        return False


__all__ = [
    "INPUT",
    "STALE",
    "Answer",
    "Caller",
    "Form",
    "FormError",
    "Listeners",
    "Press",
    "Stale",
    "Submission",
    "action",
    "dm",
    "dm_files",
    "field_errors",
    "mention",
    "mentioned_user",
    "mentions",
    "read_duration",
    "refusal",
    "stale_id",
    "tell",
    "view",
]
