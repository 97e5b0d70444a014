"""Launching Debian's Chromium through Playwright, and the main pages browser checks visit."""

import os
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_browser():
    """A browser in which each context is one person (own cookies); closed on exit."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    outside = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright, _orm_beside_playwright(outside):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _orm_beside_playwright(outside: dict):
    """Let tests query between browser steps, on the test's own connections.

    Playwright's synchronous API leaves its event loop marked as running in this
    thread while it is started, and Django then refuses the ORM ("async context").
    The project has no async code for that check to guard. Django also keeps
    connections per async context: with a loop running, this thread would open
    a second connection of its own, so the test's connections (`outside`, taken
    before the loop started) are put back. (Playwright is started per test: a
    browser shared between tests would lose pytest-django's serialized data.)
    """
    from django.db import connections

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    for alias, connection in outside.items():
        connections[alias] = connection
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@contextmanager
def chromium_page(**context_options):
    """A fresh browser page; closed with its browser on exit."""
    with chromium_browser() as browser:
        yield browser.new_context(**context_options).new_page()


# The main pages every browser check visits (accessibility, layout, screenshots).
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class MainPage:
    """A page as one person sees it: `who` is a reader, a stakeholder or an editor."""

    name: str
    path: str
    who: str = "reader"


def set_up_main_pages() -> tuple[list[MainPage], dict[str, str]]:
    """Import the real corpus, add what its pages lack; the main pages and each person's session.

    Beside pypackaging-native (topics with code, tabs, figures and history), this
    adds tags, a closed round with ballots from three stakeholder groups (the
    results page), an open round (the ballot), and a suggestion, feedback and a
    reference waiting in the review queue. Sessions are session cookie values.

    The sweeps load the pages one after another in one tab per person: each page
    is a fresh document all the same, and a new tab per page made a sweep 40%
    slower (a renderer process started for each).
    """
    from datetime import UTC, datetime, timedelta

    from django.test import Client
    from django.utils import timezone

    from tests.conftest import CORPUS, CORPUS_HISTORY
    from tests.factories import add_ballots, make_editor, make_round, verified
    from topics.importers.mkdocs import MkDocsImporter
    from topics.models import Revision, StakeholderGroup, Topic
    from topics.services.contributions import give_feedback, suggest_reference
    from topics.services.workflow import Text, suggest_edit

    MkDocsImporter(CORPUS).run(history=CORPUS_HISTORY)
    simd = Topic.objects.get(slug="simd-support")
    simd.tags.set(["simd", "wheels"])
    key_issues = list(
        Topic.objects.filter(section__slug="key-issues", parent=None).order_by("order")
    )
    slugs = [topic.slug for topic in key_issues]
    # Fixed dates (as long as they are in the right past or future), so screenshots stay put.
    now = timezone.now()
    closed_at = min(datetime(2025, 3, 3, tzinfo=UTC), now - timedelta(days=2))
    opened_at = min(datetime(2026, 1, 5, tzinfo=UTC), now - timedelta(days=1))
    closed = make_round(
        slugs=slugs,
        state="closed",
        slug="priorities-2025",
        title="Priorities 2025",
        opens_at=closed_at - timedelta(days=30),
        closes_at=closed_at,
    )
    ids = [topic.pk for topic in key_issues]
    groups = StakeholderGroup.objects.order_by("pk").values_list("name", flat=True)[:3]
    for shift, group in enumerate(groups):
        rankings = [
            [[ids[(place + shift + voter) % len(ids)]] for place in range(len(ids))]
            for voter in range(4)
        ]
        add_ballots(closed, rankings, group=group)
    make_round(
        slugs=slugs[:4],
        slug="priorities-2027",
        title="Priorities 2027",
        opens_at=opened_at,
        closes_at=max(datetime(2036, 1, 5, tzinfo=UTC), now + timedelta(days=1)),
    )

    stakeholder, editor = verified("vera"), make_editor("eddie")
    text = Text(title=simd.title, summary=simd.summary, body=simd.body + "\n\nOne more line.\n")
    suggest_edit(
        author=stakeholder, topic=simd, base=simd.current_revision, text=text, message="AVX-512"
    )
    give_feedback(author=stakeholder, topic=simd, body="The *history* is clear.", wants_public=True)
    suggest_reference(
        author=stakeholder,
        topic=simd,
        url="https://peps.python.org/pep-0517/",
        title="PEP 517",
        kind="pep",
    )

    published = Revision.objects.filter(topic=simd, status=Revision.Status.PUBLISHED)
    first, last = published.order_by("pk").first().pk, published.order_by("pk").last().pk
    pages = [
        MainPage("home", "/"),
        MainPage("section", "/sections/key-issues/"),
        MainPage("topic-code", "/topics/simd-support/"),
        MainPage("topic-code-abi", "/topics/abi/"),
        MainPage("topic-code-cpp", "/topics/cpp-deps/"),
        MainPage("topic-tabs-figures", "/topics/build-steps-conceptual/"),
        MainPage("topic-figures", "/topics/blas-openmp/"),
        MainPage("references", "/references/"),
        MainPage("tags", "/tags/"),
        MainPage("tag", "/tags/simd/"),
        MainPage("search", "/search/?q=wheel"),
        MainPage("history", "/topics/simd-support/history/"),
        MainPage("compare", f"/topics/simd-support/compare/?a={first}&b={last}"),
        MainPage("recent-changes", "/changes/"),
        MainPage("votes", "/rounds/"),
        MainPage("results", "/rounds/priorities-2025/results/"),
        MainPage("ballot", "/rounds/priorities-2027/", "stakeholder"),
        MainPage("propose", "/propose/?section=key-issues", "stakeholder"),
        MainPage("my-contributions", "/me/", "stakeholder"),
        MainPage("sign-in", "/accounts/login/"),
        MainPage("sign-up", "/accounts/signup/"),
        MainPage("review-queue", "/review/", "editor"),
        MainPage("review-due", "/review/due/", "editor"),
    ]
    sessions = {}
    for who, user in (("stakeholder", stakeholder), ("editor", editor)):
        client = Client()
        client.force_login(user)
        sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return pages, sessions


def signed_in_context(browser, base_url: str, session: str | None, **options):
    """A browser context for one person: anonymous, or holding `session`."""
    context = browser.new_context(base_url=base_url, **options)
    if session:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
        )
    return context
