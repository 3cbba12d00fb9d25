"""Install to any workspace: Bolt's OAuth flow on slack-sdk's SQLAlchemy stores, in cobot's
own database, and a Web API client per workspace.

When SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and COBOT_PUBLIC_URL are set, GET /slack/install
shows the "Add to Slack" page and GET /slack/oauth_redirect finishes the install: Bolt checks
the state (cookie and database), exchanges the code at oauth.v2.access and saves the
installation here, bot token encrypted (cobot.storage.models.installations). Every request
is then authorised from the installation store (Bolt's InstallationStoreAuthorize), every
delivery is sent with its workspace's token (`WorkspaceClients`), and `app_uninstalled` /
`tokens_revoked` stop that workspace (cobot.services.workspaces).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from slack_bolt import App
from slack_bolt import BoltContext
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine

from cobot.config import Settings
from cobot.services.ports import Messenger
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError
from cobot.services.workspaces import StopReason
from cobot.services.workspaces import Workspaces
from cobot.slack.web import GatedWebClient
from cobot.slack.web import RateGate
from cobot.slack.web import SlackMessenger
from cobot.slack.web import make_web_client
from cobot.storage.models.installations import slack_bots
from cobot.storage.models.installations import slack_installations
from cobot.storage.models.installations import slack_oauth_states

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# what cobot asks each workspace for: the manifest's bot scopes (tests/unit/test_manifest.py)
BOT_SCOPES = (
    "commands", "chat:write", "users:read", "channels:read", "groups:read", "files:write",
    # an expense form's receipt upload (Block Kit's file_input needs it)
    "files:read",
)  # fmt: skip
STATE_SECONDS = 600
# a workspace's token is looked up again after this long (an uninstall elsewhere shows)
TOKEN_CACHE_SECONDS = 60.0
NOT_INSTALLED = "workspace_not_installed"


class CobotInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store on cobot's engine and tables.

    The tables are cobot's (created by its migration, never by create_tables()); their token
    columns encrypt on write and decrypt on read (SecretText), so save() stores no token in
    clear and find_bot()/find_installation() hand Bolt plain tokens. Saving an installation
    also notes its workspace, so its deliveries start (again)."""

    def __init__(self, *, client_id: str, engine: Engine, workspaces: Workspaces) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = slack_installations.metadata
        self.installations = slack_installations
        self.bots = slack_bots
        self._workspaces = workspaces
        # told which workspaces an install covered (WorkspaceClients drops their cache)
        self.on_saved: Callable[[list[str]], None] | None = None

    def create_tables(self) -> None:
        raise RuntimeError("cobot's tables come from its migrations: run `cobot db upgrade`")

    def save(self, installation: Installation) -> None:
        super().save(installation)
        org = bool(installation.is_enterprise_install)
        teams = [installation.team_id] if installation.team_id and not org else []
        if org and installation.enterprise_id:
            # an org-wide install: the workspaces already seen in the organisation resume
            teams += self._workspaces.org_teams(installation.enterprise_id)
        self._workspaces.installed(
            team_ids=teams, enterprise_id=installation.enterprise_id, org=org
        )
        if self.on_saved is not None:
            self.on_saved(teams)
        log.info("cobot was installed (%s)", "organisation-wide" if org else "one workspace")


class CobotStateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's SQLAlchemy OAuth state store on cobot's engine and table: a state is good
    once, for ten minutes, in whichever process the redirect reaches."""

    def __init__(self, *, engine: Engine) -> None:
        super().__init__(expiration_seconds=STATE_SECONDS, engine=engine, logger=log)
        self.metadata = slack_oauth_states.metadata
        self.oauth_states = slack_oauth_states

    def create_tables(self) -> None:
        raise RuntimeError("cobot's tables come from its migrations: run `cobot db upgrade`")


class _NoCodes(logging.Filter):
    """Bolt logs a failed exchange with the code it tried: keep the code out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "with code:" in message:
            record.msg = "the OAuth code exchange failed (oauth.v2.access refused it)"
            record.args = ()
        return True


def authorize_url(settings: Settings) -> str:
    """Where Slack's "Add to Slack" page is: beside the Web API (the emulator's in tests)."""
    base = settings.slack_api_url.removesuffix("/").removesuffix("/api")
    return f"{base}/oauth/v2/authorize"


def build_oauth_flow(
    settings: Settings, *, engine: Engine, client: WebClient, store: CobotInstallationStore
) -> OAuthFlow:
    """Bolt's OAuth flow, with cobot's stores, scopes and public redirect URL."""
    assert settings.slack_client_id and settings.slack_client_secret and settings.public_url
    # under cobot.bolt, which `cobot run` keeps at INFO or above: Bolt's DEBUG lines quote
    # the redirect's query (the code); the one WARNING that names the code is rewritten
    flow_log = logging.getLogger("cobot.bolt.oauth")
    flow_log.addFilter(_NoCodes())
    flow = OAuthFlow(
        client=client,
        logger=flow_log,
        settings=OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=f"{settings.public_url}{REDIRECT_PATH}",
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=authorize_url(settings),
            installation_store=store,
            installation_store_bot_only=True,
            state_store=CobotStateStore(engine=engine),
            state_expiration_seconds=STATE_SECONDS,
            logger=flow_log,
        ),
    )
    return flow


class WorkspaceClients:
    """One gated Web API client per workspace, with that workspace's bot token from the
    installation store (cached briefly); all share one RateGate, which keeps each
    workspace's budget apart (Slack's limits are per workspace per app)."""

    def __init__(
        self,
        *,
        store: CobotInstallationStore,
        workspaces: Workspaces,
        base_url: str,
        gate: RateGate,
        ttl: float = TOKEN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._workspaces = workspaces
        # a workspace installed (again) in this process is served at once, not after the TTL
        store.on_saved = self.forget
        self._base_url = base_url
        self._gate = gate
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, GatedWebClient | None]] = {}
        # who is in which workspace, as requests show it (people's ids are per workspace)
        self._people: dict[str, str] = {}

    def client(self, team_id: str | None) -> GatedWebClient | None:
        """The client for `team_id`, or None when cobot is not installed there."""
        if team_id is None:
            return None
        now = self._clock()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        route = self._workspaces.route(team_id)
        bot = None
        if route is not None:
            bot = self._store.find_bot(
                enterprise_id=route.enterprise_id,
                team_id=None if route.org_install else team_id,
                is_enterprise_install=route.org_install,
            )
        client = None
        if bot is not None and bot.bot_token:
            client = make_web_client(
                token=bot.bot_token, base_url=self._base_url, gate=self._gate, workspace=team_id
            )
        with self._lock:
            self._cache[team_id] = (now, client)
        return client

    def forget(self, team_ids: list[str]) -> None:
        """Drop cached clients (installed again, or uninstalled)."""
        with self._lock:
            for team_id in team_ids:
                self._cache.pop(team_id, None)

    def note(self, user_id: str | None, team_id: str | None) -> None:
        """A request showed `user_id` in `team_id`."""
        if user_id and team_id:
            with self._lock:
                self._people[user_id] = team_id

    def team_of(self, user_id: str) -> str | None:
        """The workspace a person is in: as requests showed it, else from their projects."""
        with self._lock:
            known = self._people.get(user_id)
        if known is not None:
            return known
        found = self._workspaces.team_of(user_id)
        if found is not None:
            self.note(user_id, found)
        return found

    def messenger(self, team_id: str | None) -> Messenger:
        """The Messenger for deliveries to `team_id`."""
        client = self.client(team_id)
        return _Uninstalled() if client is None else SlackMessenger(client)


class _Uninstalled:
    """A workspace cobot is not installed in: a message for it cannot go."""

    def post(self, target: str, message: OutgoingMessage) -> PostedMessage:  # noqa: ARG002
        raise SlackSendError(NOT_INSTALLED, permanent=True)


_PERSON_ARGS = ("user", "user_id", "users", "channel")


class RoutingWebClient(GatedWebClient):
    """The process-wide client in OAuth mode: a call about a person (users.info, a Home's
    views.publish, conversations.open) goes out with the token of that person's workspace.
    Calls that carry their own token or credentials (oauth.v2.access, Bolt's auth.test)
    go as they are."""

    def __init__(self, *, clients: WorkspaceClients, base_url: str, gate: RateGate) -> None:
        plain = make_web_client(token=None, base_url=base_url, gate=gate)
        super().__init__(
            token=None,
            base_url=base_url,
            timeout=plain.timeout,
            retry_handlers=list(plain.retry_handlers),
            gate=gate,
        )
        self._clients = clients

    def api_call(self, api_method: str, *, http_verb: str = "POST", **kwargs: Any) -> SlackResponse:
        if "auth" not in kwargs and not _token_given(kwargs):
            user = _person_in(kwargs)
            team = self._clients.team_of(user) if user else None
            client = self._clients.client(team)
            if client is not None:
                return client.api_call(api_method, http_verb=http_verb, **kwargs)
        return super().api_call(api_method, http_verb=http_verb, **kwargs)


def _token_given(kwargs: dict[str, Any]) -> bool:
    return any(
        isinstance(kwargs.get(part), dict) and kwargs[part].get("token")
        for part in ("params", "data", "json")
    )


def _person_in(kwargs: dict[str, Any]) -> str | None:
    for part in ("params", "data", "json"):
        values = kwargs.get(part)
        if not isinstance(values, dict):
            continue
        for name in _PERSON_ARGS:
            value = values.get(name)
            if isinstance(value, str) and value[:1] in ("U", "W"):
                return value.split(",", 1)[0]
    return None


def workspace_of(body: dict[str, Any]) -> str | None:
    """The workspace a request came from, from the payload (events, commands, actions)."""
    team = body.get("team")
    candidates = [
        body.get("context_team_id"),
        body.get("team_id"),
        team.get("id") if isinstance(team, dict) else team,
        (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None,
        (body.get("event") or {}).get("team") if isinstance(body.get("event"), dict) else None,
    ]
    return next((str(c) for c in candidates if isinstance(c, str) and c), None)


def register_oauth(app: App, *, clients: WorkspaceClients, workspaces: Workspaces) -> None:
    """Note who is in which workspace (and org-wide installs' workspaces) on every request,
    and stop a workspace when Slack says cobot was uninstalled or its token revoked."""

    noted: set[tuple[str, str | None, bool]] = set()
    noted_lock = threading.Lock()

    def note_workspace(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],  # noqa: A002
    ) -> None:
        # an org-wide install authorises the organisation, not a workspace: the workspace
        # an event or action came from is in the payload itself
        team_id, enterprise_id = workspace_of(body) or context.team_id, context.enterprise_id
        org = bool(context.is_enterprise_install)
        clients.note(context.user_id, team_id)
        if team_id and org:
            key = (team_id, enterprise_id, org)
            with noted_lock:
                fresh = key not in noted
                noted.add(key)
            if fresh:
                workspaces.seen(team_id=team_id, enterprise_id=enterprise_id, org=org)
        next()

    app.middleware(note_workspace)

    def stop(body: dict[str, Any], context: BoltContext, reason: StopReason) -> None:
        org = bool(context.is_enterprise_install)
        team_id = context.team_id or workspace_of(body)
        stopped = workspaces.stop(
            team_id=None if org else team_id,
            enterprise_id=context.enterprise_id,
            org=org,
            reason=reason,
        )
        store = app.installation_store
        if store is not None:
            store.delete_bot(enterprise_id=context.enterprise_id, team_id=None if org else team_id)
            store.delete_installation(
                enterprise_id=context.enterprise_id, team_id=None if org else team_id
            )
        clients.forget(stopped)

    @app.event("app_uninstalled")
    def on_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        stop(body, context, StopReason.UNINSTALLED)

    @app.event("tokens_revoked")
    def on_tokens_revoked(
        body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        # cobot holds bot tokens only: a revoked user token changes nothing it does
        if (event.get("tokens") or {}).get("bot"):
            stop(body, context, StopReason.TOKENS_REVOKED)


_BROKEN_PAGE = (
    "<html><head><title>cobot could not be installed</title></head><body>"
    "<h2>cobot could not be installed</h2>"
    "<p>Something went wrong on cobot's side and nothing was saved. "
    f'Please <a href="{INSTALL_PATH}">start the install again</a> in a minute.</p>'
    "</body></html>"
)


def oauth_page(
    flow: OAuthFlow, environ: WSGIEnvironment, headers: dict[str, str | Sequence[str]]
) -> BoltResponse:
    """GET /slack/install (the "Add to Slack" page, setting the state cookie) or GET
    /slack/oauth_redirect (Bolt checks the state, exchanges the code, stores the install).

    A bad, reused or expired state, a refused code or a cancelled install is Bolt's HTML
    page saying so (4xx); anything that breaks on cobot's side is a plain HTML page that
    names nothing of the request. Neither shows a secret: the client secret never leaves
    the oauth.v2.access call and the code is never logged."""
    request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=headers)
    install = environ.get("PATH_INFO") == INSTALL_PATH
    try:
        response = flow.handle_installation(request) if install else flow.handle_callback(request)
    except Exception as error:  # the store or the database: say so in HTML, log no details
        log.error("the install page failed: %s", type(error).__name__)
        response = BoltResponse(status=503, body=_BROKEN_PAGE)
    if response.status >= 500:
        log.error("the install could not be stored (Bolt answered %d)", response.status)
        response = BoltResponse(status=503, body=_BROKEN_PAGE)
    # every answer here is a page for a browser, and one a cache must not keep (the state
    # cookie); http.py writes it to WSGI as it writes Bolt's other answers
    response.headers["content-type"] = ["text/html; charset=utf-8"]
    response.headers["cache-control"] = ["no-store"]
    return response
