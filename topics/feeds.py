"""/feed/: an Atom feed of published changes, with their messages."""

import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from topics.models import Revision, Topic

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
        return (
            Revision.objects.filter(
                status=Revision.Status.PUBLISHED, topic__status=Topic.Status.PUBLISHED
            )
            .select_related("topic", "author__profile")
            .order_by("-created_at", "-id")[:50]
        )

    def item_title(self, item: Revision) -> str:
        return xml_text(f"{item.topic.title}: {item.message or 'updated'}")

    def item_description(self, item: Revision) -> str:
        return xml_text(item.message or f"{item.topic.title} was updated.")

    def item_link(self, item: Revision) -> str:
        return f"{reverse('topic_detail', kwargs={'slug': item.topic.slug})}#rev-{item.pk}"

    def item_guid(self, item: Revision) -> str:
        return f"revision-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Revision):
        return item.created_at

    def item_updateddate(self, item: Revision):
        return item.created_at

    def item_author_name(self, item: Revision) -> str:
        return xml_text(item.author_display)
