"""Rate limits on every request that writes, counted in the shared cache.

Our own stakeholder-facing views carry django-ratelimit's ``@ratelimit``
(``block=True``). The views we cannot decorate (Django's sign-in and password
views, the admin) and the editors' actions are limited here, by URL name, in
one table. A refusal of either kind is answered by ``RateLimitMiddleware`` with
a 429 page that says what happened, never a bare 403.

Counts live in ``RATELIMIT_USE_CACHE`` (Redis when ``REDIS_URL`` is set), so
they hold across workers and machines; with local memory they count per
process, and ``topics.checks`` says so at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

from topics.views.errors import too_many_requests

EDITOR_RATE = "120/h"


@dataclass(frozen=True)
class Limit:
    """A limit shared by every URL name that names the same `group`."""

    group: str
    key: str
    rate: str = ""  # "20/m"
    setting: str = ""  # or the name of the setting holding the rate, read on every request

    def rate_now(self) -> str:
        return getattr(settings, self.setting) if self.setting else self.rate


SIGN_IN = Limit(group="sign-in", key="ip", setting="KB_SIGN_IN_RATE")
EDITOR_ACTIONS = Limit(group="editor-actions", key="user", rate=EDITOR_RATE)

LIMITS_BY_URL_NAME = {
    # Password hashing is the costly part of a sign-in: an address gets few tries a minute.
    "login": SIGN_IN,
    "admin:login": SIGN_IN,
    "password_change": Limit(group="password-change", key="user", rate="10/h"),
    "password_reset_confirm": Limit(group="password-set", key="ip", rate="20/h"),
    "review_revision": EDITOR_ACTIONS,
    "review_merge": EDITOR_ACTIONS,
    "review_feedback": EDITOR_ACTIONS,
    "review_reference": EDITOR_ACTIONS,
    "review_stakeholders": EDITOR_ACTIONS,
    "revision_restore": EDITOR_ACTIONS,
    "topic_mark_reviewed": EDITOR_ACTIONS,
}
# Every other admin page that writes: generous, since one bulk action is one request.
ADMIN_WRITES = Limit(group="admin-writes", key="user_or_ip", setting="KB_ADMIN_WRITE_RATE")


def limit_for(view_name: str) -> Limit | None:
    if view_name in LIMITS_BY_URL_NAME:
        return LIMITS_BY_URL_NAME[view_name]
    if view_name.startswith("admin:"):
        return ADMIN_WRITES
    return None


def wait_seconds(request: HttpRequest, limit: Limit) -> int | None:
    """Count one POST against `limit`; the seconds to wait when it is over, else None."""
    usage = get_usage(
        request,
        group=limit.group,
        key=limit.key,
        rate=limit.rate_now(),
        method="POST",
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(usage["time_left"], 1)


def sign_in_wait(request: HttpRequest) -> int | None:
    """Count a sign-in attempt from the request's address; seconds to wait when over."""
    return wait_seconds(request, SIGN_IN)


class RateLimitMiddleware:
    """Limit the writes listed above, and answer every rate-limit refusal with a 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if request.method != "POST":
            return None
        limit = limit_for(request.resolver_match.view_name)
        if limit is None:
            return None
        seconds = wait_seconds(request, limit)
        if seconds is None:
            return None
        return too_many_requests(request, retry_after=seconds, sign_in=limit is SIGN_IN)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, Ratelimited):
            return too_many_requests(request)
        return None
