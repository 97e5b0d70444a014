"""/feed/ and /topics/<slug>/feed/: Atom feeds of published changes, each linking to its diff."""

import re

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from topics.models import Revision, Topic
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


class LatestChangesFeed(Feed):
    feed_type = TextSummaryAtomFeed
    title = "Latest changes"
    subtitle = "Published changes to the knowledge base, newest first."
    link = "/"

    def items(self):
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

    def get_object(self, request, slug: str) -> Topic:
        return get_object_or_404(Topic.objects.published(), slug=slug)

    def title(self, topic: Topic) -> str:
        return xml_text(f"Changes to {topic.title}")

    def subtitle(self, topic: Topic) -> str:
        return xml_text(f"Published changes to “{topic.title}”, newest first.")

    def link(self, topic: Topic) -> str:
        return topic.get_absolute_url()

    def items(self, topic: Topic):
        return published_changes().filter(topic=topic)[:50]
