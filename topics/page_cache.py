"""Whole-page cache for anonymous readers.

A cached page is keyed by the content version (the newest ContentChange,
added by every write that readers could see, through model signals and the
few bulk writes), the
current minute (so that time-based changes such as a round closing or a
topic becoming due for review show within a minute), the host and the
path. Signed-in users, anyone with a session or pending messages, and
pages that set a cookie are never served from or stored in the cache.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse

from topics.models import ContentChange

PAGE_TTL_SECONDS = 120
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


def cached_for_readers(view):
    """Serve anonymous readers a stored copy of the page while nothing has changed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        minute = int(time.time() // 60)
        key = f"page:v1:{current_version()}:{minute}:{request.get_host()}:{path}"
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
        ):
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TTL_SECONDS)
        return response

    return wrapped
