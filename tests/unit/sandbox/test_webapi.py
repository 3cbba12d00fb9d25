"""The emulator answers a real slack_sdk WebClient the way Slack does."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from cobot.sandbox import ApiCall
from cobot.sandbox import SlackEmulator


def _error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return excinfo.value.response["error"]


def test_auth_test_answers_the_bot_identity(client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "U0COBOT"
    assert response["team_id"] == "T0SANDBOX"
    assert response["bot_id"].startswith("B")
    assert response["url"].startswith("https://")


def test_invalid_or_missing_token(emulator: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=emulator.api_url, token="xoxb-wrong").auth_test()
    assert _error(excinfo) == "invalid_auth"
    assert excinfo.value.response.status_code == 200

    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=emulator.api_url).auth_test()
    assert _error(excinfo) == "not_authed"
    assert [c.response["error"] for c in emulator.calls_to("auth.test")] == [
        "invalid_auth",
        "not_authed",
    ]


def test_token_may_come_as_a_form_field(emulator: SlackEmulator) -> None:
    anonymous = WebClient(base_url=emulator.api_url)
    response = anonymous.api_call(
        "chat.postMessage",
        params={"token": emulator.bot_token, "channel": "C0GENERAL", "text": "hi"},
    )
    assert response["ok"] is True
    assert "token" not in emulator.calls_to("chat.postMessage")[0].args


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("nope.never")
    assert _error(excinfo) == "unknown_method"


def test_post_message_returns_increasing_ts_and_stores_the_message(
    client: WebClient, emulator: SlackEmulator
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C0GENERAL", text="one", blocks=blocks)
    second = client.chat_postMessage(channel="C0GENERAL", text="two", thread_ts=first["ts"])

    assert first["channel"] == "C0GENERAL"
    assert first["message"]["text"] == "one"
    assert first["message"]["user"] == "U0COBOT"
    assert float(second["ts"]) > float(first["ts"])
    seconds, micros = first["ts"].split(".")
    assert len(micros) == 6 and seconds.isdigit()

    stored = emulator.messages("C0GENERAL")
    assert [m["text"] for m in stored] == ["one", "two"]
    assert stored[0]["blocks"] == blocks
    assert stored[1]["thread_ts"] == first["ts"]
    call = emulator.calls_to("chat.postMessage")[0]
    assert isinstance(call, ApiCall)
    assert call.args["channel"] == "C0GENERAL"
    assert call.status == 200
    assert call.response["ts"] == first["ts"]


def test_form_encoded_blocks_are_decoded(client: WebClient, emulator: SlackEmulator) -> None:
    client.api_call(
        "chat.postMessage",
        params={"channel": "C0GENERAL", "blocks": '[{"type": "divider"}]'},
    )
    assert emulator.messages("C0GENERAL")[0]["blocks"] == [{"type": "divider"}]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "x"}, "channel_not_found"),
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "C0GENERAL"}, "no_text"),
        ({"channel": "C0GENERAL", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"channel": "C0QUIET", "text": "x"}, "not_in_channel"),
        ({"channel": "G0SECRET", "text": "x"}, "channel_not_found"),
        ({"channel": "U0GONE", "text": "x"}, "account_inactive"),
        ({"channel": "U0NOBODY", "text": "x"}, "user_not_found"),
    ],
)
def test_post_message_validation(
    client: WebClient, emulator: SlackEmulator, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json=kwargs)
    assert _error(excinfo) == error
    assert emulator.messages("C0GENERAL") == []


def test_fifty_blocks_are_allowed(client: WebClient) -> None:
    blocks = [{"type": "divider"}] * 50
    assert client.chat_postMessage(channel="C0GENERAL", text="x", blocks=blocks)["ok"]


def test_conversations_open_is_stable_and_posting_to_a_user_uses_the_im(
    client: WebClient, emulator: SlackEmulator
) -> None:
    first = client.conversations_open(users="U0ALICE")["channel"]["id"]
    second = client.conversations_open(users=["U0ALICE"])["channel"]["id"]
    assert first == second == emulator.im_channel("U0ALICE")
    assert first.startswith("D")
    assert client.conversations_open(users="U0BOB")["channel"]["id"] != first

    posted = client.chat_postMessage(channel="U0ALICE", text="psst")
    assert posted["channel"] == first
    assert [m["text"] for m in emulator.messages(first)] == ["psst"]
    assert emulator.messages("U0ALICE") == emulator.messages(first)
    info = client.conversations_info(channel=first)["channel"]
    assert info["is_im"] is True and info["user"] == "U0ALICE"


def test_conversations_open_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U0GONE")
    assert _error(excinfo) == "user_disabled"
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U0NOBODY")
    assert _error(excinfo) == "user_not_found"


def test_users_info_includes_time_zone(client: WebClient) -> None:
    user = client.users_info(user="U0BOB")["user"]
    assert user["id"] == "U0BOB"
    assert user["tz"] == "America/Los_Angeles"
    assert user["tz_offset"] in (-8 * 3600, -7 * 3600)
    assert user["tz_label"] in ("Pacific Standard Time", "Pacific Daylight Time")
    assert user["profile"]["real_name"] == "Bob Roe"
    assert user["profile"]["display_name"] == "bob"
    assert user["deleted"] is False

    london = client.users_info(user="U0ALICE")["user"]
    assert london["tz_offset"] in (0, 3600)
    assert client.users_info(user="U0GONE")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U0NOBODY")
    assert _error(excinfo) == "user_not_found"


def test_explicit_tz_offset_wins(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.add_user("U0TOKYO", name="kenji", tz="Asia/Tokyo", tz_offset=32400)
    user = client.users_info(user="U0TOKYO")["user"]
    assert user["tz_offset"] == 32400
    assert user["tz_label"] == "Japan Standard Time"


def test_conversations_members_paginates(emulator: SlackEmulator, client: WebClient) -> None:
    people = [f"U0P{i:02d}" for i in range(7)]
    emulator.add_channel("C0BIG", name="big", members=people)
    expected = [*people, "U0COBOT"]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.conversations_members(channel="C0BIG", limit=3, cursor=cursor)
        seen.extend(page["members"])
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    assert pages == 3

    # slack_sdk's own iterator follows next_cursor too
    iterated = [
        m
        for page in client.conversations_members(channel="C0BIG", limit=5)
        for m in page["members"]
    ]
    assert iterated == expected

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_members(channel="C0NOPE")
    assert _error(excinfo) == "channel_not_found"


def test_conversations_info(client: WebClient) -> None:
    info = client.conversations_info(channel="C0GENERAL", include_num_members=True)["channel"]
    assert info["name"] == "general"
    assert info["is_channel"] is True
    assert info["is_member"] is True
    assert info["num_members"] == 3
    assert client.conversations_info(channel="C0QUIET")["channel"]["is_member"] is False


def test_fail_next_raises_slack_api_error_once(client: WebClient, emulator: SlackEmulator) -> None:
    emulator.fail_next("chat.postMessage", "is_archived", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C0GENERAL", text="x")
        assert _error(excinfo) == "is_archived"
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"]
    assert len(emulator.messages("C0GENERAL")) == 1


def test_rate_limited_call_is_retried_by_slack_sdk(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.rate_limit_next("users.info", retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    started = time.monotonic()
    assert client.users_info(user="U0ALICE")["ok"]
    assert time.monotonic() - started >= 0.9

    calls = emulator.calls_to("users.info")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}


def test_rate_limit_without_retry_handler_surfaces_retry_after(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="x")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "7"
    assert _error(excinfo) == "ratelimited"


def test_server_error_is_retried_by_slack_sdk(client: WebClient, emulator: SlackEmulator) -> None:
    emulator.server_error_next("chat.postMessage", status=503)
    client.retry_handlers.append(
        ServerErrorRetryHandler(
            max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
        )
    )
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"]
    assert [c.status for c in emulator.calls_to("chat.postMessage")] == [503, 200]
    assert len(emulator.messages("C0GENERAL")) == 1


def test_slow_next_lets_client_timeouts_fire(emulator: SlackEmulator) -> None:
    emulator.slow_next("auth.test", seconds=1.0)
    # slack_sdk annotates timeout as int, but urllib takes (and we want) a fraction of a second
    impatient = WebClient(
        base_url=emulator.api_url,
        token=emulator.bot_token,
        timeout=0.2,  # type: ignore[arg-type]
    )
    with pytest.raises(TimeoutError):
        impatient.auth_test()
    assert impatient.auth_test()["ok"]


def test_per_channel_rate_limit(emulator: SlackEmulator, client: WebClient) -> None:
    for i in range(3):
        client.chat_postMessage(channel="C0GENERAL", text=str(i))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="too many")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    assert [m["text"] for m in emulator.messages("C0GENERAL")] == ["0", "1", "2"]
    assert emulator.calls_to("chat.postMessage")[-1].status == 429
    # other channels have their own budget
    assert client.chat_postMessage(channel="U0ALICE", text="dm")["ok"]


def test_per_channel_rate_limit_refills() -> None:
    with SlackEmulator(channel_rate_per_second=50, channel_burst=1) as emulator:
        emulator.add_channel("C1", name="one", members=[])
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        client.chat_postMessage(channel="C1", text="a")
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="b")
        time.sleep(0.05)
        assert client.chat_postMessage(channel="C1", text="c")["ok"]


def test_per_channel_rate_limit_can_be_disabled() -> None:
    with SlackEmulator(channel_rate_per_second=0) as emulator:
        emulator.add_channel("C1", name="one", members=[])
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        for i in range(20):
            client.chat_postMessage(channel="C1", text=str(i))
        assert len(emulator.messages("C1")) == 20


class FakeSeconds:
    """A monotonic clock the test moves by hand, for the emulator's rate limits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


HOME = {"type": "home", "blocks": []}


def test_per_method_tier_limits_are_on_by_default() -> None:
    emulator = SlackEmulator()
    assert emulator.method_limit("views.publish") == 100  # Tier 4
    assert emulator.method_limit("users.info") == 100  # Tier 4
    assert emulator.method_limit("chat.update") == 50  # Tier 3
    assert emulator.method_limit("conversations.open") == 50  # Tier 3
    assert emulator.method_limit("apps.connections.open") == 1  # Tier 1
    # special tier: per channel only, unless a workspace-wide ceiling is imposed
    assert emulator.method_limit("chat.postMessage") is None
    assert SlackEmulator(method_limits={"chat.postMessage": 600}).method_limit(
        "chat.postMessage"
    ) == pytest.approx(600)


def test_a_tier_allows_a_minute_of_burst_then_answers_429_with_retry_after() -> None:
    seconds = FakeSeconds()
    with SlackEmulator(rate_clock=seconds) as emulator:
        emulator.add_user("U1", name="one")
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        for _ in range(100):
            assert client.views_publish(user_id="U1", view=HOME)["ok"]
        with pytest.raises(SlackApiError) as excinfo:
            client.views_publish(user_id="U1", view=HOME)
        assert excinfo.value.response.status_code == 429
        assert _error(excinfo) == "ratelimited"
        # 100 a minute refill one every 0.6 s; Slack's Retry-After is whole seconds
        assert excinfo.value.response.headers["Retry-After"] == "1"
        assert emulator.calls_to("views.publish")[-1].status == 429
        # each method has its own budget
        assert client.users_info(user="U1")["ok"]


def test_a_spent_method_refills_at_its_rate_and_refuses_without_acting() -> None:
    seconds = FakeSeconds()
    with SlackEmulator(rate_clock=seconds, method_limits={"views.publish": 3}) as emulator:
        emulator.add_user("U1", name="one")
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        for n in range(3):
            client.views_publish(user_id="U1", view={**HOME, "private_metadata": str(n)})
        with pytest.raises(SlackApiError) as excinfo:
            client.views_publish(user_id="U1", view={**HOME, "private_metadata": "late"})
        assert excinfo.value.response.headers["Retry-After"] == "20"
        home = emulator.home_view("U1")
        assert home is not None and home["private_metadata"] == "2"
        seconds.now += 10  # half a request's worth
        with pytest.raises(SlackApiError) as excinfo:
            client.views_publish(user_id="U1", view=HOME)
        assert excinfo.value.response.headers["Retry-After"] == "10"
        seconds.now += 10
        assert client.views_publish(user_id="U1", view=HOME)["ok"]
        with pytest.raises(SlackApiError):
            client.views_publish(user_id="U1", view=HOME)
        seconds.now += 600  # a long quiet spell refills only up to the burst
        for _ in range(3):
            client.views_publish(user_id="U1", view=HOME)
        with pytest.raises(SlackApiError):
            client.views_publish(user_id="U1", view=HOME)


def test_a_429_from_the_tier_is_waited_out_by_slack_sdk() -> None:
    with SlackEmulator(method_limits={"users.info": 120}) as emulator:
        emulator.add_user("U1", name="one")
        client = WebClient(
            base_url=emulator.api_url,
            token=emulator.bot_token,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
        )
        for _ in range(121):
            assert client.users_info(user="U1")["ok"]
        statuses = [c.status for c in emulator.calls_to("users.info")]
        assert statuses.count(429) == 1
        assert statuses.count(200) == 121


def test_workspace_ceiling_for_post_message_sits_over_the_channel_limit() -> None:
    seconds = FakeSeconds()
    with SlackEmulator(rate_clock=seconds, method_limits={"chat.postMessage": 2}) as emulator:
        for n in range(3):
            emulator.add_user(f"U{n}", name=f"p{n}")
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        client.chat_postMessage(channel="U0", text="a")
        client.chat_postMessage(channel="U1", text="b")
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="U2", text="c")
        assert excinfo.value.response.status_code == 429
        assert emulator.messages("U2") == []


def test_tier_1_tolerates_a_small_burst_only() -> None:
    with SlackEmulator(rate_clock=FakeSeconds()) as emulator:
        client = WebClient(base_url=emulator.api_url, token=emulator.app_token)
        for _ in range(3):  # a Socket Mode client reconnecting after a refresh
            assert client.apps_connections_open(app_token=emulator.app_token)["ok"]
        with pytest.raises(SlackApiError) as excinfo:
            client.apps_connections_open(app_token=emulator.app_token)
        assert excinfo.value.response.headers["Retry-After"] == "60"


def test_an_imposed_ceiling_can_have_a_short_burst() -> None:
    seconds = FakeSeconds()
    with SlackEmulator(
        rate_clock=seconds,
        method_limits={"chat.postMessage": 600},  # 10 a second
        method_bursts={"chat.postMessage": 2},
    ) as emulator:
        for n in range(4):
            emulator.add_user(f"U{n}", name=f"p{n}")
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        client.chat_postMessage(channel="U0", text="a")
        client.chat_postMessage(channel="U1", text="b")
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="U2", text="c")
        assert excinfo.value.response.headers["Retry-After"] == "1"
        seconds.now += 0.1
        assert client.chat_postMessage(channel="U2", text="c")["ok"]
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="U3", text="d")


def test_rate_limit_scale_multiplies_or_lifts_the_limits() -> None:
    assert SlackEmulator(rate_limit_scale=20).method_limit("views.publish") == 2000
    assert SlackEmulator(method_limits={"users.info": 0}).method_limit("users.info") is None
    with SlackEmulator(method_limits={"users.info": 2}, rate_limit_scale=0) as emulator:
        assert emulator.method_limit("views.publish") is None
        emulator.add_user("U1", name="one")
        client = WebClient(base_url=emulator.api_url, token=emulator.bot_token)
        for _ in range(5):
            assert client.users_info(user="U1")["ok"]


def test_post_ephemeral_update_and_delete(client: WebClient, emulator: SlackEmulator) -> None:
    ephemeral = client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="only you")
    assert ephemeral["message_ts"]
    assert [m["text"] for m in emulator.ephemerals("U0ALICE")] == ["only you"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C0GENERAL", user="U0GONE", text="x")
    assert _error(excinfo) == "account_inactive"
    emulator.add_user("U0CAROL", name="carol")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C0GENERAL", user="U0CAROL", text="x")
    assert _error(excinfo) == "user_not_in_channel"

    posted = client.chat_postMessage(channel="C0GENERAL", text="draft")
    updated = client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="final")
    assert updated["ts"] == posted["ts"]
    assert updated["message"]["text"] == "final"
    assert emulator.messages("C0GENERAL")[0]["text"] == "final"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")
    assert _error(excinfo) == "message_not_found"

    client.chat_delete(channel="C0GENERAL", ts=posted["ts"])
    assert emulator.messages("C0GENERAL") == []


def test_views_open_update_push(client: WebClient, emulator: SlackEmulator) -> None:
    modal = {
        "type": "modal",
        "callback_id": "checkin",
        "private_metadata": "42",
        "title": {"type": "plain_text", "text": "Check in"},
        "blocks": [{"type": "divider"}],
    }
    trigger = emulator.issue_trigger_id("U0ALICE")
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "checkin"
    assert opened["private_metadata"] == "42"
    assert [v["id"] for v in emulator.open_views] == [opened["id"]]
    assert emulator.open_views[0]["user_id"] == "U0ALICE"

    updated = client.views_update(view_id=opened["id"], view={**modal, "blocks": []})["view"]
    assert updated["id"] == opened["id"] and updated["blocks"] == []
    pushed = client.views_push(trigger_id="t", view=modal)["view"]
    assert pushed["previous_view_id"] == opened["id"]
    assert len(emulator.open_views) == 2

    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="t", view={**modal, "blocks": [{"type": "divider"}] * 101})
    assert _error(excinfo) == "invalid_arguments"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V0NOPE", view=modal)
    assert _error(excinfo) == "not_found"


def test_views_publish_stores_the_home_tab(client: WebClient, emulator: SlackEmulator) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    first = client.views_publish(user_id="U0ALICE", view=home)["view"]
    assert emulator.home_view("U0ALICE") is not None
    assert emulator.home_view("U0ALICE")["blocks"] == home["blocks"]  # type: ignore[index]
    second = client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})["view"]
    assert second["id"] == first["id"]
    assert emulator.home_view("U0ALICE")["blocks"] == []  # type: ignore[index]
    assert emulator.home_view("U0BOB") is None
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(
            user_id="U0ALICE", view={"type": "home", "blocks": [{"type": "divider"}] * 101}
        )
    assert _error(excinfo) == "invalid_arguments"


def test_files_upload_v2_end_to_end(client: WebClient, emulator: SlackEmulator) -> None:
    response = client.files_upload_v2(
        channel="C0GENERAL",
        content=b"week,hours\n1,3\n",
        filename="hours.csv",
        title="Hours",
        initial_comment="this week",
    )
    assert response["ok"]
    assert response["file"]["name"] == "hours.csv"

    [uploaded] = emulator.files
    assert uploaded.content == b"week,hours\n1,3\n"
    assert uploaded.filename == "hours.csv"
    assert uploaded.title == "Hours"
    assert uploaded.channels == ("C0GENERAL",)
    [message] = emulator.messages("C0GENERAL")
    assert message["text"] == "this week"
    assert message["files"][0]["id"] == uploaded.id
    assert [c.method for c in emulator.calls] == [
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]

    request = urllib.request.Request(
        message["files"][0]["url_private"],
        headers={"Authorization": f"Bearer {emulator.bot_token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as download:
        assert download.read() == b"week,hours\n1,3\n"


def test_complete_upload_needs_the_bytes(client: WebClient) -> None:
    pending = client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": pending["file_id"], "title": "a"}])
    assert _error(excinfo) == "file_not_found"


def test_response_url_ephemeral_in_channel_and_replace(
    emulator: SlackEmulator, client: WebClient
) -> None:
    url = emulator.new_response_url(user_id="U0ALICE", channel_id="C0GENERAL")
    assert url.startswith(f"{emulator.base_url}/response/")
    webhook = WebhookClient(url)
    assert webhook.send(text="just for you").status_code == 200
    assert webhook.send(text="for all", response_type="in_channel").status_code == 200

    assert [m["text"] for m in emulator.ephemerals("U0ALICE")] == ["just for you"]
    assert [m["text"] for m in emulator.messages("C0GENERAL")] == ["for all"]
    calls = emulator.calls_to("response_url")
    assert [c.args["text"] for c in calls] == ["just for you", "for all"]

    posted = client.chat_postMessage(channel="C0GENERAL", text="vote?")
    on_message = WebhookClient(
        emulator.new_response_url(
            user_id="U0ALICE", channel_id="C0GENERAL", message_ts=posted["ts"]
        )
    )
    on_message.send_dict({"replace_original": True, "text": "voted"})
    assert emulator.messages("C0GENERAL")[-1]["text"] == "voted"
    on_message.send_dict({"delete_original": True})
    assert [m["text"] for m in emulator.messages("C0GENERAL")] == ["for all"]

    assert WebhookClient(f"{emulator.base_url}/response/nope").send(text="x").status_code == 404


def test_apps_connections_open_needs_the_app_token(
    client: WebClient, emulator: SlackEmulator
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.apps_connections_open(app_token=emulator.bot_token)
    assert _error(excinfo) == "not_allowed_token_type"
    url = client.apps_connections_open(app_token=emulator.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:")
    assert "/link/?ticket=" in url


def test_wait_for_returns_matching_calls_or_explains(
    client: WebClient, emulator: SlackEmulator
) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="a")
    client.chat_postMessage(channel="C0GENERAL", text="b")
    found = emulator.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "b")
    assert len(found) == 1

    with pytest.raises(AssertionError, match=r"chat.postMessage status=200"):
        emulator.wait_for("views.open", timeout=0.05)
    emulator.clear_calls()
    assert emulator.calls == []
    assert len(emulator.messages("C0GENERAL")) == 2


def test_multipart_bodies_and_channel_names(client: WebClient, emulator: SlackEmulator) -> None:
    response = client.api_call(
        "chat.postMessage",
        data={"channel": "#general", "text": "with a file part"},
        files={"file": b"\x00\x01binary"},
    )
    assert response["channel"] == "C0GENERAL"
    args = emulator.calls_to("chat.postMessage")[0].args
    assert args["text"] == "with a file part"
    assert args["file"] == b"\x00\x01binary"


def test_upload_url_accepts_multipart(client: WebClient, emulator: SlackEmulator) -> None:
    pending = client.files_getUploadURLExternal(filename="a.bin", length=3)
    boundary = "xyz"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"abc"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        pending["upload_url"],
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.read() == b"OK - 3"
    client.files_completeUploadExternal(
        files=[{"id": pending["file_id"], "title": "A"}], channel_id="C0GENERAL"
    )
    assert emulator.files[0].content == b"abc"
