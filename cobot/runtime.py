"""The one composition root: engine, scheduler, services and the Bolt app."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.oauth import OAuthFlow
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.config import Settings
from cobot.metrics import CONTENT_TYPE
from cobot.metrics import Metrics
from cobot.metrics import TimedMessenger
from cobot.scheduling import context
from cobot.scheduling.alarms import AlarmClock
from cobot.scheduling.leader import Leadership
from cobot.services import debriefs as debriefs_service
from cobot.services import feeds as feeds_service
from cobot.services import involvement as involvement_service
from cobot.services import reminders as reminders_service
from cobot.services.checkins import Checkins
from cobot.services.checkins import checkin_kinds
from cobot.services.debriefs import Debriefs
from cobot.services.debriefs import debrief_kinds
from cobot.services.deliveries import DeliveryKinds
from cobot.services.deliveries import DeliveryRunner
from cobot.services.deliveries import core_kinds
from cobot.services.deliveries import install_alarm_hook
from cobot.services.deliveries import register_all
from cobot.services.endings import Endings
from cobot.services.endings import ending_kinds
from cobot.services.events import EventLedger
from cobot.services.feeds import Feeds
from cobot.services.feeds import feed_kinds
from cobot.services.governance import Governance
from cobot.services.governance import governance_kinds
from cobot.services.home import Home
from cobot.services.home import watch_changes
from cobot.services.involvement import Involvement
from cobot.services.involvement import involvement_kinds
from cobot.services.perspectives import Perspectives
from cobot.services.polls import Polls
from cobot.services.polls import poll_kinds
from cobot.services.ports import Clock
from cobot.services.ports import SystemClock
from cobot.services.privacy import Privacy
from cobot.services.projects import Projects
from cobot.services.reminders import Reminders
from cobot.services.reminders import reminder_kinds
from cobot.services.reports import Reports
from cobot.services.reviews import Reviews
from cobot.services.reviews import review_kinds
from cobot.services.session_changes import SessionChanges
from cobot.services.sessions import Sessions
from cobot.services.sessions import session_kinds
from cobot.services.timeline import Timelines
from cobot.services.workspaces import Workspaces
from cobot.slack.app import build_app
from cobot.slack.blocks.checkins import checkin_message
from cobot.slack.blocks.checkins import contact_message
from cobot.slack.blocks.debriefs import debrief_message
from cobot.slack.blocks.endings import ending_message
from cobot.slack.blocks.feeds import feed_message
from cobot.slack.blocks.governance import governance_message
from cobot.slack.blocks.involvement import involvement_message
from cobot.slack.blocks.polls import home_poll_blocks
from cobot.slack.blocks.polls import poll_message
from cobot.slack.blocks.reminders import reminder_message
from cobot.slack.blocks.reviews import review_message
from cobot.slack.blocks.sessions import announcement_message
from cobot.slack.commands import CommandRouter
from cobot.slack.directory import SlackDirectory
from cobot.slack.http import CobotWsgi
from cobot.slack.http import Page
from cobot.slack.http import Route
from cobot.slack.listeners import checkins as checkins_listeners
from cobot.slack.listeners import debriefs as debriefs_listeners
from cobot.slack.listeners import endings as endings_listeners
from cobot.slack.listeners import feeds as feeds_listeners
from cobot.slack.listeners import governance as governance_listeners
from cobot.slack.listeners import home as home_listeners
from cobot.slack.listeners import involvement as involvement_listeners
from cobot.slack.listeners import polls as polls_listeners
from cobot.slack.listeners import projects as projects_listeners
from cobot.slack.listeners import reminders as reminders_listeners
from cobot.slack.listeners import reviews as reviews_listeners
from cobot.slack.listeners import sessions as sessions_listeners
from cobot.slack.oauth import CobotInstallationStore
from cobot.slack.oauth import RoutingWebClient
from cobot.slack.oauth import WorkspaceClients
from cobot.slack.oauth import build_oauth_flow
from cobot.slack.oauth import register_oauth
from cobot.slack.web import GatedWebClient
from cobot.slack.web import RateGate
from cobot.slack.web import SlackMessenger
from cobot.slack.web import gate_bolt_clients
from cobot.slack.web import make_web_client
from cobot.storage import crypto
from cobot.storage.db import create_db_engine
from cobot.storage.db import session_factory
from cobot.storage.migrate import current_revision
from cobot.storage.migrate import head_revision

log = logging.getLogger(__name__)

# on SIGTERM, sends under way get this long to be posted and recorded (systemd waits 90 s,
# Kubernetes 30 s, before killing)
DRAIN_SECONDS = 20.0
METRICS_PATH = "/metrics"


def register_listeners(
    app: App,
    router: CommandRouter,
    *,
    client: WebClient,
    projects: Projects,
    sessions: Sessions,
    reminders: Reminders,
    debriefs: Debriefs,
    checkins: Checkins,
    endings: Endings,
    reports: Reports,
    home: Home,
    timelines: Timelines,
    reviews: Reviews,
    perspectives: Perspectives,
    feeds: Feeds,
    polls: Polls,
    governance: Governance | None = None,
    involvement: Involvement | None = None,
) -> home_listeners.HomeRefresher:
    """Every feature's listeners and /cobot subcommands (each slack/listeners/<feature>.py
    register()); returns the Home refresher. Registering calls no service."""
    projects_listeners.register(app, router, projects=projects)
    sessions_listeners.register(app, router, sessions=sessions)
    feeds_listeners.register(router, feeds=feeds)
    reminders_listeners.register(app, router, reminders=reminders)
    debriefs_listeners.register(app, router, debriefs=debriefs, sessions=sessions)
    checkins_listeners.register(app, router, checkins=checkins)
    endings_listeners.register(app, router, endings=endings, reports=reports)
    reviews_listeners.register(app, router, reviews=reviews, perspectives=perspectives)
    if governance is not None:
        governance_listeners.register(app, router, governance=governance)
    polls_listeners.register(app, router, polls=polls, client=client)

    def extra(team_id: str, user_id: str) -> list[dict[str, Any]]:
        # the polls a person runs, on their Home (live: every answer touches its poll)
        return home_poll_blocks(polls.open_polls(team_id=team_id, user_id=user_id))

    if involvement is not None:
        involvement_listeners.register(app, router, involvement=involvement)
    return home_listeners.register(
        app, router, home=home, timelines=timelines, client=client, reports=reports, extra=extra
    )


@dataclass
class Runtime:
    """Everything one cobot process runs; build() wires it, start()/stop() run it."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    clock: Clock
    client: GatedWebClient
    kinds: DeliveryKinds
    alarms: AlarmClock
    runner: DeliveryRunner
    events: EventLedger
    router: CommandRouter
    app: App
    leadership: Leadership
    projects: Projects
    sessions: Sessions
    debriefs: Debriefs
    checkins: Checkins
    endings: Endings
    reports: Reports
    home: Home
    polls: Polls
    home_refresher: home_listeners.HomeRefresher
    feeds: Feeds
    metrics: Metrics
    head: str | None
    involvement: Involvement
    started: bool = False
    _checked: bool = False
    # OAuth mode only: installed workspaces and a client per workspace
    workspaces: Workspaces | None = None
    clients: WorkspaceClients | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        worker_id: str | None = None,
        sweep_seconds: float | None = None,
        lease: timedelta | None = None,
        rate_limit_scale: float = 1.0,
    ) -> Runtime:
        """Wire a process; nothing starts until start() (`rate_limit_scale`: see RateGate)."""
        clock = clock or SystemClock()
        if settings.encryption_keys:
            crypto.configure(list(settings.encryption_keys))
        engine = create_db_engine(settings.database_url)
        factory = session_factory(engine)
        workspaces: Workspaces | None = None
        clients: WorkspaceClients | None = None
        oauth_flow: OAuthFlow | None = None
        if settings.oauth:
            # any workspace can install cobot: each one's token is in the installation store
            assert settings.slack_client_id is not None
            gate = RateGate(scale=rate_limit_scale)
            workspaces = Workspaces(factory=factory, clock=clock)
            store = CobotInstallationStore(
                client_id=settings.slack_client_id, engine=engine, workspaces=workspaces
            )
            clients = WorkspaceClients(
                store=store, workspaces=workspaces, base_url=settings.slack_api_url, gate=gate
            )
            client: GatedWebClient = RoutingWebClient(
                clients=clients, base_url=settings.slack_api_url, gate=gate
            )
            oauth_flow = build_oauth_flow(settings, engine=engine, client=client, store=store)
        else:
            client = make_web_client(
                token=settings.slack_bot_token,
                base_url=settings.slack_api_url,
                gate=RateGate(scale=rate_limit_scale),
            )
        # this runtime's own registry: Slack's errors and 429s, send times, the ledger
        metrics = Metrics()
        client.gate.observer = metrics
        metrics.watch_ledger(factory, clock)
        kinds = DeliveryKinds()
        register_all(kinds, core_kinds())
        # reminders are rendered by slack/blocks at send time, from the session's state
        register_all(kinds, reminder_kinds(present=reminder_message, clock=clock))
        # announcements are rendered by slack/blocks at send time, from the session's state
        register_all(kinds, session_kinds(present=announcement_message))
        # debrief prompts, summaries and feedback are rendered at send time, from current state
        register_all(kinds, debrief_kinds(present=debrief_message, clock=clock))
        alarms = AlarmClock(engine, sweep_seconds=sweep_seconds or settings.sweep_seconds)
        install_alarm_hook(factory, alarms)
        runner = DeliveryRunner(
            factory=factory,
            clock=clock,
            messenger=TimedMessenger(SlackMessenger(client), metrics),
            kinds=kinds,
            worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
            alarms=alarms,
            lease=lease or timedelta(seconds=settings.delivery_lease_seconds),
            # OAuth: each delivery goes with its own workspace's token
            messenger_for=clients.messenger if clients is not None else None,
        )
        events = EventLedger(factory=factory, clock=clock)
        router = CommandRouter()
        app = build_app(
            client=client,
            signing_secret=settings.slack_signing_secret,
            events=events,
            router=router,
            oauth_flow=oauth_flow,
        )
        if clients is not None and workspaces is not None:
            register_oauth(app, clients=clients, workspaces=workspaces)
        # listeners' own calls wait at the same rate gate as deliveries and Home publishes
        gate_bolt_clients(app, client)
        directory = SlackDirectory(client)
        # feature services (one per feature, each given what it needs)
        # a session changed (added, edited, moved, cancelled): who re-plans, in this order,
        # inside the transaction that changed it
        changes = SessionChanges()
        changes.subscribe(reminders_service.on_session_changed)
        changes.subscribe(debriefs_service.on_session_changed)
        # every change raises the session's SEQUENCE, so subscribed calendars update
        changes.subscribe(feeds_service.on_session_changed)
        # attendance registers are owed to a workshop's facilitators when it ends
        changes.subscribe(involvement_service.on_session_changed)
        projects = Projects(factory=factory, clock=clock, directory=directory, changes=changes)
        sessions = Sessions(factory=factory, clock=clock, changes=changes)
        reminders = Reminders(factory=factory, clock=clock)
        debriefs = Debriefs(factory=factory, clock=clock)
        # export, erasure and retention for every feature, from the privacy registry
        privacy = Privacy(factory=factory, clock=clock)
        checkins = Checkins(factory=factory, clock=clock, directory=directory, privacy=privacy)
        endings = Endings(factory=factory, clock=clock, changes=changes)
        involvement = Involvement(factory=factory, clock=clock, changes=changes)
        # registers, claims and expense reviews render at send time, from current state
        register_all(kinds, involvement_kinds(present=involvement_message, clock=clock))
        reports = Reports(
            factory=factory,
            clock=clock,
            debriefs=debriefs,
            checkins=checkins,
            kinds=kinds,
            involvement=involvement,
        )
        home = Home(factory=factory, clock=clock, runner=runner, checkins=checkins)
        timelines = Timelines(factory=factory, clock=clock)
        # the participants' review: invites, the reminder and the close render at send time
        reviews = Reviews(factory=factory, clock=clock)
        register_all(kinds, review_kinds(present=review_message, service=reviews))
        perspectives = Perspectives(factory=factory, clock=clock)
        feeds = Feeds(factory=factory, clock=clock, public_url=settings.public_url)
        # the DM with a calendar link renders at send time (its secret derived then)
        register_all(kinds, feed_kinds(present=feed_message, public_url=settings.public_url))
        # milestones, the oversight digest and slowing down (sessions move through Sessions)
        governance = Governance(factory=factory, clock=clock, sessions=sessions)
        register_all(kinds, governance_kinds(present=governance_message, clock=clock))
        # polls for a time: invitations, tally, nudge, close and outcome render at send time
        polls = Polls(factory=factory, clock=clock, directory=directory, sessions=sessions)
        register_all(kinds, poll_kinds(present=poll_message, clock=clock, directory=directory))
        # ending messages (invites, word cloud upload, results, follow-up) render at send time
        register_all(kinds, ending_kinds(present=ending_message, service=endings))
        # check-ins are rendered by slack/blocks at send time; rendering plans the next one
        register_all(
            kinds,
            checkin_kinds(
                present=checkin_message, service=checkins, present_contact=contact_message
            ),
        )
        home_refresher = register_listeners(
            app,
            router,
            client=client,
            projects=projects,
            sessions=sessions,
            reminders=reminders,
            debriefs=debriefs,
            checkins=checkins,
            endings=endings,
            reports=reports,
            home=home,
            timelines=timelines,
            reviews=reviews,
            perspectives=perspectives,
            feeds=feeds,
            governance=governance,
            polls=polls,
            involvement=involvement,
        )
        # every committed change republishes the Homes it shows on (see services/home.py)
        watch_changes(factory, home_refresher.request)
        # a leader that loses its lock pauses at once; a standby campaigns every 2 s
        leadership = Leadership(engine, on_elected=alarms.resume, on_lost=alarms.pause, retry=2.0)
        runtime = cls(
            settings=settings,
            engine=engine,
            factory=factory,
            clock=clock,
            client=client,
            kinds=kinds,
            alarms=alarms,
            runner=runner,
            events=events,
            router=router,
            app=app,
            leadership=leadership,
            projects=projects,
            sessions=sessions,
            debriefs=debriefs,
            checkins=checkins,
            endings=endings,
            reports=reports,
            home=home,
            polls=polls,
            home_refresher=home_refresher,
            workspaces=workspaces,
            clients=clients,
            feeds=feeds,
            metrics=metrics,
            # readiness compares the database with this (migrations/ is read once)
            head=head_revision(settings.database_url),
            involvement=involvement,
        )
        metrics.watch_scheduler(runtime.scheduler_state)
        return runtime

    def wsgi(self, *, signing_secret: str) -> CobotWsgi:
        """The HTTP app: Slack's events, readiness and liveness, and this runtime's pages."""
        return CobotWsgi(
            self.app,
            healthy=self.readiness,
            signing_secret=signing_secret,
            replays=self.events,
            routes=self.routes(),
            observe=self.metrics.request,
        )

    def routes(self) -> list[Route]:
        """The pages this runtime serves besides Slack's (GET only)."""

        def metrics_page(_environ: object) -> Page:
            return Page(
                200,
                self.metrics.exposition(),
                (("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")),
            )

        return [
            Route("metrics", METRICS_PATH, metrics_page),
            feeds_listeners.feed_route(self.feeds),
        ]

    def start(self, *, schedule: bool = True, force_lead: bool = False) -> None:
        """Start the alarm clock: leading if the lock is free, otherwise paused (a standby).

        Constant work however many deliveries are pending: nothing is re-armed; the sweep
        (run at once, then every few seconds, on the scheduler's threads) reads due rows by
        index in batches. `force_lead` skips the election (tests prove two leaders still
        send nothing twice).
        """
        leads = schedule and (force_lead or self.leadership.try_acquire())
        checked = schedule and not force_lead and self.leadership.uses_lock
        context.bind(
            self.runner,
            self.events,
            self.checkins,
            self.endings,
            alarms=self.alarms,
            leading=self.leadership.verify if checked else None,
        )
        self._checked = checked
        self.alarms.start(paused=not leads, sweep=self.sweep)
        if leads:
            log.info("scheduler leading; the sweep drives whatever is due")
        elif schedule:
            log.info("another process leads the scheduler; this one waits as a standby")
            self.leadership.campaign()
        self.started = True

    def sweep(self) -> None:
        """One sweep: verify the scheduler lock first (stepping down if it is lost), then
        drive whatever is due or whose claim expired."""
        if self._checked and not self.leadership.verify():
            return
        driven = self.runner.sweep(still_leading=self.leadership.verify if self._checked else None)
        if driven:
            log.info("recovery sweep drove %d deliveries", len(driven))

    def stop(self, *, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Stop scheduling and release everything this process holds: no new claims, the
        sends under way get up to `drain_seconds` to finish and be recorded, then the
        claims never posted, the scheduler lock and the connections are released."""
        if self.started:
            self.alarms.pause()  # no new alarm or sweep starts; those running finish
        drained = self.runner.drain(drain_seconds)
        self.runner.stop()
        self.home_refresher.close()
        # a send still on the wire past the bound is not waited for (its lease expires)
        self.alarms.shutdown(wait=drained)
        self.leadership.release()
        context.bind(None)
        self.engine.dispose()
        self.started = False

    def scheduler_state(self) -> str:
        """ "leader", "standby" (another process leads, or is being elected) or "starting"."""
        if not self.started:
            return "starting"
        return "standby" if self.alarms.paused else "leader"

    def readiness(self) -> dict[str, Any]:
        """Whether this process can do its work: the database answers, its schema is the
        one this code expects (migrations current), Slack is not failing (the delivery
        breaker is closed) and some process leads the scheduler. `ok` false means 503."""
        migrations = leader = "unknown"
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
            migrations = "current" if current_revision(self.engine) == self.head else "behind"
            scheduler = self.scheduler_state()
            if scheduler == "leader":
                leader = "this process"
            elif scheduler == "starting":
                leader = "unknown"
            elif self.leadership.leader_known():
                leader = "another process"
            else:
                leader = "none"
        except SQLAlchemyError:
            log.warning("health check: the database does not answer")
            database = "unavailable"
        slack = self.runner.slack_state()
        return {
            "ok": database == "ok"
            and migrations == "current"
            and slack == "ok"
            and leader in ("this process", "another process"),
            "database": database,
            "migrations": migrations,
            "slack": slack,
            "scheduler": self.scheduler_state(),
            "leader": leader,
        }

    def healthy(self) -> bool:
        """The database answers and Slack is not failing."""
        return bool(self.readiness()["ok"])
