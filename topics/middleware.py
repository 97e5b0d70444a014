"""Middleware of our own."""

import re

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import MiddlewareNotUsed, TooManyFieldsSent, ValidationError
from django.core.signing import BadSignature
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
)

from kb.db_router import PIN_COOKIE, PIN_SALT, reading_replica, replica_configured, replica_down
from topics.page_cache import is_anonymous
from topics.views.health import healthz, readyz


class HealthCheckMiddleware:
    """Answer /healthz (liveness) and /readyz (readiness) before host validation.

    Load balancers and container health checks call them by IP over plain HTTP,
    which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method in {"GET", "HEAD"}:
            if request.path == "/healthz":
                return healthz(request)
            if request.path == "/readyz":
                return readyz(request)
        return self.get_response(request)


class ReadReplicaMiddleware:
    """Decide, before any query, whether this request may read the replica (kb/db_router.py).

    Anonymous GET and HEAD requests may, unless the client wrote in the last
    KB_REPLICA_PIN_SECONDS; a request that writes pins its client to the primary.
    A page the replica answered with 404 (a topic published a moment ago that
    the replica has not replayed yet) or with a database fault is asked again
    of the primary: both are GETs, and a second try costs one render.
    Not installed without DATABASE_REPLICA_URL.
    """

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in {"GET", "HEAD"}
        may_read_replica = safe and is_anonymous(request.META) and not pinned(request)
        with reading_replica(may_read_replica) as reads:
            response = self.get_response(request)
            fault = getattr(response, "database_fault", False)
            if reads.used_replica and (response.status_code == 404 or fault):
                if fault:
                    replica_down()
                reads.replica = reads.used_replica = False
                response = self.get_response(request)
        if not safe or reads.wrote:
            pin(response)
        return response


def pinned(request: HttpRequest) -> bool:
    """Whether the client wrote in the last KB_REPLICA_PIN_SECONDS."""
    if PIN_COOKIE not in request.COOKIES:
        return False
    try:
        request.get_signed_cookie(
            PIN_COOKIE, salt=PIN_SALT, max_age=settings.KB_REPLICA_PIN_SECONDS
        )
    except (BadSignature, KeyError):
        return False
    return True


def pin(response: HttpResponse) -> None:
    """Send the client's next reads to the primary for KB_REPLICA_PIN_SECONDS."""
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_SALT,
        max_age=settings.KB_REPLICA_PIN_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class RejectNulMiddleware:
    """Answer 400 to a NUL character in the path or the query string.

    PostgreSQL cannot store or compare text containing NUL, so such a value
    reaching a query would be a 500. Form fields reject it with a message.
    Admin actions are the one place where posted values reach a query
    unchecked: see `process_view`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            parameters = request.GET.lists()
        except TooManyFieldsSent:
            # Django would answer 400 too, but with DEBUG on its error page reads the
            # parameters again and fails: a 500 on the development server.
            return HttpResponseBadRequest("Too many parameters in the address.")
        if "\x00" in request.path or any(
            "\x00" in value for values in parameters for value in values[1]
        ):
            return HttpResponseBadRequest("NUL characters are not allowed in addresses.")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """Answer 400 to an admin action on items that are not primary keys.

        The admin filters `pk__in` with the posted `_selected_action` values as
        they are: "abc", "²" or "1\x00" raise ValueError, and a number past the
        column's range overflows, both a 500, on every model of every admin.
        Only a changelist's POST is read here; other forms keep their messages.
        A changelist's GET filters (`?id__in=…`) are checked for numbers past that
        range: SQLite's driver cannot bind them (OverflowError, a 500).
        """
        model_admin = getattr(view_func, "model_admin", None)
        url_name = getattr(request.resolver_match, "url_name", None) or ""
        if model_admin is None or not url_name.endswith("_changelist"):
            return None
        if request.method in ("GET", "HEAD"):
            return _out_of_range_filter(request)
        if request.method != "POST":
            return None
        pk = model_admin.model._meta.pk
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                if "\x00" in value:
                    raise ValidationError("NUL")
                pk.clean(value, None)
            except ValidationError:
                return HttpResponseBadRequest("The selected items are not valid: nothing was done.")
        return None


INTEGER = re.compile(r"-?[0-9]+")


def _out_of_range_filter(request: HttpRequest) -> HttpResponse | None:
    """400 for an admin list filtered by a whole number no database column can hold."""
    for name, values in request.GET.lists():
        if name == SEARCH_VAR:  # searched as text
            continue
        for value in values:
            for part in value.split(","):
                part = part.strip()
                if INTEGER.fullmatch(part) and (
                    len(part) > 20 or not -(2**63) <= int(part) < 2**63
                ):
                    return HttpResponseBadRequest(
                        "A number in this address is out of range: nothing can match it."
                    )
    return None


OLD_TOPIC_PATH = re.compile(r"^/topics/(?P<slug>[-a-zA-Z0-9_]+)/(?P<rest>.*)$")


class OldTopicAddressMiddleware:
    """Redirect (301) any page of a renamed topic from its old slug to its new one.

    Only a request that found nothing (a 404) is looked at, so a live topic's
    pages cost nothing more; only published topics are followed (a draft's
    new slug is not revealed), and only for GET and HEAD.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        match = OLD_TOPIC_PATH.match(request.path_info)
        if match is None:
            return response
        from topics.models import OldTopicAddress, Topic

        old = (
            OldTopicAddress.objects.filter(slug=match["slug"], topic__status=Topic.Status.PUBLISHED)
            .select_related("topic")
            .first()
        )
        if old is None or old.topic.slug == match["slug"]:
            return response
        query = request.META.get("QUERY_STRING", "")
        target = f"/topics/{old.topic.slug}/{match['rest']}" + (f"?{query}" if query else "")
        return HttpResponsePermanentRedirect(request.META.get("SCRIPT_NAME", "") + target)
