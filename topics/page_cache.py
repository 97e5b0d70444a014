"""Whole-page cache for anonymous readers, in two layers.

**What a page is keyed by.** The content version (the newest ContentChange,
added by every write that readers could see, through model signals and the
few bulk writes), the current minute (so that time-based changes such as a
round closing or a topic becoming due for review show within a minute), the
scheme, the host, the path and only the query parameters the view reads
(named in the decorator): `?utm=<random>` is the same page and the same
entry, so nobody can fill the cache by varying the query string. Signed-in
users, anyone with a session or pending messages, and pages that set a
cookie or hold a CSRF token are never served from or stored in the cache.

**The version check.** Each process reads the content version from the
database at most once a second (one query on the primary-key index; from the
database the page is read from, the replica for anonymous readers when there
is one, kb/db_router.py, so that a page is never stored under a version its
database has not replayed yet), and at once when the request asks for a
fresh copy (`Cache-Control: no-cache`, as Varnish asks on every fetch, see
deploy/varnish.vcl) or when the process itself has just written. So another
process's write shows within a second.

**Faults.** A database that cannot be reached is a 503 (topics/views/errors.py).
While Redis cannot be reached, the cache answers from each process's memory
(kb/cache.py): the precomputed lists then follow the content version, and
are moved once Redis is back, since writes during the outage could not move them.

**Shared layer** (`cached_for_readers`, inside Django): the Django cache
(Redis in production) holds each page once for every worker, gzip-compressed
when it is stored, with a strong ETag: pages are rendered once per version
and minute, whichever worker asks first.

**Process layer** (`ReaderCache`, the WSGI application gunicorn runs, see
kb/wsgi.py): each worker keeps the pages it has served, with the headers
Django's middleware gave them, and answers a repeated request before
Django's request handling: no request object, middleware, session, template
or query (beyond the version check). It holds only the current version and
minute, at most LOCAL_MAX_BYTES.

Both answer conditional GETs with 304, send `Cache-Control: public,
max-age=0, s-maxage=<seconds left in the minute>` and `Vary: Accept-Encoding,
Cookie`, and `Surrogate-Key` naming what the page shows, for purging a
shared HTTP cache (topics/http_cache.py).

The cache stays bounded: every shared entry expires after PAGE_TTL_SECONDS,
pages over MAX_PAGE_BYTES are not stored, and only answers of 200 are (so
the keys are existing pages, times hosts and schemes). On Redis, also set
`maxmemory` with `maxmemory-policy allkeys-lru`, since Redis has no limit
of its own.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial, wraps
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core import signals
from django.core.cache import cache
from django.db import router, transaction
from django.db.models import Max
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.cookie import parse_cookie

from kb.cache import on_recovery
from kb.db_router import PIN_COOKIE, reading_replica
from topics.models import ContentChange

PAGE_TTL_SECONDS = 120
MAX_PAGE_BYTES = 1024 * 1024
KEEP_CHANGES = 1000
VERSION_CHECK_SECONDS = 1.0
LOCAL_MAX_BYTES = 32 * 1024 * 1024
# Tags every cached page carries, whatever else it shows (see topics/http_cache.py).
EVERYTHING = "page"
# Pages whose data is precomputed until a write touches it (see list_version).
PRECOMPUTED_LISTS = frozenset({"reference_list", "nav"})
VARY = "Accept-Encoding, Cookie"
# Headers a stored page decides itself; every other header of Django's answer is kept.
PAGE_HEADERS = frozenset(
    {"content-type", "content-length", "content-encoding", "etag", "vary", "cache-control"}
    | {"surrogate-key", "set-cookie", "date", "server"}
)


# --- The content version ------------------------------------------------------


def current_version() -> int:
    """The newest change id (one lookup on the primary-key index)."""
    return ContentChange.objects.aggregate(newest=Max("pk"))["newest"] or 0


class _Checked(threading.local):
    """This process's last readings of the version (per thread: live test servers use several).

    One per database alias: the replica may be behind the primary.
    """

    def __init__(self):
        self.readings: dict[str, tuple[int, float]] = {}


_checked = _Checked()
_written = {"at": -math.inf}  # when this process last wrote: every thread reads again


def known_version() -> int | None:
    """This thread's reading of the version, if under a second old and not older than a write."""
    value, at = _checked.readings.get(router.db_for_read(ContentChange), (None, -math.inf))
    if at < _written["at"] or time.monotonic() - at >= VERSION_CHECK_SECONDS:
        return None
    return value


def content_version(*, fresh: bool = False) -> int:
    """The content version, read from the database at most once a second (or now, if `fresh`)."""
    version = None if fresh else known_version()
    if version is None:
        version = current_version()
        _checked.readings[router.db_for_read(ContentChange)] = (version, time.monotonic())
    return version


def forget_version() -> None:
    """Make every thread of this process read the version again (after its own write)."""
    _written["at"] = time.monotonic()
    _checked.readings.clear()


def bump_version(*, about: Iterable[object] | None = None) -> None:
    """Invalidate every cached page, in the same transaction as the write itself.

    `about` names the rows written, so a shared HTTP cache purges only the
    pages showing them (topics/http_cache.py); without it, every page.
    """
    from topics import http_cache

    change = ContentChange.objects.create()
    if change.pk % KEEP_CHANGES == 0:
        # Only the newest id matters: drop old rows now and then.
        ContentChange.objects.filter(pk__lt=change.pk - KEEP_CHANGES).delete()
    forget_version()  # this transaction's own reads see it at once...
    transaction.on_commit(forget_version)  # ...and the other threads once it is committed
    tags = http_cache.tags_for(about)
    if lists_touched(tags):
        move_lists(tags)
        transaction.on_commit(partial(move_lists, tags))
    http_cache.note_change(tags)


def list_version(tag: str) -> str:
    """A token that changes with every write to what the pages tagged `tag` show.

    Data precomputed for such a page (the reference list) is kept under it,
    so a write elsewhere (another topic's text) does not throw it away. With
    a cache of each process's own, it is the content version.
    """
    if not cache_is_shared() or getattr(cache, "degraded", False):
        # Each process has its own cache (or Redis is unreachable and the cache answers
        # from process memory): only the database says another one wrote.
        return f"version-{content_version()}"
    key = f"list-version:{tag}"
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def cache_is_shared() -> bool:
    """Whether every worker and machine sees the same cache (Redis, memcached)."""
    from topics.checks import SHARED_CACHE_BACKENDS

    return settings.CACHES["default"]["BACKEND"] in SHARED_CACHE_BACKENDS or getattr(
        cache, "is_shared", False
    )


def lists_touched(tags: set[str]) -> set[str]:
    """The precomputed lists showing what a write with these tags wrote.

    A topic or section write may change the navigation (`nav?`): its token
    moves, and each process builds the navigation again (topics/navigation.py).
    """
    from topics.http_cache import NAV_IF_CHANGED

    if EVERYTHING in tags:
        return set(PRECOMPUTED_LISTS)
    return (tags & PRECOMPUTED_LISTS) | ({"nav"} if NAV_IF_CHANGED in tags else set())


def move_lists(tags: set[str]) -> None:
    """Give the precomputed lists a write touches a new token (now, and again on commit)."""
    for tag in lists_touched(tags):
        cache.set(f"list-version:{tag}", uuid.uuid4().hex, None)


# Writes while Redis was unreachable could not move the lists' tokens there.
on_recovery(partial(move_lists, {EVERYTHING}))


def current_minute() -> int:
    return int(time.time() // 60)


# --- What may be cached ----------------------------------------------------------


def is_anonymous(environ: dict) -> bool:
    """No session, no pending messages, no credentials: a request any reader could make."""
    if environ.get("HTTP_AUTHORIZATION"):
        return False
    header = environ.get("HTTP_COOKIE")
    if not header:
        return True
    cookies = parse_cookie(header)
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and "messages" not in cookies
        and PIN_COOKIE not in cookies  # wrote a moment ago: reads the primary (kb/db_router.py)
    )


def wants_fresh(environ: dict) -> bool:
    """The client asks for a copy checked against the origin (a hard reload; Varnish's fetches)."""
    return "no-cache" in environ.get("HTTP_CACHE_CONTROL", "") or "no-cache" in environ.get(
        "HTTP_PRAGMA", ""
    )


def _cacheable(request: HttpRequest) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and is_anonymous(request.META)
        and not request.user.is_authenticated
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """An answer that is the same for every reader: no cookie, no CSRF token, no message."""
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Set-Cookie")
        and not response.has_header("Content-Encoding")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not (messages is not None and getattr(messages, "added_new", False))
        and len(response.content) <= MAX_PAGE_BYTES
        and b'name="csrfmiddlewaretoken"' not in response.content
    )


def add_page_tags(request: HttpRequest, *tags: str) -> None:
    """Say what a cached page shows (`topic-12`, `nav`), for purging a shared HTTP cache."""
    page_tags = getattr(request, "page_tags", None)
    if page_tags is not None:
        page_tags.update(tags)


# --- Keys ------------------------------------------------------------------------


def _scheme(environ: dict) -> str:
    """The scheme as Django reads it (SECURE_PROXY_SSL_HEADER, else the server's)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return environ.get("wsgi.url_scheme", "http")


def _query(query_string: str, params: tuple[str, ...]) -> str:
    if not params or not query_string:
        return ""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(sorted((name, value) for name, value in pairs if name in params))


def page_key(request: HttpRequest, params: Iterable[str], *, version: int, minute: int) -> str:
    """The shared cache's key: version, minute, scheme, host, path and the parameters read."""
    query = urlencode([(name, request.GET.getlist(name)) for name in sorted(params)], doseq=True)
    location = "\n".join([request.scheme, request.get_host(), request.path, query])
    digest = hashlib.blake2b(location.encode(errors="backslashreplace"), digest_size=16)
    return f"page:v3:{version}:{minute}:{digest.hexdigest()}"


# --- A stored page ---------------------------------------------------------------


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (`gzip;q=0` refuses it)."""
    if "gzip" not in accept_encoding and "*" not in accept_encoding:
        return False
    for item in accept_encoding.lower().split(","):
        name, _, parameters = item.partition(";")
        if name.strip() in {"gzip", "x-gzip", "*"}:
            quality = parameters.strip().removeprefix("q=").strip() or "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names `etag` (or `*`)."""
    return if_none_match.strip() == "*" or etag in (tag.strip() for tag in if_none_match.split(","))


@dataclass(frozen=True)
class StoredPage:
    """A page as every anonymous reader gets it, compressed once, when it is stored."""

    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str
    tags: str
    version: int
    minute: int

    @classmethod
    def from_response(
        cls, response: HttpResponse, *, tags: Iterable[str], version: int, minute: int
    ) -> StoredPage:
        body = response.content
        # Level 6: a 127 KB topic page (500 topics in its navigation) compresses in 1.2 ms
        # instead of level 9's 2.8 ms, to 12 bytes more.
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(
            content_type=response["Content-Type"],
            body=body,
            gzipped=gzipped if len(gzipped) < len(body) else None,
            etag=f'"{digest}"',
            tags=" ".join(sorted(set(tags))),
            version=version,
            minute=minute,
        )

    def representation(self, accept_encoding: str) -> tuple[bytes, str, str | None]:
        """The body, ETag and Content-Encoding for a client's Accept-Encoding."""
        if self.gzipped is not None and accepts_gzip(accept_encoding):
            return self.gzipped, self.etag[:-1] + '-gzip"', "gzip"
        return self.body, self.etag, None

    def cache_control(self) -> str:
        """Shared caches may keep the page until the minute it belongs to ends."""
        left = max(1, (self.minute + 1) * 60 - int(time.time()))
        return f"public, max-age=0, s-maxage={left}"

    def headers(self, etag: str, encoding: str | None) -> list[tuple[str, str]]:
        headers = [
            ("Content-Type", self.content_type),
            ("ETag", etag),
            ("Vary", VARY),
            ("Surrogate-Key", self.tags),
        ]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        return headers

    def response_for(self, request: HttpRequest) -> HttpResponse:
        """Django's answer to `request` (200 or 304) from this copy."""
        body, etag, encoding = self.representation(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body)
        for name, value in self.headers(etag, encoding):
            if not (name == "Content-Type" and response.status_code == 304):
                response[name] = value
        response["Cache-Control"] = self.cache_control()
        response.reader_page = self
        return response


# --- The shared layer: a decorator ----------------------------------------------------


def cached_for_readers(view=None, *, params: Iterable[str] = ()):
    """Serve anonymous readers a stored copy of the page while nothing has changed.

    `params` names the query parameters the view reads (`params=("page",)`);
    every other parameter is ignored, for the key as for the page. The view
    may name what it shows with `add_page_tags`; its own name is a tag too.
    """
    if view is None:
        return partial(cached_for_readers, params=tuple(params))
    params = tuple(sorted(params))

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            response = view(request, *args, **kwargs)
            if not response.has_header("Cache-Control"):
                response["Cache-Control"] = "private, no-cache"
            return response
        version = content_version(fresh=wants_fresh(request.META))
        minute = current_minute()
        key = page_key(request, params, version=version, minute=minute)
        page = cache.get(key)
        if page is None:
            request.page_tags = {EVERYTHING, view.__name__}
            response = view(request, *args, **kwargs)
            if not _storable(request, response):
                return response
            page = StoredPage.from_response(
                response, tags=request.page_tags, version=version, minute=minute
            )
            cache.set(key, page, PAGE_TTL_SECONDS)
        response = page.response_for(request)
        response.reader_page_params = params
        return response

    return wrapped


# --- The process layer: a WSGI application around Django's ----------------------------


@dataclass(frozen=True)
class _LocalPage:
    page: StoredPage
    identity_headers: list[tuple[str, str]]
    gzip_headers: list[tuple[str, str]] | None
    size: int


class ReaderCache:
    """Answer anonymous readers from this process's copy of the pages it served.

    Only pages Django stored for readers (`cached_for_readers`) are kept, with
    the headers its middleware added (security headers, CSP); a hit costs a
    dictionary lookup, and the version check at most once a second.
    """

    def __init__(self, application, max_bytes: int = LOCAL_MAX_BYTES):
        self.application = application
        self.max_bytes = max_bytes
        self.pages: OrderedDict[tuple, _LocalPage] = OrderedDict()
        self.generation: tuple[int, int] | None = None
        self.size = 0
        # (scheme, host, path) -> the query parameters its view reads, as learnt from Django.
        self.params: dict[tuple[str, str, str], tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not is_anonymous(environ):
            return self.application(environ, start_response)
        location = (
            _scheme(environ),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
        )
        params = self.params.get(location)
        if params is not None:
            generation = self._generation(environ)
            key = (*location, _query(environ.get("QUERY_STRING", ""), params))
            local = self._get(generation, key) if generation else None
            if local is not None:
                return self._serve(local, environ, start_response)
        return self._through_django(environ, start_response, location)

    def _generation(self, environ: dict) -> tuple[int, int] | None:
        """(version, minute), the version checked as Django would; None if the database fails."""
        # An anonymous GET: read the version where Django will read the page (the replica).
        with reading_replica():
            version = None if wants_fresh(environ) else known_version()
            if version is not None:
                return (version, current_minute())
            # Around its one query, what Django does around each request (old connections closed).
            signals.request_started.send(sender=self.__class__, environ=environ)
            try:
                return (content_version(fresh=True), current_minute())
            except DatabaseError:
                return None  # let Django answer, as it does when the database is down
            finally:
                signals.request_finished.send(sender=self.__class__)

    def _get(self, generation: tuple[int, int], key: tuple) -> _LocalPage | None:
        with self.lock:
            if generation != self.generation:
                self._clear(generation)
                return None
            local = self.pages.get(key)
            if local is not None:
                self.pages.move_to_end(key)
            return local

    def _clear(self, generation: tuple[int, int] | None) -> None:
        self.pages.clear()
        self.size = 0
        self.generation = generation

    def _serve(self, local: _LocalPage, environ: dict, start_response):
        page = local.page
        headers = local.identity_headers
        body, etag = page.body, page.etag
        if local.gzip_headers is not None and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            headers, body, etag = local.gzip_headers, page.gzipped, page.etag[:-1] + '-gzip"'
        cache_control = ("Cache-Control", page.cache_control())
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and etag_matches(if_none_match, etag):
            # The same headers but the first, Content-Type (a 304 has no body).
            start_response("304 Not Modified", [*headers[1:], cache_control])
            return []
        start_response("200 OK", [*headers, cache_control, ("Content-Length", str(len(body)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _through_django(self, environ: dict, start_response, location: tuple[str, str, str]):
        answer: dict = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        response = self.application(environ, capture)
        page = getattr(response, "reader_page", None)
        params = getattr(response, "reader_page_params", None)
        headers = answer.get("headers") or []
        if (
            page is not None
            and params is not None
            and answer.get("status", "").startswith("200")
            and not any(name.lower() == "set-cookie" for name, _ in headers)
        ):
            self._store(page, params, location, environ, headers)
        return response

    def _store(self, page: StoredPage, params, location, environ: dict, headers) -> None:
        outer = [(name, value) for name, value in headers if name.lower() not in PAGE_HEADERS]
        local = _LocalPage(
            page=page,
            identity_headers=[*page.headers(page.etag, None), *outer],
            gzip_headers=(
                [*page.headers(page.etag[:-1] + '-gzip"', "gzip"), *outer]
                if page.gzipped is not None
                else None
            ),
            size=len(page.body) + len(page.gzipped or b"") + 2048,
        )
        key = (*location, _query(environ.get("QUERY_STRING", ""), params))
        with self.lock:
            if len(self.params) > 100_000:
                self.params.clear()
            self.params[location] = params
            generation = (page.version, page.minute)
            if generation != self.generation:
                if self.generation is not None and generation < self.generation:
                    return  # an older copy, rendered while the version moved on
                self._clear(generation)
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= old.size
            self.pages[key] = local
            self.size += local.size
            while self.size > self.max_bytes and self.pages:
                _, evicted = self.pages.popitem(last=False)
                self.size -= evicted.size
