"""The URL map. The legacy-page catch-all comes last so the site's own pages win."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from topics.feeds import LatestChangesFeed
from topics.sitemaps import SITEMAPS
from topics.views import api, editor, media, reading

urlpatterns = [
    path("", reading.home, name="home"),
    path("sections/<slug:slug>/", reading.section_detail, name="section_detail"),
    path("topics/<slug:slug>/", reading.topic_detail, name="topic_detail"),
    path("references/", reading.reference_list, name="reference_list"),
    path("tags/", reading.tag_list, name="tag_list"),
    path("tags/<slug:slug>/", reading.tag_detail, name="tag_detail"),
    path("search/", reading.search, name="search"),
    path("feed/", LatestChangesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("healthz", reading.healthz, name="healthz"),
    path("api/topics/", api.topic_list, name="api_topic_list"),
    path("api/topics/<slug:slug>/", api.topic_detail, name="api_topic_detail"),
    path("api/references/", api.reference_list, name="api_reference_list"),
    path("markdownx/markdownify/", editor.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", editor.upload_image, name="markdownx_upload"),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", media.serve_media, name="media"),
    path("admin/", admin.site.urls),
    path("<path:path>", reading.legacy_page, name="legacy_page"),
]

handler404 = "topics.views.errors.page_not_found"
handler500 = "topics.views.errors.server_error"
