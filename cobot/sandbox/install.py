"""A browser installing cobot into a workspace, as a workspace admin would: open cobot's
"Add to Slack" page, approve on Slack's (the emulator's) authorize page, land back on cobot's
redirect URL. Every step is a real HTTP request; the state cookie travels as a browser's."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

from cobot.sandbox.client import HttpResult

_LINK = re.compile(r'href="([^"]*oauth/v2/authorize[^"]*)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def get(url: str, *, cookie: str | None = None, timeout: float = 10.0) -> HttpResult:
    """One GET, redirects not followed (the caller looks at Location)."""
    request = urllib.request.Request(url, method="GET")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return HttpResult(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpResult(error.code, dict(error.headers.items()), error.read())


@dataclass
class Install:
    """What the browser saw at each step."""

    page: HttpResult
    authorize_url: str = ""
    redirect_url: str = ""
    cookie: str = ""
    done: HttpResult | None = None
    steps: list[str] = field(default_factory=list)


def cookie_of(result: HttpResult) -> str:
    """The state cookie cobot set (name=value), as a browser would send it back."""
    for name, value in result.headers.items():
        if name.lower() == "set-cookie":
            return value.split(";", 1)[0]
    return ""


def install(
    base_url: str,
    *,
    user_id: str,
    query: str = "",
    cookie: str | None = None,
    change_redirect: str | None = None,
) -> Install:
    """Install cobot as `user_id` (who is signed in to their workspace): GET /slack/install,
    follow its "Add to Slack" link to the authorize page, follow that back to cobot.

    `cookie` replaces the cookie the browser sends back (a different browser: None keeps
    the real one); `change_redirect` rewrites the redirect URL before following it (a
    tampered or replayed state or code)."""
    page = get(f"{base_url}/slack/install{query}")
    found = Install(page=page, cookie=cookie_of(page))
    match = _LINK.search(page.text)
    if page.status != 200 or match is None:
        return found
    found.authorize_url = html.unescape(match.group(1))
    approved = get(f"{found.authorize_url}&sandbox_user={user_id}")
    found.steps.append(f"authorize {approved.status}")
    where = next((v for k, v in approved.headers.items() if k.lower() == "location"), "")
    if approved.status != 302 or not where:
        return found
    found.redirect_url = change_redirect or where
    if urlsplit(found.redirect_url).netloc != urlsplit(base_url).netloc:
        return found
    found.done = get(found.redirect_url, cookie=found.cookie if cookie is None else cookie)
    return found
