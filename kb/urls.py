"""The URL map. The legacy-page catch-all comes last so the site's own pages win."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from topics.feeds import LatestChangesFeed, TopicChangesFeed
from topics.sitemaps import sitemap_xml
from topics.views import (
    accounts,
    api,
    changes,
    contributing,
    editor,
    health,
    history,
    media,
    reading,
    reviewing,
    voting,
)

urlpatterns = [
    path("", reading.home, name="home"),
    path("sections/<slug:slug>/", reading.section_detail, name="section_detail"),
    path("topics/<slug:slug>/", reading.topic_detail, name="topic_detail"),
    path("topics/<slug:slug>/history/", history.topic_history, name="topic_history"),
    path("topics/<slug:slug>/compare/", history.compare, name="topic_compare"),
    path("topics/<slug:slug>/feed/", TopicChangesFeed(), name="topic_feed"),
    path("topics/<slug:slug>/revisions/<int:pk>/", history.revision_detail, name="revision_detail"),
    path(
        "topics/<slug:slug>/revisions/<int:pk>/restore/", history.restore, name="revision_restore"
    ),
    path("topics/<slug:slug>/reviewed/", history.confirm_reviewed, name="topic_mark_reviewed"),
    path("topics/<slug:slug>/suggest/", contributing.suggest_edit, name="topic_suggest_edit"),
    path("topics/<slug:slug>/feedback/", contributing.give_feedback, name="topic_feedback"),
    path(
        "topics/<slug:slug>/suggest-reference/",
        contributing.suggest_reference,
        name="topic_suggest_reference",
    ),
    path("topics/<slug:slug>/follow/", contributing.follow, name="topic_follow"),
    path("propose/", contributing.propose_topic, name="topic_propose"),
    path("suggestions/<int:pk>/revise/", contributing.revise, name="suggestion_revise"),
    path("review/", reviewing.queue, name="review_queue"),
    path("review/revisions/<int:pk>/", reviewing.review_revision, name="review_revision"),
    path("review/revisions/<int:pk>/merge/", reviewing.merge, name="review_merge"),
    path("review/feedback/<int:pk>/", reviewing.review_feedback, name="review_feedback"),
    path("review/references/<int:pk>/", reviewing.review_reference, name="review_reference"),
    path("review/due/", reviewing.due_for_review, name="review_due"),
    path("review/stakeholders/", reviewing.stakeholders, name="review_stakeholders"),
    path("rounds/", voting.round_list, name="round_list"),
    path("rounds/verify/", voting.verify, name="round_verify"),
    path("rounds/<slug:slug>/", voting.round_detail, name="round_detail"),
    path("rounds/<slug:slug>/results/", voting.round_results, name="round_results"),
    path("rounds/<slug:slug>/ballots.csv", voting.ballots_csv, name="round_ballots_csv"),
    path("api/rounds/", api.round_list, name="api_round_list"),
    path("api/rounds/<slug:slug>/results/", api.round_results, name="api_round_results"),
    path("accounts/signup/", accounts.signup, name="account_signup"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("me/", accounts.my_contributions, name="account_contributions"),
    path("me/profile/", accounts.profile_edit, name="account_profile"),
    path("me/following/", contributing.following, name="account_following"),
    path("references/", reading.reference_list, name="reference_list"),
    path("tags/", reading.tag_list, name="tag_list"),
    path("tags/<slug:slug>/", reading.tag_detail, name="tag_detail"),
    path("search/", reading.search, name="search"),
    path("feed/", LatestChangesFeed(), name="change_feed"),
    path("changes/", changes.recent_changes, name="change_list"),
    path("sitemap.xml", sitemap_xml, name="sitemap"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for it on every page without an icon link (the admin's): no 404 noise.
    path("favicon.ico", reading.favicon, name="favicon"),
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
