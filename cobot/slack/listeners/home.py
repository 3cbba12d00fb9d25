"""App Home: publish the person's Home tab when they open it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from cobot.slack.blocks.home import welcome_home


def register(app: App) -> None:
    """Publish the Home tab on app_home_opened (Home tab only, not the Messages tab)."""

    def on_home_opened(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=welcome_home())

    app.event("app_home_opened")(on_home_opened)
