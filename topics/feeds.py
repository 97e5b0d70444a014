"""/feed/ and /topics/<slug>/feed/: Atom feeds of published changes, each linking to its diff."""

import html
import re
from dataclasses import dataclass

import nh3
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from topics.models import Revision, SiteIdentity, Topic
from topics.views.changes import change_url, published_changes

# XML 1.0 cannot carry these at all: one in a message would make the whole feed a 500.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(text: str) -> str:
    """`text` without the control characters XML 1.0 cannot represent."""
    return CONTROL_CHARACTERS.sub("", str(text))


class TextSummaryAtomFeed(Atom1Feed):
    """Atom whose entry summaries are `type="text"`: feed readers show a message as typed.

    Django's Atom1Feed declares every summary as HTML, so a message such as
    `<img src=x onerror=…>` would be read as markup by the reader.
    """

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


def plain_text(fragment: str) -> str:
    """A copyright line (simple HTML, as mkdocs.yml writes it) as text for the feed's rights."""
    return xml_text(html.unescape(nh3.clean(fragment, tags=set())))


@dataclass(frozen=True)
class FeedSubject:
    """What a feed is about: the site (with its identity, read once a request), or one topic."""

    identity: SiteIdentity
    topic: Topic | None = None


class LatestChangesFeed(Feed):
    """/feed/: titled, described and attributed with the site's identity.

    Links are absolute on the identity's address when one is set in the
    admin, else on the address the request came to (Django's default).
    """

    feed_type = TextSummaryAtomFeed

    def get_object(self, request) -> FeedSubject:
        return FeedSubject(SiteIdentity.current())

    def get_feed(self, obj: FeedSubject, request):
        feed = super().get_feed(obj, request)
        if obj.identity.url:
            here = f"{request.scheme}://{request.get_host()}"
            for values in [feed.feed, *feed.items]:
                for key in ("link", "feed_url", "id"):
                    if (values.get(key) or "").startswith(here + "/"):
                        values[key] = obj.identity.address + values[key][len(here) :]
        return feed

    def title(self, subject: FeedSubject) -> str:
        return xml_text(f"{subject.identity.display_name}: latest changes")

    def subtitle(self, subject: FeedSubject) -> str:
        description = subject.identity.description
        return xml_text(description or "Published changes to the knowledge base, newest first.")

    def link(self, subject: FeedSubject) -> str:
        return "/"

    def feed_copyright(self, subject: FeedSubject) -> str | None:
        return plain_text(subject.identity.copyright) or None

    def author_name(self, subject: FeedSubject) -> str:
        return xml_text(subject.identity.display_name)

    def items(self, subject: FeedSubject):
        return published_changes()[:50]

    def item_title(self, item: Revision) -> str:
        return xml_text(f"{item.topic.title}: {item.message or 'updated'}")

    def item_description(self, item: Revision) -> str:
        return xml_text(item.message or f"{item.topic.title} was updated.")

    def item_link(self, item: Revision) -> str:
        """The diff against the change before, or the topic's first version."""
        return change_url(item)

    def item_guid(self, item: Revision) -> str:
        return f"revision-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Revision):
        return item.created_at

    def item_updateddate(self, item: Revision):
        return item.created_at

    def item_author_name(self, item: Revision) -> str:
        return xml_text(item.author_display)


class TopicChangesFeed(LatestChangesFeed):
    """/topics/<slug>/feed/: the published changes of one published topic."""

    def get_object(self, request, slug: str) -> FeedSubject:
        topic = get_object_or_404(Topic.objects.published(), slug=slug)
        return FeedSubject(SiteIdentity.current(), topic)

    def title(self, subject: FeedSubject) -> str:
        return xml_text(f"{subject.identity.display_name}: changes to {subject.topic.title}")

    def subtitle(self, subject: FeedSubject) -> str:
        return xml_text(f"Published changes to “{subject.topic.title}”, newest first.")

    def link(self, subject: FeedSubject) -> str:
        return subject.topic.get_absolute_url()

    def items(self, subject: FeedSubject):
        return published_changes().filter(topic=subject.topic)[:50]
