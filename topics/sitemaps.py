"""/sitemap.xml: on the site identity's address when one is set, else the request's."""

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap, x_robots_tag
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from topics.models import Section, SiteIdentity, Topic
from topics.page_cache import cached_for_readers


class SiteSitemap(Sitemap):
    """Locations on `address` (the one set in the admin's Site identity), if any."""

    def __init__(self, address: str = ""):
        self.address = urlsplit(address)

    def get_urls(self, page=1, site=None, protocol=None):
        if self.address.netloc:
            return self._urls(page, self.address.scheme, self.address.netloc)
        return super().get_urls(page=page, site=site, protocol=protocol)


class TopicSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Topic.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, topic: Topic):
        return topic.updated_at


class SectionSitemap(SiteSitemap):
    priority = 0.5

    def items(self):
        return Section.objects.filter(topics__status=Topic.Status.PUBLISHED).distinct()


class PageSitemap(SiteSitemap):
    priority = 0.6

    def items(self):
        return ["home", "reference_list", "tag_list"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "sections": SectionSitemap, "topics": TopicSitemap}


@require_safe
@x_robots_tag  # on stored copies too (a stored page keeps its body, type and tags only)
@cached_for_readers(params=("p",))
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    """Django's sitemap view, kept for readers like any page (every topic's URL and date)."""
    address = SiteIdentity.current().url  # read once for every part of the map
    sitemaps = {name: part(address) for name, part in SITEMAPS.items()}
    return sitemap(request, sitemaps=sitemaps).render()
