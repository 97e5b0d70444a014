"""Exactly how many queries each page costs, for each role: a change shows up here first.

Zulip-style: one table, every page the site serves (admin changelists
included), each with its status checked. Each page is measured as a reader
meets it after any change: the whole-page cache missed (the content version
moved), and so did what that change may alter (the navigation and the
sections' voted order: eight of a topic page's 12), while what it cannot
(a closed round's tally) is still computed; a whole-page hit costs one query
(see test_page_cache). If a number changes,
check why before updating it: a growing count is usually a missing
select_related.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    add_ballots,
    make_editor,
    make_maintainer,
    make_round,
    make_section,
    make_stakeholder,
    published_topic,
)
from topics.page_cache import bump_version
from topics.services import contributions, workflow

pytestmark = pytest.mark.django_db

# (role, address, queries)
TABLE = [
    ("anonymous", "/", 10),
    ("anonymous", "/sections/key-issues/", 10),
    ("anonymous", "/topics/abi/", 12),
    ("anonymous", "/topics/gpus/", 13),  # with accepted public feedback
    ("anonymous", "/topics/abi/history/", 4),
    ("anonymous", "/topics/abi/compare/?a={first}&b={second}", 3),
    ("anonymous", "/topics/abi/revisions/{first}/", 3),
    ("anonymous", "/topics/abi/feed/", 3),
    ("anonymous", "/references/", 5),
    ("anonymous", "/tags/", 3),
    ("anonymous", "/tags/abi/", 4),
    ("anonymous", "/feed/", 2),
    ("anonymous", "/changes/", 4),
    ("anonymous", "/sitemap.xml", 6),
    ("anonymous", "/rounds/", 3),
    ("anonymous", "/rounds/closed/", 4),
    ("anonymous", "/rounds/closed/results/", 5),  # the ballots the file's hash is of
    ("anonymous", "/rounds/verify/", 1),
    ("anonymous", "/api/topics/", 3),
    ("anonymous", "/api/topics/abi/", 4),
    ("anonymous", "/api/references/", 3),
    ("anonymous", "/api/rounds/", 1),
    ("anonymous", "/api/rounds/closed/results/", 3),
    ("stakeholder", "/topics/abi/", 16),
    ("stakeholder", "/topics/abi/suggest/", 9),
    ("stakeholder", "/me/", 10),
    ("stakeholder", "/me/following/", 7),
    ("stakeholder", "/rounds/open/", 10),  # whether they cast a ballot while verified
    ("editor", "/review/", 8),
    ("editor", "/review/revisions/{pending}/", 7),
    ("editor", "/review/due/", 6),
    ("editor", "/review/stakeholders/", 6),
    ("maintainer", "/admin/", 7),
    ("maintainer", "/admin/topics/topic/", 12),
    ("maintainer", "/admin/topics/revision/", 11),
    ("maintainer", "/admin/topics/round/", 8),
    ("maintainer", "/admin/topics/ballot/", 10),
    ("maintainer", "/admin/topics/profile/", 9),
    ("maintainer", "/admin/topics/feedback/", 8),
    ("maintainer", "/admin/topics/reference/", 8),
    ("maintainer", "/admin/auth/user/", 9),
]


@pytest.fixture
def site() -> dict[str, int]:
    section = make_section(title="Key issues", slug="key-issues", numbered=True)
    topic = published_topic(slug="abi", title="ABI", section=section, tags=["abi"])
    other = published_topic(slug="gpus", title="GPUs", section=section)
    ada = make_stakeholder("ada")
    first = topic.current_revision
    second = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=first,
        text=workflow.Text("ABI", "", "A [reference](https://peps.python.org/pep-0517/)."),
        message="Cite PEP 517",
    )
    workflow.publish_revision(revision=second, by=None)
    pending = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=second,
        text=workflow.Text("ABI", "", "Pending."),
        message="Pending",
    )
    contributions.give_feedback(author=ada, topic=topic, body="Nice.", wants_public=True)
    shown = contributions.give_feedback(author=ada, topic=other, body="Clear.", wants_public=True)
    contributions.review_feedback(feedback=shown, by=make_editor("eve"), accept=True)
    closed = make_round(slug="closed", slugs=("abi", "gpus"), state="closed")
    add_ballots(closed, [[[topic.pk], [other.pk]]] * 3, group="Hardware vendors")
    make_round(slug="open", slugs=("abi", "gpus"))
    return {"first": first.pk, "second": second.pk, "pending": pending.pk}


def client_for(role: str) -> Client:
    client = Client()
    maker = {"stakeholder": make_stakeholder, "editor": make_editor, "maintainer": make_maintainer}
    if role in maker:
        client.force_login(maker[role](f"{role}-visitor"))
    return client


@pytest.mark.parametrize(("role", "address", "expected"), TABLE)
def test_each_page_takes_exactly_this_many_queries(site, role, address, expected):
    client = client_for(role)
    url = address.format(**site)
    client.get(url)  # computed data (results, rankings, navigation) is cached by now
    bump_version()  # whole pages and what a change may alter are not: a visit after a change
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    assert len(queries) == expected, (
        f"{role} {url}: {len(queries)} queries, expected {expected}\n"
        + "\n".join(query["sql"][:200] for query in queries.captured_queries)
    )
