"""Proposals start clean: the title only in its field, the template's prose replaced."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tests.browser import chromium_page
from tests.conftest import CORPUS
from tests.factories import make_section, make_stakeholder, signed_in
from topics.models import Topic

pytestmark = pytest.mark.django_db

KEY_ISSUE_TEMPLATE = """# Key issue title

A very brief intro and some context.


## Current state

A thorough description of the current state of this "key issue".


## Problems

What are the most important issues for end users, maintainers, packagers, etc.
as a result of this "key issue"?
"""

FILLED_IN = """A short introduction of our own.

## Current state

Wheels exist for x86-64 only.

## Problems

Nobody can test on RISC-V.
"""


@pytest.fixture
def key_issues():
    return make_section(title="Key issues", slug="key-issues", topic_template=KEY_ISSUE_TEMPLATE)


@pytest.fixture
def ada():
    return signed_in(make_stakeholder())


def proposal(section, **overrides) -> dict:
    data = {
        "section": section.pk if section else "",
        "title": "Wheels for RISC-V",
        "summary": "Building wheels for RISC-V.",
        "tags": "risc-v",
        "body": FILLED_IN,
        "message": "A new key issue",
    }
    data.update(overrides)
    return data


def body_of(page: str) -> str:
    """The text in the form's body field, as the browser shows it."""
    [text] = re.findall(r'<textarea name="body"[^>]*>(.*?)</textarea>', page, flags=re.S)
    return html.unescape(text).removeprefix("\n")


def value_of(page: str, name: str) -> str:
    match = re.search(rf'<input type="text" name="{name}" value="([^"]*)"', page)
    if match:
        return html.unescape(match.group(1))
    [text] = re.findall(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, flags=re.S)
    return html.unescape(text).removeprefix("\n")


def load(client, section, **overrides):
    data = proposal(section, load_template="1", **overrides)
    return client.post("/propose/", data)


# --- The title lives in its field ---------------------------------------------------


def test_a_sections_template_starts_the_text_without_a_title_heading(ada, key_issues):
    page = ada.get("/propose/?section=key-issues").content.decode()
    body = body_of(page)
    assert body.startswith("A very brief intro and some context.")
    assert "# Key issue title" not in page
    assert "## Current state" in body and "## Problems" in body


def test_the_corpus_key_issue_template_loses_only_its_title_heading(ada):
    template = (CORPUS / "utils" / "template_key_issue.md").read_text(encoding="utf-8")
    make_section(title="Key issues", slug="key-issues", topic_template=template)
    body = body_of(ada.get("/propose/?section=key-issues").content.decode())
    first_heading, rest = template.split("\n", 1)
    assert first_heading == "# Key issue title"
    assert body.strip() == rest.strip()


def test_a_template_without_a_title_heading_is_shown_whole(ada):
    make_section(slug="meta", topic_template="## Context\n\nSay why it matters.\n")
    body = body_of(ada.get("/propose/?section=meta").content.decode())
    assert body == "## Context\n\nSay why it matters.\n"


# --- Placeholder prose is refused ---------------------------------------------------


def test_a_proposal_keeping_the_templates_prose_is_refused_naming_it_and_keeping_the_text(
    ada, key_issues
):
    body = FILLED_IN.replace(
        "A short introduction of our own.", "A very brief intro and some context."
    )
    body = body.replace(
        "Nobody can test on RISC-V.",
        "What are the most important issues for end users, maintainers, packagers, etc.\n"
        'as a result of this "key issue"?',
    )
    response = ada.post("/propose/", proposal(key_issues, body=body))
    page = response.content.decode()
    assert response.status_code == 200 and not Topic.objects.exists()
    assert "Replace the template’s text: “A very brief intro and some context.”" in page
    assert (
        "Replace the template’s text: “What are the most important issues for end users, "
        "maintainers, packagers, etc. as a result of this &quot;key issue&quot;?”"
    ) in page
    assert "this &quot;key issue&quot;.”" not in page  # the current state was replaced
    assert body_of(page) == body.replace("\n", "\r\n") or body_of(page) == body
    assert value_of(page, "title") == "Wheels for RISC-V"
    assert value_of(page, "message") == "A new key issue"


def test_the_templates_headings_may_stay_once_its_prose_is_replaced(ada, key_issues):
    response = ada.post("/propose/", proposal(key_issues))
    assert response.status_code == 302
    assert Topic.objects.get().body == FILLED_IN


def test_template_prose_sent_with_windows_line_endings_is_still_recognised(ada, key_issues):
    body = KEY_ISSUE_TEMPLATE.split("\n", 2)[2].replace("\n", "\r\n")
    page = ada.post("/propose/", proposal(key_issues, body=body)).content.decode()
    assert "Replace the template’s text: “What are the most important issues" in page
    assert not Topic.objects.exists()


def test_template_prose_with_new_text_right_below_it_is_still_refused(ada, key_issues):
    body = "A very brief intro and some context.\nMy own introduction.\n\n## Current state\n\nOk.\n"
    page = ada.post("/propose/", proposal(key_issues, body=body)).content.decode()
    assert "Replace the template’s text: “A very brief intro and some context.”" in page


def test_prose_that_merely_starts_like_the_template_is_accepted(ada, key_issues):
    body = "A very brief intro and some context about RISC-V wheels.\n\n## Current state\n\nOk.\n"
    assert ada.post("/propose/", proposal(key_issues, body=body)).status_code == 302


def test_another_sections_template_is_not_held_against_a_proposal(ada, key_issues):
    other = make_section(title="Background", slug="background")
    body = "A very brief intro and some context.\n"
    assert ada.post("/propose/", proposal(other, body=body)).status_code == 302


# --- One section picker, and no typed text thrown away ---------------------------------


def test_the_propose_page_has_one_section_picker_with_a_button_to_load_its_template(
    ada, key_issues
):
    page = ada.get("/propose/").content.decode()
    assert page.count('name="section"') == 1
    assert 'method="get"' not in page.split("<main", 1)[1]
    assert 'name="load_template"' in page and "Load this section’s template" in page
    assert "Replace my text with the template" in page


def test_loading_a_template_into_an_empty_text_keeps_title_summary_and_message(ada, key_issues):
    response = load(ada, key_issues, body="")
    page = response.content.decode()
    assert response.status_code == 200 and not Topic.objects.exists()
    assert body_of(page).startswith("A very brief intro and some context.")
    assert value_of(page, "title") == "Wheels for RISC-V"
    assert value_of(page, "summary") == "Building wheels for RISC-V."
    assert value_of(page, "message") == "A new key issue"
    assert value_of(page, "tags") == "risc-v"
    assert f'<option value="{key_issues.pk}" selected>' in page
    assert "errorlist" not in page


def test_loading_a_template_over_typed_text_asks_first_and_keeps_the_text(ada, key_issues):
    page = load(ada, key_issues, body="My own words.").content.decode()
    assert body_of(page) == "My own words."
    assert "Your text is kept" in page and "tick “Replace my text with the template”" in page
    assert not Topic.objects.exists()


def test_loading_a_template_over_typed_text_replaces_it_when_asked(ada, key_issues):
    page = load(ada, key_issues, body="My own words.", replace_text="1").content.decode()
    assert body_of(page).startswith("A very brief intro and some context.")
    assert "My own words." not in page


def test_switching_from_an_untouched_template_to_another_needs_no_confirmation(ada, key_issues):
    background = make_section(
        title="Background", slug="background", topic_template="## Why\n\nExplain why.\n"
    )
    first = body_of(ada.get("/propose/?section=key-issues").content.decode())
    page = load(ada, background, body=first.replace("\n", "\r\n")).content.decode()
    assert body_of(page) == "## Why\n\nExplain why.\n"


def test_loading_a_section_without_a_template_says_so_and_keeps_the_text(ada, key_issues):
    background = make_section(title="Background", slug="background")
    page = load(ada, background, body="My own words.").content.decode()
    assert "“Background” has no template" in page and body_of(page) == "My own words."


@pytest.mark.parametrize("section", ["", "abc", "99999999999999999999", "1\x00"])
def test_loading_without_a_real_section_asks_for_one_and_keeps_the_text(ada, key_issues, section):
    response = ada.post(
        "/propose/", {**proposal(None, body="Mine."), "section": section, "load_template": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Choose a section" in page
    assert body_of(page) == "Mine." and value_of(page, "title") == "Wheels for RISC-V"


def test_the_propose_page_loads_its_script_from_a_static_file(ada, key_issues):
    page = ada.get("/propose/").content.decode()
    assert re.search(r'<script src="/static/js/propose\.[0-9a-f]+\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


# --- From a section -----------------------------------------------------------------


def test_a_section_page_offers_to_propose_a_topic_there(client, key_issues):
    page = client.get("/sections/key-issues/").content.decode()
    assert 'href="/propose/?section=key-issues"' in page and "Propose a topic here" in page


def test_a_reader_following_it_signs_in_and_lands_on_the_sections_template(key_issues):
    client = Client()
    response = client.get("/propose/?section=key-issues")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/propose/%3Fsection%3Dkey-issues"
    make_stakeholder()
    client.post(
        "/accounts/login/?next=/propose/%3Fsection%3Dkey-issues",
        {"username": "ada", "password": "a-long-test-password"},
    )
    page = client.get("/propose/?section=key-issues").content.decode()
    assert body_of(page).startswith("A very brief intro")


# --- In a browser, with and without JavaScript ------------------------------------------

in_a_browser = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def open_proposal(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/propose/%3Fsection%3Dkey-issues")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "a-long-test-password")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/propose/?section=key-issues")


@pytest.mark.browser
@in_a_browser
@pytest.mark.parametrize("answer", ["dismiss", "accept"])
def test_with_javascript_loading_a_template_over_typed_text_asks_first(live_server, answer):
    make_section(title="Key issues", slug="key-issues", topic_template=KEY_ISSUE_TEMPLATE)
    make_stakeholder()
    asked = []
    with chromium_page() as page:
        open_proposal(page, live_server.url)
        page.fill("#id_title", "Wheels for RISC-V")
        page.fill("textarea[name=body]", "My own words.")
        page.once(
            "dialog", lambda dialog: (asked.append(dialog.message), getattr(dialog, answer)())
        )
        load = page.get_by_role("button", name="Load this section’s template")
        if answer == "accept":
            with page.expect_navigation():
                load.click()
        else:
            load.click()
        body = page.input_value("textarea[name=body]")
        assert asked and "Replace your text" in asked[0]
        assert page.input_value("#id_title") == "Wheels for RISC-V"
        if answer == "dismiss":
            assert body == "My own words."
        else:
            assert body.startswith("A very brief intro and some context.")


@pytest.mark.browser
@in_a_browser
def test_without_javascript_loading_a_template_over_typed_text_keeps_it_until_ticked(live_server):
    make_section(title="Key issues", slug="key-issues", topic_template=KEY_ISSUE_TEMPLATE)
    make_stakeholder()
    with chromium_page(java_script_enabled=False) as page:
        open_proposal(page, live_server.url)
        page.fill("textarea[name=body]", "My own words.")
        with page.expect_navigation():
            page.get_by_role("button", name="Load this section’s template").click()
        assert page.input_value("textarea[name=body]") == "My own words."
        assert page.get_by_text("Your text is kept").is_visible()
        page.get_by_label("Replace my text with the template").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Load this section’s template").click()
        assert page.input_value("textarea[name=body]").startswith("A very brief intro")
