"""/feed/: an Atom feed of published changes, with their messages."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from topics.models import Revision, Topic


class LatestChangesFeed(Feed):
    feed_type = Atom1Feed
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
        return f"{item.topic.title}: {item.message or 'updated'}"

    def item_description(self, item: Revision) -> str:
        return item.message or f"{item.topic.title} was updated."

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
        return item.author_display
