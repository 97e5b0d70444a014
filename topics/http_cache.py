"""Purging a shared HTTP cache in front of the site (Varnish: deploy/varnish.vcl).

Every cached reader page says what it shows in a `Surrogate-Key` header
(topics/page_cache.py): `page` on every page, the view's name (`home`,
`section_detail`, `topic_detail`, `reference_list`, `tag_list`,
`tag_detail`, `recent_changes`; the API's `topic_list`, `topic_detail` and
`reference_list`; `sitemap_xml`), `nav` where the navigation is shown, and
the rows it is about (`topic-12`, `section-3`). Every write notes the tags
of the pages that show what it wrote (`purge_tags`); when its transaction
commits, one BAN request per cache named in `KB_HTTP_CACHE_PURGE` drops
the pages carrying any of them (Wagtail's front-end cache invalidation, by
tag). A write the mapping does not know, or a bulk write that does not say
what it wrote (`bump_version()` without `about`), purges every page.

The navigation (on the home, section and topic pages) shows every published
topic's title, summary and place: a topic or section write purges `nav`
only when the navigation's signature (topics/navigation.py) has changed
since the last purge, so a body-only publish leaves the other topics' pages
cached.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

EVERYTHING = "page"
NAV_IF_CHANGED = "nav?"
CITERS_OF = "citers-of-"
TAG = re.compile(r"[a-z0-9_-]+")  # what deploy/varnish.vcl accepts in X-KB-Purge
NAV_SIGNATURE_KEY = "http-cache:nav-signature"
# More tags than this in one purge: purge every page instead (a bulk write, an import).
MAX_TAGS = 40
PURGE_TIMEOUT_SECONDS = 2


def tags_for(about: Iterable[object] | None) -> set[str]:
    """The tags of the cached pages showing the rows in `about` (None: every page)."""
    tags: set[str] = set()
    for instance in [None] if about is None else about:
        try:
            tags |= purge_tags(instance)
        except Exception:  # a row already deleted with its parent: be safe
            logger.exception("http cache: purging every page after %r", instance)
            tags.add(EVERYTHING)
        if EVERYTHING in tags or len(tags) > MAX_TAGS:
            return {EVERYTHING}
    return tags


def purge_tags(instance: object | None) -> set[str]:
    """The tags of the cached pages that show `instance` (None: every page)."""
    name = type(instance).__name__
    topic_id = getattr(instance, "topic_id", None)
    topic_pages = {f"topic-{topic_id}"} if topic_id else set()
    if instance is None:
        return {EVERYTHING}
    if instance.pk is None and name in {"Topic", "Section"}:
        return {EVERYTHING}  # bulk-created without ids: which pages show them is unknown
    if name == "Topic":
        tags = {f"topic-{instance.pk}", "reference_list", "tag_list", "tag_detail"}
        tags |= {"recent_changes", "topic_list", "sitemap_xml", NAV_IF_CHANGED}
        if instance.parent_id:
            tags.add(f"topic-{instance.parent_id}")
        if instance.section_id:
            tags.add(f"section-{instance.section_id}")
        if instance.is_home:
            tags.add("home")
        return tags
    if name == "Section":
        return {f"section-{instance.pk}", "home", "topic_list", "sitemap_xml", NAV_IF_CHANGED}
    if name == "Revision":
        return topic_pages | {"recent_changes"}
    if name == "Citation":
        return topic_pages | {"reference_list"}
    if name == "Reference":
        if instance.pk is None:  # bulk-created: cited only by the citations written with it
            return {"reference_list"}
        # The pages of the topics citing it too: looked up once, when the purge is sent.
        return {"reference_list", f"{CITERS_OF}{instance.pk}"}
    if name == "TaggedTopic":
        return {f"topic-{instance.content_object_id}", "tag_list", "tag_detail", "topic_list"}
    if name in {"Feedback", "ReferenceSuggestion"}:
        return topic_pages
    if name == "ReviewEvent":
        return {"recent_changes"}  # with the revision or input it decides on, noted too
    if name == "Ballot":
        # Open rounds are not shown on cached pages; a closed round orders the navigation.
        return {NAV_IF_CHANGED}
    return {EVERYTHING}


class _Pending(threading.local):
    def __init__(self) -> None:
        self.tags: set[str] = set()


_pending = _Pending()


def note_change(tags: set[str]) -> None:
    """Remember pages a write affects (`tags_for`); purge them once its transaction commits."""
    if not settings.KB_HTTP_CACHE_PURGE:
        return
    _pending.tags |= tags
    if len(_pending.tags) > MAX_TAGS:
        _pending.tags = {EVERYTHING}
    # One callback per write, but only the first to run finds anything to send. Tags
    # of a transaction that rolled back are sent with the next one (harmless).
    transaction.on_commit(flush, robust=True)


def flush() -> None:
    """Send the pending purges to every shared cache."""
    tags, _pending.tags = _pending.tags, set()
    if not tags:
        return
    references = {int(tag.removeprefix(CITERS_OF)) for tag in tags if tag.startswith(CITERS_OF)}
    if references:
        tags -= {f"{CITERS_OF}{pk}" for pk in references}
        tags |= {f"topic-{pk}" for pk in _citing_topics(references)}
    signature = None
    if NAV_IF_CHANGED in tags:
        tags.discard(NAV_IF_CHANGED)
        signature = _nav_signature()
        if signature is None or signature != cache.get(NAV_SIGNATURE_KEY):
            tags.add("nav")
        else:
            signature = None  # unchanged: nothing to record
    if not tags:
        return
    if EVERYTHING in tags or len(tags) > MAX_TAGS or not all(map(TAG.fullmatch, tags)):
        tags = {EVERYTHING}
    sent = all(purge(address, tags) for address in settings.KB_HTTP_CACHE_PURGE)
    if sent and signature is not None:
        cache.set(NAV_SIGNATURE_KEY, signature, None)


def _citing_topics(references: set[int]) -> set[int]:
    from topics.models import Citation

    citations = Citation.objects.filter(reference_id__in=references)
    return set(citations.values_list("topic_id", flat=True))


def _nav_signature() -> str | None:
    from topics.navigation import published_nav

    try:
        return published_nav().signature
    except Exception:  # the purge must not fail a write that is already committed
        logger.exception("http cache: could not compute the navigation's signature")
        return None


def purge(address: str, tags: Iterable[str]) -> bool:
    """Ask the cache at `address` (http://host:port) to drop the pages carrying any of `tags`."""
    parts = urlsplit(address)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=PURGE_TIMEOUT_SECONDS
    )
    header = " ".join(sorted(tags))
    try:
        connection.request("BAN", parts.path or "/", headers={"X-KB-Purge": header})
        status = connection.getresponse().status
    except OSError as error:
        logger.warning("http cache: purging %s at %s failed: %s", header, address, error)
        return False
    finally:
        connection.close()
    if status != 200:
        logger.warning("http cache: purging %s at %s answered %s", header, address, status)
    return status == 200
