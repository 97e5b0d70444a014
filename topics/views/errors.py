"""Friendly error pages."""

import logging
import math
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import format_html

logger = logging.getLogger(__name__)

# The database could not be reached, or dropped the connection (a restart, a failover).
OUTAGE_ERRORS = (OperationalError, InterfaceError)
# What a 503 asks clients (and balancers) to wait before trying again.
RETRY_AFTER_SECONDS = 5


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse(
        loader.render_to_string("404.html", {"path": request.path}, request), status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while Django handles the uncaught exception: a database outage is a 503.
    error = sys.exc_info()[1]
    if isinstance(error, OUTAGE_ERRORS):
        return service_unavailable(request, error)
    # No context processors or database: this page must render when they fail.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def service_unavailable(request: HttpRequest, error: Exception | None = None) -> HttpResponse:
    """503 with Retry-After: the database is unreachable; the page renders without it."""
    _outage.fault(error)
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response.database_fault = True  # ReadReplicaMiddleware asks the primary again
    response._has_been_logged = True  # once per outage (below), not once per request
    return response


class _DatabaseOutage:
    """Log a database outage when its first request fails, and when a connection works again."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since: float | None = None
        self.requests = 0

    def fault(self, error: Exception | None) -> None:
        with self.lock:
            self.requests += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        logger.error(
            "Database unreachable: answering 503 until it is back (%s: %s)",
            type(error).__name__,
            str(error).strip(),
        )

    def connected(self, sender, connection, **kwargs) -> None:
        if self.since is None:
            return
        with self.lock:
            if self.since is None:
                return
            seconds, requests = time.monotonic() - self.since, self.requests
            self.since, self.requests = None, 0
        logger.warning(
            "Database reachable again (%s) after %.1f s; %d requests answered 503.",
            connection.alias,
            seconds,
            requests,
        )


_outage = _DatabaseOutage()
connection_created.connect(_outage.connected, dispatch_uid="kb-database-outage")


def too_many_requests(
    request: HttpRequest, *, retry_after: int | None = None, sign_in: bool = False
) -> HttpResponse:
    """429: a rate limit refused the request. Say so, and when to try again if we know."""
    minutes = math.ceil(retry_after / 60) if retry_after else None
    if sign_in:
        message = "Too many sign-in attempts from your address."
    else:
        message = "You sent too many requests in a short time."
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}." if minutes else ""
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        # The Markdown editor's preview pane and its upload: a short answer it can show.
        text = f"{message} {wait or 'Wait a little and try again.'}"
        match = request.resolver_match
        if match is not None and match.url_name == "markdownx_upload":
            response = JsonResponse({"image": [text]}, status=429)
        else:
            response = HttpResponse(format_html('<p class="form-error">{}</p>', text), status=429)
    else:
        context = {"message": message, "wait": wait, "sign_in": sign_in}
        response = HttpResponse(loader.render_to_string("429.html", context, request), status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
