"""Install to any workspace (OAuth), end to end: two workspaces install cobot through
/slack/install, Slack's authorize page and /slack/oauth_redirect; each one's requests and
deliveries use its own token; neither sees the other's projects, people or deliveries; an
uninstall stops one workspace only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text

from cobot.sandbox.client import SlackClient
from cobot.sandbox.install import cookie_of
from cobot.sandbox.install import get
from cobot.sandbox.install import install
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import deliveries
from cobot.services.privacy import Privacy
from cobot.storage import crypto
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from cobot.storage.models import EndingFeeling
from cobot.storage.models import Member
from cobot.storage.models import Project
from cobot.storage.models import Workspace
from cobot.storage.models.installations import slack_bots
from cobot.storage.models.installations import slack_installations
from tests import seeds
from tests.e2e.test_deliveries import send_notice
from tests.e2e.test_deliveries import wait_status
from tests.polling import wait_until

A, B = "T0SANDBOX", "T0SECOND"
CHANNEL_A, CHANNEL_B = "C0PROJA", "C0PROJB"


@pytest.fixture
def oauth_stack(database_url: str) -> Iterator[LocalStack]:
    with LocalStack(database_url=database_url, mode="http", oauth=True) as running:
        emulator = running.emulator
        emulator.add_workspace(B, name="Second Trust", domain="second")
        emulator.add_user("UCOORD", name="cora")
        emulator.add_user("UPART", name="pat", tz="America/New_York")
        emulator.add_user("UBCOORD", name="bea", team_id=B)
        emulator.add_user("UBPART", name="bo", tz="Asia/Tokyo", team_id=B)
        emulator.add_channel(CHANNEL_A, name="proj-a", members=["UCOORD", "UPART"])
        emulator.add_channel(CHANNEL_B, name="proj-b", members=["UBCOORD", "UBPART"], team_id=B)
        yield running


def shown(result: object) -> str:
    from cobot.sandbox.people import ack_body

    body = ack_body(result)  # type: ignore[arg-type]
    return str(body.get("text", "")) + str(body.get("blocks", ""))


def installed(stack: LocalStack, user: str) -> None:
    done = install(stack.base_url, user_id=user).done
    assert done is not None and done.status == 200, done
    assert "Slack" in done.text


def notice(stack: LocalStack, project_id: int, target: str, key: str) -> int:
    return send_notice(stack, key, target, f"Notice {key}", project_id=project_id, escalate_to=None)


def stopped(stack: LocalStack, team: str) -> None:
    """Wait for the event (handled after its ack) to have stopped `team`."""
    assert stack.runtime is not None
    factory = stack.runtime.factory

    def gone() -> bool:
        with transaction(factory) as session:
            row = session.get(Workspace, team)
            return row is not None and row.uninstalled_at is not None

    wait_until(gone, what=f"{team} stopped")


def project_id(stack: LocalStack, team: str) -> int:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        found = session.scalar(select(Project.id).where(Project.team_id == team))
        assert found is not None
        return int(found)


def two_projects(stack: LocalStack) -> tuple[SlackClient, SlackClient]:
    installed(stack, "UCOORD")
    installed(stack, "UBCOORD")
    slack_a, slack_b = stack.workspace_client(A), stack.workspace_client(B, domain="second")
    for slack, coordinator, participant, channel in (
        (slack_a, "UCOORD", "UPART", CHANNEL_A),
        (slack_b, "UBCOORD", "UBPART", CHANNEL_B),
    ):
        made = slack.slash_command(
            user_id=coordinator, text="project new Peer support", channel_id=channel
        )
        assert "now lives in this channel" in shown(made)
        added = slack.slash_command(
            user_id=coordinator, text=f"add <@{participant}> as participant", channel_id=channel
        )
        assert f"Added <@{participant}>" in shown(added)
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        stored = session.execute(
            select(Project.team_id, Member.user_id, Member.role)
            .join(Member, Member.project_id == Project.id)
            .order_by(Project.team_id, Member.user_id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (A, "UCOORD", "coordinator"),
        (A, "UPART", "participant"),
        (B, "UBCOORD", "coordinator"),
        (B, "UBPART", "participant"),
    ]
    return slack_a, slack_b


def test_two_workspaces_install_and_their_tokens_are_stored_encrypted(
    oauth_stack: LocalStack,
) -> None:
    emulator = oauth_stack.emulator
    page = get(f"{oauth_stack.base_url}/slack/install")
    assert page.status == 200 and "Add to Slack" in page.text
    # the page links to Slack's authorize page with cobot's client id, scopes and redirect
    assert emulator.client_id in page.text and "chat:write" in page.text
    assert f"{oauth_stack.base_url}/slack/oauth_redirect" in page.text
    assert emulator.client_secret not in page.text

    installed(oauth_stack, "UCOORD")
    installed(oauth_stack, "UBCOORD")
    assert emulator.installs == [A, B]
    [exchange_a, exchange_b] = emulator.calls_to("oauth.v2.access")
    assert exchange_a.response["ok"] and exchange_b.response["ok"]
    token_a, token_b = emulator.token_for(A), emulator.token_for(B)
    assert token_a and token_b and token_a != token_b

    assert oauth_stack.runtime is not None
    with oauth_stack.runtime.engine.connect() as conn:
        raw: dict[str, str] = {
            str(team): str(token)
            for team, token in conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))
        }
        raw_installs = conn.execute(text("SELECT bot_token FROM slack_installations")).all()
        workspaces = conn.execute(select(Workspace.team_id, Workspace.uninstalled_at)).all()
    # stored encrypted: never the token itself, and it decrypts to the token Slack issued
    assert set(raw) == {A, B}
    assert token_a not in raw.values() and token_b not in raw.values()
    assert crypto.decrypt(raw[A]) == token_a and crypto.decrypt(raw[B]) == token_b
    assert all(token_a not in str(r[0]) and token_b not in str(r[0]) for r in raw_installs)
    assert sorted(workspaces) == [(A, None), (B, None)]
    # what the installation store hands Bolt is the plain token again
    with oauth_stack.runtime.engine.connect() as conn:
        decrypted = conn.execute(select(slack_bots.c.bot_token).where(slack_bots.c.team_id == B))
        assert decrypted.scalar_one() == token_b
        assert conn.execute(select(slack_installations.c.team_id)).scalars().all() == [A, B]


def test_a_bad_or_replayed_state_or_code_is_a_clear_page_and_installs_nothing(
    oauth_stack: LocalStack,
) -> None:
    emulator = oauth_stack.emulator
    # another browser (no state cookie) cannot finish someone else's install
    other = install(oauth_stack.base_url, user_id="UCOORD", cookie="")
    assert other.done is not None and other.done.status == 400
    assert "Oops" in other.done.text or "went wrong" in other.done.text.lower()
    # a forged state
    forged = install(oauth_stack.base_url, user_id="UCOORD")
    assert forged.done is not None and forged.done.status == 200
    tampered = forged.redirect_url.replace("state=", "state=forged")
    again = get(tampered, cookie=forged.cookie)
    assert again.status in (400, 401) and "<html" in again.text.lower()
    # the same redirect once more: its state was used up
    replay = get(forged.redirect_url, cookie=forged.cookie)
    assert replay.status == 401 and "<html" in replay.text.lower()
    # nothing of it names a secret
    for page in (other.done, again, replay):
        assert emulator.client_secret not in page.text
        assert "xoxb-" not in page.text
    assert emulator.installs == [A]


def test_the_code_exchange_is_strict_like_slacks(emulator_only: SlackEmulator) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    emulator = emulator_only
    emulator.add_user("UCOORD", name="cora")
    where = emulator.authorize(
        {
            "client_id": emulator.client_id,
            "scope": "chat:write",
            "state": "s1",
            "redirect_uri": "http://cobot.test/slack/oauth_redirect",
        },
        user_id="UCOORD",
    )
    code = where.split("code=", 1)[1].split("&", 1)[0]
    client = WebClient(base_url=emulator.api_url)
    with pytest.raises(SlackApiError) as wrong:
        client.oauth_v2_access(
            client_id=emulator.client_id,
            client_secret="not-the-secret",
            code=code,
            redirect_uri="http://cobot.test/slack/oauth_redirect",
        )
    assert wrong.value.response["error"] == "bad_client_secret"
    with pytest.raises(SlackApiError) as moved:
        client.oauth_v2_access(
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            code=code,
            redirect_uri="http://elsewhere.test/",
        )
    assert moved.value.response["error"] == "bad_redirect_uri"
    good = client.oauth_v2_access(
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        code=code,
        redirect_uri="http://cobot.test/slack/oauth_redirect",
    )
    assert good["team"]["id"] == A and str(good["access_token"]).startswith("xoxb-")
    assert good["token_type"] == "bot" and good["scope"] == "chat:write"
    with pytest.raises(SlackApiError) as used:
        client.oauth_v2_access(
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            code=code,
            redirect_uri="http://cobot.test/slack/oauth_redirect",
        )
    assert used.value.response["error"] == "code_already_used"
    with pytest.raises(SlackApiError) as unknown:
        client.oauth_v2_access(client_id="0.0", client_secret=emulator.client_secret, code=code)
    assert unknown.value.response["error"] == "invalid_client_id"
    # a token reads its own workspace only; apps.uninstall ends it
    emulator.add_workspace(B, name="Second", domain="second")
    emulator.add_user("UBPART", name="bo", team_id=B)
    token = str(good["access_token"])
    mine = WebClient(base_url=emulator.api_url, token=token)
    assert mine.users_info(user="UCOORD")["user"]["team_id"] == A
    with pytest.raises(SlackApiError) as theirs:
        mine.users_info(user="UBPART")
    assert theirs.value.response["error"] == "user_not_found"
    mine.apps_uninstall(client_id=emulator.client_id, client_secret=emulator.client_secret)
    with pytest.raises(SlackApiError) as gone:
        mine.auth_test()
    assert gone.value.response["error"] == "invalid_auth"


@pytest.fixture
def emulator_only() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


def test_each_workspace_is_served_and_sent_to_with_its_own_token(oauth_stack: LocalStack) -> None:
    emulator = oauth_stack.emulator
    two_projects(oauth_stack)
    project_a, project_b = project_id(oauth_stack, A), project_id(oauth_stack, B)
    sent_a = notice(oauth_stack, project_a, "UPART", "a1")
    sent_b = notice(oauth_stack, project_b, "UBPART", "b1")
    row_a = wait_status(oauth_stack, sent_a, "sent")
    row_b = wait_status(oauth_stack, sent_b, "sent")
    # the ledger knows each delivery's workspace; each went with that workspace's token
    assert (row_a.team_id, row_b.team_id) == (A, B)
    posts = {c.args["channel"]: c.team for c in emulator.calls_to("chat.postMessage")}
    assert posts["UPART"] == A and posts["UBPART"] == B
    assert [m["text"] for m in emulator.messages("UBPART")] == ["Notice b1"]
    assert [m["team"] for m in emulator.messages("UPART")] == [A]
    # looking people up (their time zones) used each one's own workspace too
    lookups = {c.args.get("user"): c.team for c in emulator.calls_to("users.info")}
    assert lookups.get("UBCOORD") == B and lookups.get("UCOORD") == A
    assert all(c.response.get("ok") for c in emulator.calls_to("users.info"))


def test_two_workspaces_never_see_each_others_projects_people_or_deliveries(
    oauth_stack: LocalStack,
) -> None:
    slack_a, slack_b = two_projects(oauth_stack)
    project_a = project_id(oauth_stack, A)
    # B's coordinator, in B, sees B's project and people only
    people_b = shown(slack_b.slash_command(user_id="UBCOORD", text="people", channel_id=CHANNEL_B))
    assert "UBPART" in people_b and "UPART" not in people_b and "UCOORD" not in people_b
    people_a = shown(slack_a.slash_command(user_id="UCOORD", text="people", channel_id=CHANNEL_A))
    assert "UPART" in people_a and "UBPART" not in people_a
    # a request from B naming A's channel finds no project there: B's token cannot post in A
    crossed = shown(slack_b.slash_command(user_id="UBCOORD", text="people", channel_id=CHANNEL_A))
    assert "no co-production project in this channel" in crossed and "UPART" not in crossed
    # a Home in B lists nothing of A's (and A's delivery problems stay A's)
    failed = notice(oauth_stack, project_a, "UNOBODY", "a-fails")
    wait_status(oauth_stack, failed, "failed")
    assert oauth_stack.runtime is not None
    assert oauth_stack.runtime.runner.problems(project_id=project_id(oauth_stack, B)) == []
    opened = slack_b.app_home_opened("UBCOORD")
    assert opened.status == 200
    wait_until(lambda: oauth_stack.emulator.home_view("UBCOORD"), what="B's Home")
    home = oauth_stack.emulator.home_view("UBCOORD")
    assert home is not None and home["team_id"] == B
    assert "UPART" not in str(home["blocks"]) and "a-fails" not in str(home["blocks"])
    # a change in B refreshes B's Homes in the background, with B's token
    emulator = oauth_stack.emulator
    before = len(emulator.calls_to("views.publish"))
    slack_b.slash_command(
        user_id="UBCOORD", text="add <@UBPART> as facilitator", channel_id=CHANNEL_B
    )
    refreshed = emulator.wait_for(
        "views.publish", count=before + 1, where=lambda c: c.args.get("user_id") == "UBCOORD"
    )
    assert all(c.team == B and c.response["ok"] for c in refreshed)
    # the person in B gets their data from B only
    mine = oauth_stack.runtime
    exported = Privacy(factory=mine.factory, clock=mine.clock).my_data(team_id=B, user_id="UPART")
    assert exported.rows == 0


def test_uninstalling_one_workspace_stops_its_deliveries_only_and_starts_its_retention(
    oauth_stack: LocalStack,
) -> None:
    emulator = oauth_stack.emulator
    slack_a, slack_b = two_projects(oauth_stack)
    project_a, project_b = project_id(oauth_stack, A), project_id(oauth_stack, B)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert oauth_stack.runtime is not None
    with transaction(oauth_stack.runtime.factory) as session:
        owed = [
            deliveries.schedule(
                session,
                key=f"later-{team}",
                kind="notice",
                target=target,
                due_at=later,
                now=datetime.now(UTC),
                project_id=project,
                payload={"text": "later"},
            ).id
            for team, target, project in ((A, "UPART", project_a), (B, "UBPART", project_b))
        ]
    # B's admin removes cobot: Slack revokes the token and sends app_uninstalled
    emulator.uninstall(B)
    assert slack_b.event({"type": "app_uninstalled"}).status == 200
    wait_status(oauth_stack, owed[1], "cancelled")
    with transaction(oauth_stack.runtime.factory) as session:
        b_row = session.get(Delivery, owed[1])
        a_row = session.get(Delivery, owed[0])
        workspace = session.get(Workspace, B)
        assert b_row is not None and b_row.last_error == "app_uninstalled"
        assert a_row is not None and a_row.status == "scheduled"
        assert workspace is not None and workspace.uninstalled_at is not None
    # B's installation is gone from the store; A's is untouched (the handler deletes it
    # after it has cancelled B's deliveries, so it is waited for, not read at once)
    engine = oauth_stack.runtime.engine

    def teams() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(select(slack_bots.c.team_id)).scalars().all())

    wait_until(lambda: B not in teams(), what="B's installation deleted")
    assert teams() == [A]
    # something planned for B afterwards is skipped, saying why; A still gets its messages
    late_b = notice(oauth_stack, project_b, "UBPART", "b-after")
    late_a = notice(oauth_stack, project_a, "UPART", "a-after")
    skipped = wait_status(oauth_stack, late_b, "skipped")
    assert skipped.last_error == "app_uninstalled"
    wait_status(oauth_stack, late_a, "sent")
    assert [m["text"] for m in emulator.messages("UBPART")] == []
    # the retention clock: B's answers go once it has been gone for the retention period
    # (90 days by default); A's, whose workspace still has cobot, stay
    privacy = Privacy(factory=oauth_stack.runtime.factory, clock=oauth_stack.runtime.clock)
    now = datetime.now(UTC)
    with transaction(oauth_stack.runtime.factory) as session:
        for project, person in ((project_a, "UPART"), (project_b, "UBPART")):
            session.add(
                EndingFeeling(
                    project_id=project,
                    user_id=person,
                    role_group="project_team",
                    typed="hopeful",
                    words="hopeful",
                    boat="",
                    created_at=now,
                    updated_at=now,
                )
            )
    assert privacy.purge_expired(now + timedelta(days=89)).projects == 0
    purged = privacy.purge_expired(now + timedelta(days=91))
    assert (purged.projects, purged.rows) == (1, 1)
    with transaction(oauth_stack.runtime.factory) as session:
        left = session.scalars(select(EndingFeeling.project_id)).all()
    assert left == [project_a]
    # A still answers, with its own people only
    people = shown(slack_a.slash_command(user_id="UCOORD", text="people", channel_id=CHANNEL_A))
    assert "People in Peer support" in people
    assert "<@UCOORD>" in people and "<@UPART>" in people and "UB" not in people


def test_tokens_revoked_for_the_bot_stops_the_workspace(oauth_stack: LocalStack) -> None:
    _slack_a, slack_b = two_projects(oauth_stack)
    project_b = project_id(oauth_stack, B)
    oauth_stack.emulator.uninstall(B)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0COBOT"]}}
    assert slack_b.event(revoked).status == 200
    stopped(oauth_stack, B)
    late_b = notice(oauth_stack, project_b, "UBPART", "b-revoked")
    assert wait_status(oauth_stack, late_b, "skipped").last_error == "tokens_revoked"


def test_an_org_wide_install_resolves_each_events_workspace(oauth_stack: LocalStack) -> None:
    emulator = oauth_stack.emulator
    org_token = "xoxb-org-E0GRID-token"
    emulator.add_workspace(
        "T0GRIDA", name="Grid A", domain="grida", enterprise_id="E0GRID", bot_token=org_token
    )
    emulator.add_user("UGRID", name="gia", team_id="T0GRIDA")
    assert oauth_stack.runtime is not None
    store = oauth_stack.runtime.app.installation_store
    assert store is not None
    # the organisation's admin installed cobot org-wide: one token, no workspace named
    store.save(seeds.installation(org_token, enterprise_id="E0GRID"))
    grid = oauth_stack.workspace_client("T0GRIDA", domain="grida")
    grid.enterprise_id, grid.org_install = "E0GRID", True
    assert grid.app_home_opened("UGRID").status == 200
    wait_until(lambda: emulator.home_view("UGRID"), what="the Grid Home")
    home = emulator.home_view("UGRID")
    assert home is not None and home["team_id"] == "T0GRIDA"
    # the workspace was learnt from the event, under its organisation
    with transaction(oauth_stack.runtime.factory) as session:
        seen = session.get(Workspace, "T0GRIDA")
        assert seen is not None and (seen.enterprise_id, seen.org_install) == ("E0GRID", True)
        grid_project = seeds.add_project(
            session,
            channel_id="C0GRID",
            members=[("UGRID", "coordinator")],
            now=datetime.now(UTC),
            team_id="T0GRIDA",
        ).id
    sent = notice(oauth_stack, grid_project, "UGRID", "grid-1")
    row = wait_status(oauth_stack, sent, "sent")
    assert row.team_id == "T0GRIDA"
    [post] = [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == "UGRID"]
    assert post.team == "T0GRIDA"


def test_a_refused_code_is_a_clear_page_and_the_log_keeps_no_code(
    oauth_stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    import html
    import re

    page = get(f"{oauth_stack.base_url}/slack/install")
    cookie = cookie_of(page)
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
    assert link is not None and cookie.startswith("slack-app-oauth-state=")
    approved = get(f"{html.unescape(link.group(1))}&sandbox_user=UCOORD")
    where = approved.headers["Location"]
    real_code = where.split("code=", 1)[1].split("&", 1)[0]
    bogus = "1234.5678.bogus-code-never-issued"
    # at INFO, the lowest level `cobot run` lets Bolt's loggers (cobot.bolt.*) write at
    with caplog.at_level("INFO"):
        refused = get(where.replace(real_code, bogus), cookie=cookie)
    assert refused.status == 401 and "<html" in refused.text.lower()
    assert oauth_stack.emulator.calls_to("oauth.v2.access")[-1].response["error"] == "invalid_code"
    assert bogus not in caplog.text and real_code not in caplog.text
    assert "code exchange failed" in caplog.text
    assert oauth_stack.emulator.installs == []
    # and below INFO nothing of Bolt's OAuth flow is written (`cobot run` clamps it)
    from cobot.logs import BODY_LOGGERS

    assert oauth_stack.runtime is not None and oauth_stack.runtime.app.oauth_flow is not None
    name = oauth_stack.runtime.app.oauth_flow.logger.name
    assert any(name == n or name.startswith(n + ".") for n in BODY_LOGGERS)
