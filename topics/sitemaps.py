"""/sitemap.xml"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from topics.models import Section, Topic


class TopicSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Topic.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, topic: Topic):
        return topic.updated_at


class SectionSitemap(Sitemap):
    priority = 0.5

    def items(self):
        return Section.objects.filter(topics__status=Topic.Status.PUBLISHED).distinct()


class PageSitemap(Sitemap):
    priority = 0.6

    def items(self):
        return ["home", "reference_list", "tag_list"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "sections": SectionSitemap, "topics": TopicSitemap}
