"""Every URL name follows one pattern, so a newcomer can guess it."""

import re

from django.urls import get_resolver

# Names other apps expect (Django's auth views, the Markdown editor's widget) and the home page.
KEPT = {"home", "search", "media", "favicon", "healthz", "sitemap", "legacy_page"}
KEPT_PREFIXES = ("login", "logout", "password_", "markdownx_")
THINGS = (
    "topic",
    "section",
    "revision",
    "suggestion",
    "round",
    "tag",
    "reference",
    "change",
    "review",
    "account",
    "api",
)
PATTERN = re.compile(rf"^({'|'.join(THINGS)})_[a-z_]+$")


def url_names() -> set[str]:
    return {name for name in get_resolver().reverse_dict if isinstance(name, str)}


def test_every_url_name_is_a_thing_then_its_page():
    ours = {name for name in url_names() if name not in KEPT and not name.startswith(KEPT_PREFIXES)}
    assert ours, "no URL names found"
    assert sorted(name for name in ours if not PATTERN.match(name)) == []


def test_the_journeys_named_in_the_readme_exist():
    names = url_names()
    for name in ("topic_suggest_edit", "topic_feedback", "round_verify", "account_following"):
        assert name in names
