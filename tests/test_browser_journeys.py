"""Every journey as a person lives it: clicking links, buttons and fields in a real browser.

Stakeholders sign up, follow, suggest and propose; editors review, ask for changes,
publish and merge; maintainers edit in the admin and verify stakeholders. CSRF is
enforced as in production, and any console error or failed same-origin request
(status 400 or more) fails the test.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import chromium_browser
from tests.factories import (
    make_editor,
    make_maintainer,
    make_section,
    make_stakeholder,
    make_topic,
    publish_body,
    published_topic,
)
from topics.models import Feedback, Profile, ReferenceSuggestion, Revision, Topic, TopicFollow
from topics.services.content import save_topic

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "a-long-test-password"
BODY = (
    "Wheels are built per platform.\n\nSIMD support varies by CPU.\n\nGPUs need their own builds.\n"
)


CONFLICT = (
    "<<<<<<< published text\nSIMD support varies by CPU family.\n"
    "=======\nSIMD support varies by instruction set.\n>>>>>>> suggestion"
)


@pytest.fixture
def person(live_server):
    """Open a browser context for one person; fail on console errors and failed requests."""
    problems: list[str] = []

    # Chromium asks the admin's pages, which name no icon, for /favicon.ico (a 404).
    favicon = f"{live_server.url}/favicon.ico"

    def watch(page, who: str):
        def on_console(message):
            if message.type == "error" and message.location.get("url") != favicon:
                problems.append(f"{who} on {page.url}: {message.text}")

        def on_response(response):
            url, status = response.url, response.status
            if url.startswith(live_server.url) and status >= 400 and url != favicon:
                problems.append(f"{who}: {status} {response.request.method} {url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{who} on {page.url}: {error}"))
        page.on("response", on_response)

    with chromium_browser() as browser:

        def open_page(who: str = "reader"):
            page = browser.new_context(base_url=live_server.url).new_page()
            watch(page, who)
            return page

        yield open_page
    assert not problems, "\n".join(problems)


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/me/")


def says(page, text: str) -> None:
    """The page's status message (after a redirect) says `text`."""
    expect(page.locator("ul.messages")).to_contain_text(text)


def edit(field, old: str, new: str) -> None:
    """Change `old` to `new` in a text field, as a person typing there would."""
    text = field.input_value()
    assert old in text, f"{old!r} is not in the field: {text!r}"
    field.fill(text.replace(old, new))


def open_topic(page, topic: Topic) -> None:
    """From the home page, click the topic in its section."""
    page.goto("/")
    page.locator("main").get_by_role("link", name=topic.title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(topic.title)


def suggest_edit(page, topic: Topic, old: str, new: str, message: str) -> None:
    open_topic(page, topic)
    page.get_by_role("link", name="Suggest an edit").click()
    edit(page.locator("#id_body"), old, new)
    expect(page.locator(".markdownx-preview")).to_contain_text(new)  # the live preview
    page.get_by_label("What did you change, and why?").fill(message)
    page.get_by_role("button", name="Send the suggestion").click()
    page.wait_for_url("**/me/")
    expect(page.get_by_role("row").filter(has_text=message)).to_contain_text("Pending review")


def open_in_queue(page, message: str) -> None:
    """From the header's Review link, open the queued suggestion sent with `message`."""
    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_role("row").filter(has_text=message).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suggested change")


def decide(page, action: str, comment: str = "") -> None:
    page.get_by_label(action, exact=True).check()
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Record the decision").click()


def body_of(page):
    return page.locator(".topic-body")


@pytest.fixture
def topic():
    section = make_section(title="Key issues", topic_template="## The problem\n\nDescribe it.\n")
    return published_topic(title="Wheels", slug="wheels", section=section, body=BODY)


def test_a_stakeholder_signs_up_follows_suggests_gives_feedback_and_proposes(person, topic):
    page = person("new stakeholder")
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.locator("#id_username").fill("grace")
    page.locator("#id_email").fill("grace@example.com")
    page.locator("#id_display_name").fill("Grace")
    page.locator("#id_affiliation").fill("Numerical Project")
    page.locator("#id_group").select_option(label="Hardware vendors")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_url("**/me/")
    says(page, "Welcome!")
    expect(page.locator("main")).to_contain_text("Hardware vendors · not verified yet")

    open_topic(page, topic)
    page.get_by_role("button", name="Follow", exact=True).click()
    says(page, "You will get an email when “Wheels” changes.")
    page.get_by_role("button", name="Unfollow").click()
    says(page, "You no longer follow “Wheels”.")
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()

    suggest_edit(page, topic, "by CPU", "by CPU and compiler", "Compilers matter too")
    says(page, "Thank you: your suggestion is waiting for an editor.")

    page.get_by_role("link", name="Wheels").first.click()
    page.get_by_role("link", name="Give feedback").click()
    page.get_by_label("Your feedback").fill("The GPU paragraph needs an example.")
    page.get_by_label("Show it publicly once accepted").check()
    page.get_by_role("button", name="Send feedback").click()
    says(page, "Thank you: the editors will read your feedback.")

    page.get_by_role("link", name="Suggest a reference").click()
    page.get_by_label("Web address").fill("peps.python.org/pep-0817/")  # as people type it
    page.get_by_label("Title").fill("PEP 817: wheel variants")
    page.get_by_label("Kind").select_option(label="PEP")
    page.get_by_label("Note").fill("It proposes a fix.")
    page.get_by_role("button", name="Send the suggestion").click()
    says(page, "Thank you: an editor will look at the reference.")
    suggested = ReferenceSuggestion.objects.get(title="PEP 817: wheel variants")
    assert suggested.url == "https://peps.python.org/pep-0817/"

    page.get_by_role("link", name="My contributions").click()
    main = page.locator("main")
    expect(main).to_contain_text("The GPU paragraph needs an example.")
    expect(main.get_by_role("row").filter(has_text="PEP 817")).to_contain_text("Awaiting an editor")

    open_topic(page, topic)
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Key issues"
    ).click()
    page.get_by_role("link", name="Propose a topic here").click()
    page.wait_for_url(f"**/propose/?section={topic.section.slug}")
    expect(page.locator("#id_section")).to_have_value(str(topic.section_id))
    page.get_by_label("Title").fill("GPU wheels")
    edit(page.locator("#id_body"), "Describe it.", "CUDA wheels are large.")
    page.get_by_label("What did you change, and why?").fill("A topic we lack")
    page.get_by_role("button", name="Send the proposal").click()
    says(page, "Thank you: your proposal is waiting for an editor.")
    expect(page.get_by_role("status").filter(has_text="This is a draft")).to_be_visible()
    expect(body_of(page)).to_contain_text("CUDA wheels are large.")

    grace = Profile.objects.get(user__username="grace")
    assert grace.group.name == "Hardware vendors"
    assert Revision.objects.filter(author=grace.user, status="pending").count() == 2
    assert Feedback.objects.get(author=grace.user).wants_public
    assert ReferenceSuggestion.objects.get(author=grace.user).kind == "pep"
    assert not TopicFollow.objects.filter(user=grace.user).exists()


def test_an_editor_asks_for_changes_the_author_revises_and_readers_see_it(person, topic):
    ada, eddie = make_stakeholder("ada"), make_editor("eddie")
    author, editor, reader = person("ada"), person("eddie"), person("reader")
    sign_in(author, ada)
    suggest_edit(author, topic, "by CPU", "by CPU model", "Name the models")

    sign_in(editor, eddie)
    open_in_queue(editor, "Name the models")
    expect(editor.locator("dd.diff ins")).to_have_text(["model"])
    expect(editor.locator(".diff-fields")).to_contain_text("(1 word added, 0 removed)")
    decide(editor, "Request changes", "Say which compilers, not which models.")
    editor.wait_for_url("**/review/")
    says(editor, "Changes requested; the author has been told.")

    author.get_by_role("link", name="My contributions").click()
    row = author.get_by_role("row").filter(has_text="Name the models")
    expect(row).to_contain_text("Changes requested")
    expect(row).to_contain_text("Say which compilers, not which models.")
    row.get_by_role("link", name="Revise").click()
    expect(author.locator(".timeline")).to_contain_text("Say which compilers")
    edit(author.locator("#id_body"), "by CPU model", "by CPU and compiler")
    author.get_by_label("What did you change, and why?").fill("Compilers, as asked")
    author.get_by_role("button", name="Send the revised suggestion").click()
    author.wait_for_url("**/me/")
    says(author, "Your revised suggestion is waiting for an editor.")

    open_topic(reader, topic)  # the page is now in the readers' cache
    expect(body_of(reader)).to_contain_text("SIMD support varies by CPU.")

    open_in_queue(editor, "Compilers, as asked")
    expect(editor.locator("dd.diff ins")).to_have_text(["and compiler"])
    decide(editor, "Publish")
    says(editor, "Published: “Wheels” now shows this text.")
    expect(body_of(editor)).to_contain_text("SIMD support varies by CPU and compiler.")

    reader.reload()
    expect(body_of(reader)).to_contain_text("SIMD support varies by CPU and compiler.")
    expect(reader.get_by_role("button", name="Follow")).to_have_count(0)

    author.reload()
    expect(author.get_by_role("row").filter(has_text="Compilers, as asked")).to_contain_text(
        "Published"
    )


def test_an_editor_marks_a_topic_due_for_review_as_reviewed(person, topic):
    long_ago = timezone.now() - timedelta(days=400)
    Topic.objects.filter(pk=topic.pk).update(updated_at=long_ago, last_reviewed_at=None)
    page = person("eddie")
    sign_in(page, make_editor("eddie"))
    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_role("link", name="Topics due for review").click()
    page.locator("main").get_by_role("link", name="Wheels").click()
    expect(page.get_by_role("note")).to_contain_text("This topic may be out of date")
    page.get_by_role("button", name="Mark as reviewed today").click()
    says(page, "“Wheels” is marked as reviewed today.")
    expect(page.get_by_role("note")).to_have_count(0)
    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_role("link", name="Topics due for review").click()
    expect(page.locator("main")).to_contain_text("Every topic was reviewed recently.")


def test_suggestions_to_different_places_merge_and_a_conflict_is_resolved_by_hand(person, topic):
    ada, bob, eddie = make_stakeholder("ada"), make_stakeholder("bob"), make_editor("eddie")
    first, second, editor = person("ada"), person("bob"), person("eddie")
    sign_in(first, ada)
    sign_in(second, bob)
    sign_in(editor, eddie)

    suggest_edit(first, topic, "Wheels are built", "Binary wheels are built", "First paragraph")
    suggest_edit(second, topic, "their own builds", "their own wheels", "Last paragraph")
    open_in_queue(editor, "First paragraph")
    decide(editor, "Publish")
    says(editor, "Published")
    open_in_queue(editor, "Last paragraph")
    expect(editor.get_by_role("heading", name="Merged with the newer text")).to_be_visible()
    decide(editor, "Publish")
    says(editor, "Published")
    expect(body_of(editor)).to_contain_text("Binary wheels are built per platform.")
    expect(body_of(editor)).to_contain_text("GPUs need their own wheels.")

    suggest_edit(first, topic, "by CPU", "by CPU family", "CPU families")
    suggest_edit(second, topic, "by CPU", "by instruction set", "Instruction sets")
    open_in_queue(editor, "CPU families")
    decide(editor, "Publish")
    says(editor, "Published")
    open_in_queue(editor, "Instruction sets")
    expect(editor.get_by_role("heading", name="Conflict")).to_be_visible()
    editor.get_by_role("link", name="Resolve the conflict and publish").click()
    box, conflict = editor.locator("#id_body"), CONFLICT
    merged = f"Binary wheels are built per platform.\n\n{conflict}\n\nGPUs need their own wheels.\n"
    expect(box).to_have_value(merged)
    editor.get_by_role("button", name="Publish the merged text").click()
    expect(editor.locator(".errorlist")).to_contain_text("This still holds a conflict")
    expect(box).to_have_value(merged)  # refused, and nothing is lost
    edit(box, conflict, "SIMD support varies by CPU family and ISA.")
    # Meanwhile another editor publishes Ada's change to the last paragraph.
    topic.refresh_from_db()
    body = topic.body.replace("their own wheels", "wheels built for them")
    publish_body(topic, body, make_editor("maria"))
    editor.get_by_role("button", name="Publish the merged text").click()
    # Nothing is lost: the page says what happened, and the box holds both changes.
    expect(editor.get_by_role("heading", name="Published while you were merging")).to_be_visible()
    expect(box).to_have_value(
        "Binary wheels are built per platform.\n\nSIMD support varies by CPU family and ISA."
        "\n\nGPUs need wheels built for them.\n"
    )
    editor.get_by_role("button", name="Publish the merged text").click()
    says(editor, "The merged text is published; the suggestion is kept.")
    expect(body_of(editor)).to_contain_text("varies by CPU family and ISA.")
    expect(body_of(editor)).to_contain_text("GPUs need wheels built for them.")
    expect(body_of(editor)).not_to_contain_text("<<<<<<<")

    reader = person("reader")
    open_topic(reader, topic)
    expect(body_of(reader)).to_contain_text("SIMD support varies by CPU family and ISA.")


def test_a_maintainer_edits_in_the_admin_and_verifies_a_stakeholder(person, topic):
    make_stakeholder("newbie")
    page = person("maud")
    sign_in(page, make_maintainer("maud"))
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Topics", exact=True).click()
    page.get_by_role("link", name="Wheels").click()
    edit(page.locator("#id_body"), "their own builds", "builds of their own")
    # Meanwhile an editor publishes a suggestion to another paragraph.
    topic.refresh_from_db()
    publish_body(topic, topic.body.replace("by CPU.", "by CPU family."), make_editor("eddie"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.locator("main, #content").first).to_contain_text(
        "Another version was published while you were working on this"
    )
    expect(page.locator("#id_body")).to_have_value(
        "Wheels are built per platform.\n\nSIMD support varies by CPU family.\n\n"
        "GPUs need builds of their own.\n"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")

    page.locator("#result_list").get_by_role("link", name="Wheels").click()
    page.get_by_role("link", name="View on site").click()
    expect(body_of(page)).to_contain_text("GPUs need builds of their own.")
    expect(body_of(page)).to_contain_text("SIMD support varies by CPU family.")
    page.get_by_role("link", name="History").click()
    current = page.get_by_role("row").filter(has_text="Current")
    expect(current).to_contain_text("Edited in the admin")
    expect(current).to_contain_text("maud")

    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_role("link", name="Stakeholders to verify").click()
    row = page.get_by_role("row").filter(has_text="newbie")
    row.get_by_role("button", name="Verify").click()
    says(page, "Newbie is verified.")
    expect(row.get_by_role("button", name="Verify")).to_have_count(0)
    assert Profile.objects.get(user__username="newbie").is_verified


def test_a_maintainer_saving_a_draft_another_saved_meanwhile_keeps_both_texts(person, topic):
    draft = make_topic(
        slug="draft-notes",
        title="Draft notes",
        status="draft",
        section=topic.section,
        body="Static linking is rare.\n\nShared libraries are common.\n",
    )
    page = person("maud")
    sign_in(page, make_maintainer("maud"))
    page.goto("/admin/topics/topic/")
    page.get_by_role("link", name="Draft notes").click()
    edit(page.locator("#id_body"), "is rare", "is rare on Linux")
    # Meanwhile another maintainer saves the draft (a draft's saves make no revision).
    Topic.objects.filter(pk=draft.pk).update(
        body="Static linking is rare.\n\nShared libraries are the norm.\n"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("main, #content").first).to_contain_text(
        "Someone saved another text of this topic while you were working on it"
    )
    expect(page.locator("#id_body")).to_have_value(
        "Static linking is rare on Linux.\n\nShared libraries are the norm.\n"
    )
    draft.refresh_from_db()
    assert "the norm" in draft.body and "on Linux" not in draft.body  # nothing saved yet
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    draft.refresh_from_db()
    assert (
        draft.body.strip() == "Static linking is rare on Linux.\n\nShared libraries are the norm."
    )


def test_a_maintainer_sees_where_a_reference_is_cited_and_saves_it_and_its_topic(person, topic):
    topic.body += "\nSee [the Packaging Guide](https://packaging.python.org/guide/) first.\n"
    save_topic(topic=topic)
    reference = topic.citations.get().reference
    page = person("maud")
    sign_in(page, make_maintainer("maud"))
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="References", exact=True).click()
    page.locator("#result_list").get_by_role("link", name=reference.title).click()
    cited_in = page.locator(".inline-group")
    expect(cited_in).to_contain_text("Cited in")
    expect(cited_in).to_contain_text("Wheels")
    expect(cited_in).to_contain_text("See the Packaging Guide first.")  # the sentence
    page.get_by_label("Web address").fill("packaging.python.org/guide/")  # without its scheme
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    reference.refresh_from_db()
    assert reference.url == "https://packaging.python.org/guide/"  # not http://

    page.goto("/admin/topics/topic/")
    page.locator("#result_list").get_by_role("link", name="Wheels").click()
    box = page.locator("select[name$='-reference']")
    expect(box.locator("option[selected]")).to_have_text(reference.title)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    assert list(topic.citations.values_list("reference_id", flat=True)) == [reference.pk]
