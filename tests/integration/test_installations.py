"""The installation store on cobot's tables: tokens encrypted at rest and rotated with the
answers, a client per workspace, and org-wide installs on Enterprise Grid resolved per
workspace; uninstalling stops exactly the workspaces it covered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.services import deliveries
from cobot.services.workspaces import StopReason
from cobot.services.workspaces import Workspaces
from cobot.slack.oauth import CobotInstallationStore
from cobot.slack.oauth import CobotStateStore
from cobot.slack.oauth import WorkspaceClients
from cobot.slack.web import RateGate
from cobot.storage import crypto
from cobot.storage.db import transaction
from cobot.storage.models import Base
from cobot.storage.models import Delivery
from tests import seeds
from tests.fakes import FakeClock

CLIENT_ID = "1111.2222"


@pytest.fixture
def workspaces(factory: sessionmaker[Session], clock: FakeClock) -> Workspaces:
    return Workspaces(factory=factory, clock=clock)


@pytest.fixture
def store(engine: Engine, workspaces: Workspaces) -> CobotInstallationStore:
    return CobotInstallationStore(client_id=CLIENT_ID, engine=engine, workspaces=workspaces)


def team_install(team_id: str, token: str) -> Installation:
    return seeds.installation(token, team_id=team_id)


def org_install(enterprise_id: str, token: str) -> Installation:
    return seeds.installation(token, enterprise_id=enterprise_id)


def clients_for(store: CobotInstallationStore, workspaces: Workspaces) -> WorkspaceClients:
    return WorkspaceClients(
        store=store, workspaces=workspaces, base_url="http://127.0.0.1:9/api/", gate=RateGate()
    )


def test_tokens_are_ciphertext_at_rest_and_keys_rotate_over_them(
    engine: Engine, store: CobotInstallationStore
) -> None:
    old, new = crypto.new_key(), crypto.new_key()
    crypto.configure([old])
    try:
        store.save(team_install("T1", "xoxb-1-secret-token"))
        with engine.connect() as conn:
            raw_bot = conn.execute(text("SELECT bot_token FROM slack_bots")).scalar_one()
            raw_install = conn.execute(
                text("SELECT bot_token FROM slack_installations")
            ).scalar_one()
        assert "secret-token" not in raw_bot and "secret-token" not in raw_install
        found = store.find_bot(enterprise_id=None, team_id="T1")
        assert found is not None and found.bot_token == "xoxb-1-secret-token"
        installed = store.find_installation(enterprise_id=None, team_id="T1")
        assert installed is not None and installed.bot_token == "xoxb-1-secret-token"
        # `cobot keys rotate`: everything re-encrypted with the newest key, tokens included
        crypto.configure([new, old])
        assert crypto.rotate_all(engine, Base.metadata) >= 2
        crypto.configure([new])
        again = store.find_bot(enterprise_id=None, team_id="T1")
        assert again is not None and again.bot_token == "xoxb-1-secret-token"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT bot_token FROM slack_bots")).scalar_one() != raw_bot
    finally:
        crypto.configure([crypto.new_key()])


def test_the_stores_never_create_their_own_tables(
    engine: Engine, store: CobotInstallationStore
) -> None:
    with pytest.raises(RuntimeError, match="cobot db upgrade"):
        store.create_tables()
    states = CobotStateStore(engine=engine)
    with pytest.raises(RuntimeError, match="cobot db upgrade"):
        states.create_tables()
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False


def owe(factory: sessionmaker[Session], clock: FakeClock, team_id: str) -> int:
    now = clock.now()
    with transaction(factory) as session:
        project = seeds.add_project(
            session,
            channel_id=f"C{team_id}",
            members=[("UADMIN", "coordinator")],
            now=now,
            team_id=team_id,
        )
        return deliveries.schedule(
            session,
            key=f"later-{team_id}",
            kind="notice",
            target="UPART",
            due_at=now + timedelta(hours=1),
            now=now,
            project_id=project.id,
            payload={"text": "later"},
        ).id


def test_an_org_wide_install_serves_each_workspace_and_its_uninstall_stops_them_all(
    store: CobotInstallationStore,
    workspaces: Workspaces,
    factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    store.save(org_install("E1", "xoxb-org-token"))
    store.save(team_install("T9", "xoxb-team-token"))
    clients = clients_for(store, workspaces)
    # a workspace of the organisation is unknown until one of its events arrives
    assert clients.client("T1") is None
    workspaces.seen(team_id="T1", enterprise_id="E1", org=True)
    workspaces.seen(team_id="T2", enterprise_id="E1", org=True)
    clients.forget(["T1"])
    t1, t2, t9 = clients.client("T1"), clients.client("T2"), clients.client("T9")
    assert t1 is not None and t2 is not None and t9 is not None
    assert (t1.token, t2.token, t9.token) == ("xoxb-org-token", "xoxb-org-token", "xoxb-team-token")
    owed = {team: owe(factory, clock, team) for team in ("T1", "T2", "T9")}
    with transaction(factory) as session:
        assert session.get(Delivery, owed["T2"]).team_id == "T2"  # type: ignore[union-attr]
    stopped = workspaces.stop(
        team_id=None, enterprise_id="E1", org=True, reason=StopReason.UNINSTALLED
    )
    assert sorted(stopped) == ["T1", "T2"]
    with transaction(factory) as session:
        status = {team: session.get(Delivery, i) for team, i in owed.items()}
        assert {t: (d.status if d else None) for t, d in status.items()} == {
            "T1": "cancelled",
            "T2": "cancelled",
            "T9": "scheduled",
        }
    clients.forget(stopped)
    assert clients.client("T1") is None and clients.client("T9") is not None
    # installing again restarts the organisation's workspaces, at once
    store.save(org_install("E1", "xoxb-org-token-2"))
    back = clients.client("T1")
    assert back is not None and back.token == "xoxb-org-token-2"


def test_people_are_routed_to_their_own_workspace(
    store: CobotInstallationStore,
    workspaces: Workspaces,
    factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    store.save(team_install("T1", "xoxb-t1"))
    store.save(team_install("T2", "xoxb-t2"))
    clients = clients_for(store, workspaces)
    clients.note("UFROMREQUEST", "T2")
    assert clients.team_of("UFROMREQUEST") == "T2"
    owe(factory, clock, "T1")
    # someone not seen in a request yet: found through the projects they are in
    assert clients.team_of("UADMIN") == "T1"
    assert clients.team_of("UNOBODY") is None
    assert clients.messenger("T0NOTHERE").__class__.__name__ == "_Uninstalled"


class RecordingGate(RateGate):
    """A RateGate that notes which workspace each wait and each 429 hold counted against."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[str] = []
        self.holds: list[str] = []

    def wait(self, method: str, team: str, channel: str | None = None) -> None:
        self.waits.append(team)
        super().wait(method, team, channel)

    def hold(self, method: str, team: str, seconds: float) -> None:
        self.holds.append(team)
        super().hold(method, team, seconds)


def test_each_workspace_of_an_org_install_has_its_own_rate_budget(
    store: CobotInstallationStore, workspaces: Workspaces
) -> None:
    from cobot.sandbox.webapi import SlackEmulator

    with SlackEmulator(bot_token="xoxb-org-token") as emulator:
        store.save(org_install("E1", "xoxb-org-token"))
        workspaces.seen(team_id="T1", enterprise_id="E1", org=True)
        workspaces.seen(team_id="T2", enterprise_id="E1", org=True)
        gate = RecordingGate()
        clients = WorkspaceClients(
            store=store, workspaces=workspaces, base_url=emulator.api_url, gate=gate
        )
        t1, t2 = clients.client("T1"), clients.client("T2")
        assert t1 is not None and t2 is not None and t1.token == t2.token
        # one token, two workspaces: each call and each 429 counts against its own workspace
        emulator.rate_limit_next("auth.test", retry_after=1)
        assert t1.auth_test()["ok"]
        assert t2.auth_test()["ok"]
        assert [c.status for c in emulator.calls_to("auth.test")] == [429, 200, 200]
        assert gate.holds == ["T1"]
        assert gate.waits == ["T1", "T1", "T2"]
        gate.hold("auth.test", "T1", 30)
        assert gate.held_for("auth.test", "T2") == 0
