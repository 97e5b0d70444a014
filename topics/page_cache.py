"""Whole-page cache for anonymous readers.

A cached page is keyed by the content version (the newest ContentChange,
added by every write that readers could see, through model signals and the
few bulk writes), the
current minute (so that time-based changes such as a round closing or a
topic becoming due for review show within a minute), the scheme, the host,
the path and only the query parameters the view reads (named in the
decorator): `?utm=<random>` is the same page and the same entry, so
nobody can fill the cache by varying the query string. Signed-in users,
anyone with a session or pending messages, and pages that set a cookie are
never served from or stored in the cache.

The cache stays bounded: every entry expires after PAGE_TTL_SECONDS, pages
over MAX_PAGE_BYTES are not stored, and only answers of 200 are (so the
keys are existing pages, times hosts and schemes). On Redis, also set
`maxmemory` with `maxmemory-policy allkeys-lru`, since Redis has no limit
of its own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from functools import partial, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse

from topics.models import ContentChange

PAGE_TTL_SECONDS = 120
MAX_PAGE_BYTES = 1024 * 1024
KEEP_CHANGES = 1000


def current_version() -> int:
    """The newest change id (one lookup on the primary-key index)."""
    return ContentChange.objects.aggregate(newest=Max("pk"))["newest"] or 0


def bump_version() -> None:
    """Invalidate every cached page, in the same transaction as the write itself."""
    change = ContentChange.objects.create()
    if change.pk % KEEP_CHANGES == 0:
        # Only the newest id matters: drop old rows now and then.
        ContentChange.objects.filter(pk__lt=change.pk - KEEP_CHANGES).delete()


def _cacheable(request: HttpRequest) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def page_key(request: HttpRequest, params: Iterable[str]) -> str:
    """The cache key of a page: version, minute, scheme, host, path and the parameters read."""
    query = urlencode([(name, request.GET.getlist(name)) for name in sorted(params)], doseq=True)
    location = "\n".join([request.scheme, request.get_host(), request.path, query])
    digest = hashlib.blake2b(location.encode(errors="backslashreplace"), digest_size=16)
    minute = int(time.time() // 60)
    return f"page:v2:{current_version()}:{minute}:{digest.hexdigest()}"


def cached_for_readers(view=None, *, params: Iterable[str] = ()):
    """Serve anonymous readers a stored copy of the page while nothing has changed.

    `params` names the query parameters the view reads (`params=("page",)`);
    every other parameter is ignored, for the key as for the page.
    """
    if view is None:
        return partial(cached_for_readers, params=tuple(params))
    params = tuple(params)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = page_key(request, params)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and len(response.content) <= MAX_PAGE_BYTES
        ):
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TTL_SECONDS)
        return response

    return wrapped
