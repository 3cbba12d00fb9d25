"""The one composition root: engine, scheduler, services and the Bolt app."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cobot.config import Settings
from cobot.scheduling import context
from cobot.scheduling.alarms import AlarmClock
from cobot.scheduling.leader import Leadership
from cobot.services import debriefs as debriefs_service
from cobot.services import involvement as involvement_service
from cobot.services import reminders as reminders_service
from cobot.services.checkins import Checkins, checkin_kinds
from cobot.services.debriefs import Debriefs, debrief_kinds
from cobot.services.deliveries import (
    DeliveryKinds,
    DeliveryRunner,
    core_kinds,
    install_alarm_hook,
    register_all,
)
from cobot.services.endings import Endings, ending_kinds
from cobot.services.events import EventLedger
from cobot.services.home import Home, watch_changes
from cobot.services.involvement import Involvement, involvement_kinds
from cobot.services.ports import Clock, SystemClock
from cobot.services.privacy import Privacy
from cobot.services.projects import Projects
from cobot.services.reminders import Reminders, reminder_kinds
from cobot.services.reports import Reports
from cobot.services.session_changes import SessionChanges
from cobot.services.sessions import Sessions, session_kinds
from cobot.services.timeline import Timelines
from cobot.slack.app import build_app
from cobot.slack.blocks.checkins import checkin_message, contact_message
from cobot.slack.blocks.debriefs import debrief_message
from cobot.slack.blocks.endings import ending_message
from cobot.slack.blocks.involvement import involvement_message
from cobot.slack.blocks.reminders import reminder_message
from cobot.slack.blocks.sessions import announcement_message
from cobot.slack.commands import CommandRouter
from cobot.slack.directory import SlackDirectory
from cobot.slack.listeners import checkins as checkins_listeners
from cobot.slack.listeners import debriefs as debriefs_listeners
from cobot.slack.listeners import endings as endings_listeners
from cobot.slack.listeners import home as home_listeners
from cobot.slack.listeners import involvement as involvement_listeners
from cobot.slack.listeners import projects as projects_listeners
from cobot.slack.listeners import reminders as reminders_listeners
from cobot.slack.listeners import sessions as sessions_listeners
from cobot.slack.web import (
    GatedWebClient,
    SlackMessenger,
    gate_bolt_clients,
    make_web_client,
)
from cobot.storage import crypto
from cobot.storage.db import create_db_engine, session_factory

log = logging.getLogger(__name__)


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
    involvement: Involvement | None = None,
) -> home_listeners.HomeRefresher:
    """Every feature's listeners and /cobot subcommands (each slack/listeners/<feature>.py
    register()); returns the Home refresher. Registering calls no service."""
    projects_listeners.register(app, router, projects=projects)
    sessions_listeners.register(app, router, sessions=sessions)
    reminders_listeners.register(app, router, reminders=reminders)
    debriefs_listeners.register(app, router, debriefs=debriefs, sessions=sessions)
    checkins_listeners.register(app, router, checkins=checkins)
    endings_listeners.register(app, router, endings=endings, reports=reports)
    if involvement is not None:
        involvement_listeners.register(app, router, involvement=involvement)
    return home_listeners.register(
        app, router, home=home, timelines=timelines, client=client, reports=reports
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
    home_refresher: home_listeners.HomeRefresher
    involvement: Involvement
    started: bool = False
    _checked: bool = False

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        worker_id: str | None = None,
        sweep_seconds: float | None = None,
        lease: timedelta | None = None,
    ) -> Runtime:
        """Wire a process; nothing starts until start()."""
        clock = clock or SystemClock()
        if settings.encryption_keys:
            crypto.configure(list(settings.encryption_keys))
        engine = create_db_engine(settings.database_url)
        factory = session_factory(engine)
        client = make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
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
            messenger=SlackMessenger(client),
            kinds=kinds,
            worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
            alarms=alarms,
            lease=lease or timedelta(seconds=settings.delivery_lease_seconds),
        )
        events = EventLedger(factory=factory, clock=clock)
        router = CommandRouter()
        app = build_app(
            client=client,
            signing_secret=settings.slack_signing_secret,
            events=events,
            router=router,
        )
        # listeners' own calls wait at the same rate gate as deliveries and Home publishes
        gate_bolt_clients(app, client)
        directory = SlackDirectory(client)
        # feature services (one per feature, each given what it needs)
        # a session changed (added, edited, moved, cancelled): who re-plans, in this order,
        # inside the transaction that changed it
        changes = SessionChanges()
        changes.subscribe(reminders_service.on_session_changed)
        changes.subscribe(debriefs_service.on_session_changed)
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
            involvement=involvement,
        )
        # every committed change republishes the Homes it shows on (see services/home.py)
        watch_changes(factory, home_refresher.request)
        # a leader that loses its lock pauses at once; a standby campaigns every 2 s
        leadership = Leadership(engine, on_elected=alarms.resume, on_lost=alarms.pause, retry=2.0)
        return cls(
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
            home_refresher=home_refresher,
            involvement=involvement,
        )

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

    def stop(self) -> None:
        """Stop scheduling and release everything this process holds."""
        self.runner.stop()
        self.home_refresher.close()
        self.alarms.shutdown(wait=True)
        self.leadership.release()
        context.bind(None)
        self.engine.dispose()
        self.started = False

    def readiness(self) -> dict[str, Any]:
        """Whether this process can do its work: the database answers and Slack is not
        failing (the delivery breaker is closed). `ok` false means answer 503."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError:
            log.warning("health check: the database does not answer")
            database = "unavailable"
        slack = self.runner.slack_state()
        if not self.started:
            scheduler = "starting"
        elif self.alarms.paused:
            scheduler = "standby"
        else:
            scheduler = "leader"
        return {
            "ok": database == "ok" and slack == "ok",
            "database": database,
            "slack": slack,
            "scheduler": scheduler,
        }

    def healthy(self) -> bool:
        """The database answers and Slack is not failing."""
        return bool(self.readiness()["ok"])
