"""Every POST form on every page a role can reach carries a CSRF token.

The test client skips CSRF checks, so a form rendered without
``{% csrf_token %}`` (for example inside an ``{% include … only %}``) passes
every view test while each browser gets "403 CSRF verification failed".
This test crawls the site as each role, following links from the home
page, and looks at every form; the browser journeys then click them.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.factories import (
    make_editor,
    make_maintainer,
    make_round,
    make_section,
    make_stakeholder,
    make_topic,
    published_topic,
)
from topics.services import workflow

pytestmark = pytest.mark.django_db

MAX_PAGES = 250
# Pages that are not ours to check, or that would end the session being crawled.
SKIP_PREFIXES = ("/static/", "/media/", "/accounts/logout/", "/admin/logout/", "/feed/")
SKIP_SUFFIXES = (".csv", ".xml", ".json")


class FormFinder(HTMLParser):
    """Collect links, and each POST form with whether it holds a CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            self._form = {
                "method": (attributes.get("method") or "get").lower(),
                "action": attributes.get("action") or "",
                "token": False,
            }
        elif (
            tag == "input"
            and self._form is not None
            and attributes.get("name") == "csrfmiddlewaretoken"
            and attributes.get("value")
        ):
            self._form["token"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


@pytest.fixture
def site():
    section = make_section(slug="key-issues", title="Key issues", numbered=True)
    topic = published_topic(slug="abi", title="ABI", section=section)
    published_topic(slug="gpus", title="GPUs", section=section)
    make_topic(slug="draft", status="draft", section=section)
    author = make_stakeholder("sally")
    workflow.suggest_edit(
        author=author,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text("ABI", "", "Changed."),
        message="Clarify",
    )
    make_round(slug="open-round", slugs=("abi", "gpus"))
    make_round(slug="closed-round", slugs=("abi", "gpus"), state="closed")
    return topic


def crawl(client: Client, seeds: list[str]) -> tuple[set[str], list[tuple[str, str]]]:
    """Visit pages reachable from `seeds`; return them and the POST forms without a token."""
    seen, queue, missing = set(), deque(seeds), []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        finder = FormFinder()
        finder.feed(response.content.decode())
        missing += [
            (url, f["action"]) for f in finder.forms if f["method"] == "post" and not f["token"]
        ]
        for href in finder.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
                continue
            if path.startswith("/admin/") and path.count("/") > 5:
                continue  # the admin's own pages: its changelists and forms are enough
            queue.append(path)
    return seen, missing


SEEDS = ["/", "/topics/abi/", "/rounds/", "/me/", "/review/", "/propose/", "/accounts/signup/"]


@pytest.mark.parametrize("role", ["anonymous", "stakeholder", "editor", "maintainer"])
def test_every_post_form_a_role_can_reach_carries_a_csrf_token(site, role):
    client = Client(enforce_csrf_checks=True)
    makers = {"stakeholder": make_stakeholder, "editor": make_editor, "maintainer": make_maintainer}
    if role in makers:
        client.force_login(makers[role](f"{role}-crawler"))
    seen, missing = crawl(client, SEEDS + (["/admin/"] if role in {"editor", "maintainer"} else []))
    assert len(seen) > 15, f"the crawl reached only {sorted(seen)}"
    assert missing == [], f"POST forms without a CSRF token: {missing}"


def test_the_follow_button_on_a_topic_page_carries_a_csrf_token(site):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_editor())
    finder = FormFinder()
    finder.feed(client.get("/topics/abi/").content.decode())
    actions = {form["action"]: form["token"] for form in finder.forms if form["method"] == "post"}
    assert actions["/topics/abi/follow/"] is True
    assert actions["/topics/abi/reviewed/"] is True
