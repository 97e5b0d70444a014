"""No page answers 500, whatever role asks and whatever junk the query string holds."""

import pytest
from django.test import Client

from tests.factories import make_section, make_topic
from tests.test_voting import make_round
from tests.test_workflow import make_editor, make_maintainer, make_stakeholder, published_topic
from topics.models import Revision
from topics.services import workflow

pytestmark = pytest.mark.django_db

JUNK = [
    "", "?page=abc", "?page=-1", "?page=999999", "?a=1&b=x", "?q=%22%5B%28", "?section=%FF",
    "?a=99999999999999999999&b=0", "?next=//evil.example", "?x=" + "y" * 3000,
]  # fmt: skip


@pytest.fixture
def site():
    section = make_section(slug="key-issues", title="Key issues", numbered=True)
    topic = published_topic(slug="abi", title="ABI", section=section)
    make_topic(slug="draft", status="draft")
    revision = workflow.suggest_edit(
        author=None, topic=topic, base=topic.current_revision,
        text=workflow.Text("ABI", "", "Changed."), message="m",
    )  # fmt: skip
    make_round(slug="open-round", slugs=("x", "y"))
    make_round(slug="closed-round", slugs=("p", "q"), state="closed")
    return {"revision": revision, "old": topic.current_revision}


def urls(site) -> list[str]:
    revision, old = site["revision"], site["old"]
    return [
        "/", "/sections/key-issues/", "/topics/abi/", "/topics/draft/", "/references/", "/tags/",
        "/tags/none/", "/search/", "/feed/", "/sitemap.xml", "/healthz", "/api/topics/",
        "/api/topics/abi/", "/api/references/", "/topics/abi/history/", "/topics/abi/compare/",
        f"/topics/abi/compare/?a={old.pk}&b={revision.pk}", f"/topics/abi/revisions/{old.pk}/",
        "/topics/abi/suggest/", "/topics/abi/feedback/", "/topics/abi/suggest-reference/",
        "/propose/", f"/suggestions/{revision.pk}/revise/", "/review/",
        f"/review/revisions/{revision.pk}/", f"/review/revisions/{revision.pk}/merge/",
        "/review/stale/", "/review/stakeholders/", "/me/", "/me/profile/", "/rounds/",
        "/rounds/open-round/", "/rounds/open-round/results/", "/rounds/closed-round/results/",
        "/rounds/closed-round/ballots.csv", "/api/rounds/", "/api/rounds/closed-round/results/",
        "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/",
        "/key-issues/abi/", "/no/such/page/", "/admin/", "/admin/topics/revision/",
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["anonymous", "stakeholder", "editor", "maintainer"])
def test_no_page_answers_500(site, role):
    client = Client(raise_request_exception=False)
    maker = {"stakeholder": make_stakeholder, "editor": make_editor, "maintainer": make_maintainer}
    if role in maker:
        client.force_login(maker[role]())
    failures = []
    for url in urls(site):
        for junk in JUNK:
            target = url + (junk if "?" not in url else junk.replace("?", "&"))
            status = client.get(target).status_code
            if status >= 500:
                failures.append((target, status))
    assert failures == []


@pytest.mark.parametrize("role", ["anonymous", "stakeholder", "editor"])
def test_empty_posts_to_every_form_get_an_answer_not_a_500(site, role):
    client = Client(raise_request_exception=False)
    maker = {"stakeholder": make_stakeholder, "editor": make_editor}
    if role in maker:
        client.force_login(maker[role]())
    revision = site["revision"]
    posts = [
        "/topics/abi/suggest/", "/topics/abi/feedback/", "/topics/abi/suggest-reference/",
        "/topics/abi/follow/", "/topics/abi/reviewed/", "/propose/",
        f"/suggestions/{revision.pk}/revise/", f"/review/revisions/{revision.pk}/",
        f"/review/revisions/{revision.pk}/merge/", "/review/feedback/1/", "/review/references/1/",
        "/review/stakeholders/", f"/topics/abi/revisions/{revision.pk}/restore/",
        "/rounds/open-round/", "/rounds/closed-round/", "/me/profile/", "/accounts/signup/",
        "/markdownx/markdownify/", "/markdownx/upload/",
    ]  # fmt: skip
    failures = [(url, code) for url in posts if (code := client.post(url, {}).status_code) >= 500]
    assert failures == []
    assert Revision.objects.filter(pk=revision.pk, status="pending").exists()
