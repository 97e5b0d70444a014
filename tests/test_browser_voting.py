"""Ranking in a real browser: by dragging, by the plain form without JavaScript, then results."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import chromium_page
from tests.factories import make_round, verified
from topics.models import Ballot, Round

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "a-long-test-password"


def rank(page, title: str):
    return page.get_by_role("spinbutton", name=title)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/me/")


def first_choice(round_: Round) -> list[str]:
    slugs = dict(round_.candidates.values_list("pk", "slug"))
    return [slugs[pk] for pk in Ballot.objects.get(round=round_).ranking[0]]


def test_ranking_by_dragging_then_seeing_the_results(live_server):
    round_ = make_round(slugs=("a", "b", "c"))
    verified("dragger")
    with chromium_page() as page:
        sign_in(page, live_server.url, "dragger")
        page.goto(f"{live_server.url}{round_.get_absolute_url()}")
        rank(page, "Topic A").fill("1")
        rank(page, "Topic B").fill("2")
        rank(page, "Topic C").fill("3")
        page.get_by_role("button", name="Cast my ballot").click()
        page.wait_for_url(f"{live_server.url}{round_.get_absolute_url()}")
        assert first_choice(round_) == ["a"]
        items = page.locator(".ballot-item")
        assert items.first.get_attribute("data-topic") == str(round_.candidates.get(slug="a").pk)
        page.drag_and_drop(
            "li.ballot-item:has-text('Topic C')",
            "li.ballot-item:has-text('Topic A')",
            target_position={"x": 10, "y": 2},
        )
        assert rank(page, "Topic C").input_value() == "1"
        assert rank(page, "Topic A").input_value() == "2"
        page.get_by_role("button", name="Move Topic B up").click()
        assert rank(page, "Topic B").input_value() == "2"
        page.get_by_role("button", name="Save my new ballot").click()
        page.wait_for_url(f"{live_server.url}{round_.get_absolute_url()}")
        assert first_choice(round_) == ["c"]
        assert Ballot.objects.count() == 1

        Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
        page.goto(f"{live_server.url}/rounds/{round_.slug}/results/")
        assert page.get_by_role("heading", name="Results: Priorities 2026").is_visible()
        ranking = page.locator("ol.ranking").first.inner_text()
        assert ranking.index("Topic C") < ranking.index("Topic B") < ranking.index("Topic A")
        assert page.locator("svg.chart").is_visible()


def test_ranking_with_the_plain_form_and_no_javascript(live_server):
    round_ = make_round(slugs=("a", "b", "c"))
    verified("plain")
    with chromium_page(java_script_enabled=False) as page:
        sign_in(page, live_server.url, "plain")
        page.goto(f"{live_server.url}{round_.get_absolute_url()}")
        assert page.locator(".ballot-divider").count() == 0  # no script ran
        rank(page, "Topic B").fill("1")
        rank(page, "Topic C").fill("1")
        page.get_by_role("button", name="Cast my ballot").click()
        page.wait_for_url(f"{live_server.url}{round_.get_absolute_url()}")
        assert sorted(first_choice(round_)) == ["b", "c"]
        slugs = dict(round_.candidates.values_list("pk", "slug"))
        assert [[slugs[pk] for pk in g] for g in Ballot.objects.get().ranking] == [["b", "c"]]
        assert "Your ballot is saved" in page.content()
        assert rank(page, "Topic B").input_value() == "1"
        assert rank(page, "Topic A").input_value() == ""
