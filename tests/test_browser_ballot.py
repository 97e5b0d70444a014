"""Reordering a ballot with a keyboard and on a touch screen, with every move announced."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser import chromium_browser, signed_in_context
from tests.factories import make_round, verified
from topics.models import Ballot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def ballot_page(live_server):
    """A verified stakeholder's ballot page in a round over Topics A, B and C; a page opener."""
    round_ = make_round(slugs=("a", "b", "c"))
    client = Client()
    client.force_login(verified("vera"))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with chromium_browser() as browser:

        def open_page(**options):
            page = signed_in_context(browser, live_server.url, session, **options).new_page()
            page.goto(round_.get_absolute_url())
            return page

        yield open_page


def rank(page, title: str):
    return page.get_by_role("spinbutton", name=title)


def announced(page):
    """The ballot's live region (the page may have other status messages)."""
    return page.locator("#ballot-form").get_by_role("status")


def first_choice() -> list[str]:
    ballot = Ballot.objects.get()
    slugs = dict(ballot.round.candidates.values_list("pk", "slug"))
    return [slugs[pk] for pk in ballot.ranking[0]]


def test_a_keyboard_moves_a_topic_to_the_top_and_each_move_is_announced(ballot_page):
    page = ballot_page()
    up = page.get_by_role("button", name="Move Topic C up")
    for _ in range(30):
        page.keyboard.press("Tab")
        if up.evaluate("(e) => e === document.activeElement"):
            break
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    expect(announced(page)).to_have_text("Topic C moved below the line: unranked.")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(announced(page)).to_have_text("Topic C moved to rank 1 of 1.")
    expect(up).to_be_focused()
    assert [rank(page, f"Topic {x}").input_value() for x in "ABC"] == ["", "", "1"]
    page.get_by_role("button", name="Move Topic A up").click()
    expect(announced(page)).to_have_text("Topic A moved to rank 2 of 2.")
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_url("**/rounds/priorities-2026/")
    assert first_choice() == ["c"]


def test_a_finger_drags_a_topic_by_its_handle(ballot_page):
    page = ballot_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    for place, title in enumerate(("Topic A", "Topic B", "Topic C"), start=1):
        rank(page, title).fill(str(place))
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_url("**/rounds/priorities-2026/")

    handle = page.locator(".ballot-item", has_text="Topic C").locator(".ballot-handle")
    handle.scroll_into_view_if_needed()
    start = handle.bounding_box()
    top = page.locator(".ballot-item", has_text="Topic A").bounding_box()
    touch = page.context.new_cdp_session(page)
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    touch.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
    )
    for step in range(1, 11):
        to_y = y + (top["y"] + 4 - y) * step / 10
        touch.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": to_y}]}
        )
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    expect(announced(page)).to_have_text("Topic C moved to rank 1 of 3.")
    assert [rank(page, f"Topic {x}").input_value() for x in "CAB"] == ["1", "2", "3"]
    page.get_by_role("button", name="Save my new ballot").click()
    page.wait_for_url("**/rounds/priorities-2026/")
    assert first_choice() == ["c"]
