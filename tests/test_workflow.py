"""The editorial loop: stakeholders contribute, editors review and publish, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client

from tests.factories import (
    admin_topic_form,
    count_queries,
    make_editor,
    make_maintainer,
    make_section,
    make_stakeholder,
    make_topic,
    make_user,
    publish_body,
    published_topic,
    resubmitted,
    signed_in,
    suggestion,
)
from topics.models import (
    Feedback,
    Profile,
    ReferenceSuggestion,
    ReviewEvent,
    Revision,
    StakeholderGroup,
    Topic,
    TopicFollow,
)
from topics.services import contributions, workflow

pytestmark = pytest.mark.django_db


def edit_form(topic: Topic, **overrides) -> dict:
    data = {
        "title": topic.title,
        "summary": topic.summary,
        "body": topic.body,
        "tags": "",
        "message": "Clarify the text",
        "base": topic.current_revision_id,
    }
    data.update(overrides)
    return data


# --- Journeys -------------------------------------------------------------------


def test_proposal_changes_requested_revised_published_and_read(
    client, django_capture_on_commit_callbacks
):
    section = make_section(
        title="Key issues", slug="key-issues", topic_template="## Current state\n"
    )
    ada, eddie = make_stakeholder(), make_editor()
    ada_client, editor_client = signed_in(ada), signed_in(eddie)

    form = ada_client.get("/propose/?section=key-issues").content.decode()
    assert "## Current state" in form
    response = ada_client.post(
        "/propose/",
        {
            "section": section.pk,
            "title": "Wheels for RISC-V",
            "summary": "",
            "tags": "risc-v",
            "body": "## Current state\n\nNone yet.",
            "message": "New topic",
        },
    )
    topic = Topic.objects.get(title="Wheels for RISC-V")
    assert response.status_code == 302 and topic.status == Topic.Status.DRAFT
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert ada_client.get(topic.get_absolute_url()).status_code == 200

    proposal = topic.revisions.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"/review/revisions/{proposal.pk}/",
            {"action": "request_changes", "comment": "Add the problems section."},
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Revision.Status.CHANGES_REQUESTED
    assert "Add the problems section." in mail.outbox[-1].body
    assert mail.outbox[-1].to == [ada.email]
    assert "Add the problems section." in ada_client.get("/me/").content.decode()

    response = ada_client.post(
        f"/suggestions/{proposal.pk}/revise/",
        {
            "title": "Wheels for RISC-V",
            "summary": "",
            "tags": "risc-v",
            "message": "Add problems",
            "body": "## Current state\n\nNone yet.\n\n## Problems\n\nNo CI runners.",
        },
    )
    assert response.status_code == 302
    revised = topic.revisions.get(status=Revision.Status.PENDING)
    proposal.refresh_from_db()
    assert proposal.status == Revision.Status.SUPERSEDED and revised.replaces == proposal

    response = editor_client.post(f"/review/revisions/{revised.pk}/", {"action": "publish"})
    assert response.status_code == 302
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "No CI runners." in page and "Wheels for RISC-V" in page
    assert 'href="/tags/risc-v/"' in page
    actions = list(ReviewEvent.objects.order_by("pk").values_list("action", "actor__username"))
    assert actions == [
        ("submitted", "ada"),
        ("changes_requested", "eddie"),
        ("resubmitted", "ada"),
        ("published", "eddie"),
    ]


def test_suggested_edit_is_pending_beside_the_published_text(client):
    topic = published_topic(body="Original text.")
    ada = make_stakeholder()
    response = signed_in(ada).post(
        f"/topics/{topic.slug}/suggest/", edit_form(topic, body="Improved text.")
    )
    assert response.status_code == 302
    assert "Original text." in client.get(topic.get_absolute_url()).content.decode()
    suggestion = topic.revisions.get(status=Revision.Status.PENDING)
    assert suggestion.based_on == topic.current_revision and suggestion.author == ada


def two_suggestions(topic, ada_body: str, bob_body: str):
    """Ada's and Bob's suggestions, both written from the published text; Ada's is published."""
    ada, bob, eddie = make_stakeholder("ada"), make_stakeholder("bob"), make_editor()
    form = edit_form(topic)
    signed_in(ada).post(f"/topics/{topic.slug}/suggest/", {**form, "body": ada_body})
    signed_in(bob).post(f"/topics/{topic.slug}/suggest/", {**form, "body": bob_body})
    ada_rev, bob_rev = topic.revisions.filter(status="pending").order_by("pk")
    workflow.publish_revision(revision=ada_rev, by=eddie)
    return bob_rev, signed_in(eddie)


def test_suggestions_to_different_paragraphs_merge_and_both_survive(client):
    topic = published_topic(body="Line one.\n\nLine two.\n\nLine three.")
    bob_rev, editor_client = two_suggestions(
        topic,
        "Line one, improved by Ada.\n\nLine two.\n\nLine three.",
        "Line one.\n\nLine two.\n\nLine three, improved by Bob.",
    )
    page = editor_client.get(f"/review/revisions/{bob_rev.pk}/").content.decode()
    assert "Merged with the newer text" in page and "Conflict" not in page
    assert "<ins>, improved by Bob</ins>" in page  # what readers would see change

    response = editor_client.post(f"/review/revisions/{bob_rev.pk}/", {"action": "publish"})
    assert response.status_code == 302 and response["Location"] == topic.get_absolute_url()
    topic.refresh_from_db()
    assert topic.body == "Line one, improved by Ada.\n\nLine two.\n\nLine three, improved by Bob."
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "improved by Ada" in page and "improved by Bob" in page
    bob_rev.refresh_from_db()
    assert bob_rev.status == Revision.Status.SUPERSEDED
    assert bob_rev.body.endswith("Line three, improved by Bob.")  # Bob's own text is kept
    assert "Merged automatically" in bob_rev.events.get(action="merged").comment


def test_overlapping_suggestions_must_be_merged_by_hand_and_nothing_is_lost(client):
    topic = published_topic(body="Line one.\n\nLine two.")
    bob_rev, editor_client = two_suggestions(
        topic, "Line one, improved by Ada.\n\nLine two.", "Line one, improved by Bob.\n\nLine two."
    )
    page = editor_client.get(f"/review/revisions/{bob_rev.pk}/").content.decode()
    assert "Conflict" in page and "Ada" in page and "Bob" in page  # both changes are shown
    response = editor_client.post(f"/review/revisions/{bob_rev.pk}/", {"action": "publish"})
    assert response.status_code == 302 and response["Location"].endswith("/merge/")
    topic.refresh_from_db()
    assert "improved by Ada" in topic.body and "Bob" not in topic.body

    # The merge box starts with both sides between markers, never Bob's out-of-date text alone.
    merge_url = f"/review/revisions/{bob_rev.pk}/merge/"
    box = editor_client.get(merge_url).context["form"].initial["body"]
    assert box == (
        "<<<<<<< published text\nLine one, improved by Ada.\n=======\n"
        "Line one, improved by Bob.\n>>>>>>> suggestion\n\nLine two."
    )
    # Publishing the markers is refused, and the editor's text is kept in the form.
    response = editor_client.post(
        merge_url,
        {
            "title": topic.title,
            "summary": "",
            "body": box,
            "tags": "",
            "note": "",
            "seen": topic.current_revision_id,  # the hidden field: the text the box was made from
        },
    )
    assert response.status_code == 200
    assert "still holds a conflict" in response.content.decode()
    assert response.context["form"]["body"].value() == box
    topic.refresh_from_db()
    assert "Bob" not in topic.body

    merged = "Line one, improved by Ada and Bob.\n\nLine two."
    response = editor_client.post(
        merge_url,
        {
            "title": topic.title,
            "summary": "",
            "body": merged,
            "tags": "",
            "note": "merged both",
            "seen": topic.current_revision_id,
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.body == merged
    bob_rev.refresh_from_db()
    assert bob_rev.status == Revision.Status.SUPERSEDED
    assert "improved by Bob." in bob_rev.body  # Bob's own text is kept


def test_the_workflow_refuses_a_merged_text_with_conflict_markers():
    topic = published_topic(body="Old.")
    eddie = make_editor()
    conflicting = workflow.suggest_edit(
        author=make_stakeholder(),
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Mine."),
        message="mine",
    )
    workflow.publish_revision(
        revision=workflow.suggest_edit(
            author=eddie,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text(topic.title, "", "Theirs."),
            message="theirs",
        ),
        by=eddie,
    )
    with pytest.raises(workflow.Conflict):
        workflow.publish_revision(revision=conflicting, by=eddie)
    markers = "<<<<<<< published text\nTheirs.\n=======\nMine.\n>>>>>>> suggestion\n"
    with pytest.raises(workflow.UnresolvedConflict):
        workflow.publish_revision(
            revision=conflicting,
            by=eddie,
            merged=workflow.Text(topic.title, "", markers),
            seen=Topic.objects.get(pk=topic.pk).current_revision_id,
        )
    topic.refresh_from_db()
    assert topic.body == "Theirs."


def test_a_form_behind_the_published_text_warns_the_author_and_keeps_the_suggestion():
    topic = published_topic(body="Old.")
    ada, eddie = make_stakeholder(), make_editor()
    behind_form = edit_form(topic, body="Ada's text.")
    newer = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(title=topic.title, summary="", body="Newer."),
        message="newer",
    )
    workflow.publish_revision(revision=newer, by=eddie)
    response = signed_in(ada).post(f"/topics/{topic.slug}/suggest/", behind_form, follow=True)
    assert "updated while you were writing" in response.content.decode()
    assert Revision.objects.filter(author=ada, body="Ada's text.").exists()


def test_two_editors_publishing_at_once_cannot_both_win_silently():
    topic = published_topic(body="Base.")
    ada, bob = make_stakeholder("ada"), make_stakeholder("bob")
    eddie, edna = make_editor("eddie"), make_editor("edna")
    base = topic.current_revision
    a = workflow.suggest_edit(
        author=ada, topic=topic, base=base, text=workflow.Text(topic.title, "", "Ada."), message="a"
    )
    b = workflow.suggest_edit(
        author=bob, topic=topic, base=base, text=workflow.Text(topic.title, "", "Bob."), message="b"
    )
    workflow.publish_revision(revision=a, by=eddie)
    with pytest.raises(workflow.Conflict):
        workflow.publish_revision(revision=b, by=edna)
    topic.refresh_from_db()
    assert topic.body == "Ada." and Revision.objects.get(pk=b.pk).status == "pending"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_publishes_on_postgres_leave_exactly_one_winner():
    topic = published_topic(body="Base.")
    editors = [make_editor(f"editor{n}") for n in range(4)]
    suggestions = [
        workflow.suggest_edit(
            author=editor,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text(topic.title, "", f"Text {n}."),
            message=str(n),
        )
        for n, editor in enumerate(editors)
    ]
    barrier, outcomes = threading.Barrier(len(editors)), []

    def publish(revision, editor):
        try:
            barrier.wait()
            workflow.publish_revision(revision=revision, by=editor)
            outcomes.append("published")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()  # each thread has its own connection

    threads = [
        threading.Thread(target=publish, args=pair)
        for pair in zip(suggestions, editors, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "published"]
    assert Revision.objects.filter(topic=topic, status="published").count() == 2


def test_reject_records_the_reason_and_tells_the_author(django_capture_on_commit_callbacks):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    signed_in(ada).post(f"/topics/{topic.slug}/suggest/", edit_form(topic, body="Spam?"))
    revision = Revision.objects.get(status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(eddie).post(
            f"/review/revisions/{revision.pk}/", {"action": "reject", "comment": "Off topic."}
        )
    revision.refresh_from_db()
    assert revision.status == Revision.Status.REJECTED
    event = revision.events.get(action="rejected")
    assert event.actor == eddie and event.comment == "Off topic." and event.created_at
    assert "Off topic." in mail.outbox[-1].body


def test_history_lists_revisions_compares_them_and_an_editor_restores(client):
    topic = published_topic(body="The first wording of the text.")
    eddie = make_editor()
    first = topic.current_revision
    second = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=first,
        text=workflow.Text(topic.title, "", "The second wording of the text."),
        message="Reword",
    )
    workflow.publish_revision(revision=second, by=eddie)
    page = client.get(f"/topics/{topic.slug}/history/").content.decode()
    assert "Reword" in page and "First" in page and "Current" in page
    diff = client.get(f"/topics/{topic.slug}/compare/?a={first.pk}&b={second.pk}").content.decode()
    assert "<del>first</del>" in diff and "<ins>second</ins>" in diff

    restore_url = f"/topics/{topic.slug}/revisions/{first.pk}/restore/"
    assert client.post(restore_url, {"reason": "x"}).status_code == 302  # to sign in
    editor_client = signed_in(eddie)
    # One click never restores: a page shows what would change and asks why.
    confirm = editor_client.get(restore_url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Restore the version of" in page and "<ins>first</ins>" in page
    assert confirm.context["form"]["seen"].value() == second.pk  # what it was compared with
    refused = editor_client.post(restore_url, {"reason": "  ", "seen": second.pk})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    topic.refresh_from_db()
    assert topic.body == "The second wording of the text."

    reason = {"reason": "The rewording lost the nuance", "seen": second.pk}
    response = editor_client.post(restore_url, reason)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.body == "The first wording of the text."
    assert topic.revisions.count() == 3  # restored as a new revision; nothing deleted
    restored = topic.current_revision
    assert "Restored the text" in restored.message
    assert "The rewording lost the nuance" in restored.message
    event = restored.events.get(action="restored")
    assert event.actor == eddie and "The rewording lost the nuance" in event.comment


def merge_form_data(response) -> dict:
    """What the merge page's form would send as it stands (hidden fields included)."""
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def test_a_merge_never_drops_a_text_published_while_the_editor_was_merging():
    topic = published_topic(body="Line one.\n\nLine two.\n\nLine three.")
    bob_rev, editor_client = two_suggestions(
        topic,
        "Line one, by Ada.\n\nLine two.\n\nLine three.",
        "Line one, by Bob.\n\nLine two.\n\nLine three.",
    )
    merge_url = f"/review/revisions/{bob_rev.pk}/merge/"
    page = editor_client.get(merge_url)
    typed = {**merge_form_data(page), "note": "Both names"}
    typed["body"] = "Line one, by Ada and Bob.\n\nLine two.\n\nLine three."
    # Meanwhile another editor publishes Chen's change to another paragraph.
    topic.refresh_from_db()
    chen = workflow.suggest_edit(
        author=make_stakeholder("chen"),
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Line one, by Ada.\n\nLine two.\n\nLine 3, by Chen."),
        message="Chen",
    )
    workflow.publish_revision(revision=chen, by=make_editor("maria"))

    response = editor_client.post(merge_url, typed)
    assert response.status_code == 200  # nothing published: the page says why
    page = response.content.decode()
    assert "Another version was published while you were working on this" in page
    assert "Published while you were merging" in page and "<ins>3, by Chen</ins>" in page
    topic.refresh_from_db()
    assert topic.body.endswith("Line 3, by Chen.") and "Bob" not in topic.body
    # The editor's merge comes back, merged with Chen's change; the note is kept.
    again = merge_form_data(response)
    assert again["body"] == "Line one, by Ada and Bob.\n\nLine two.\n\nLine 3, by Chen."
    assert again["note"] == "Both names" and again["seen"] == str(topic.current_revision_id)

    assert editor_client.post(merge_url, again).status_code == 302
    topic.refresh_from_db()
    assert topic.body == "Line one, by Ada and Bob.\n\nLine two.\n\nLine 3, by Chen."


def test_a_merge_whose_text_overlaps_a_change_published_meanwhile_shows_both_sides():
    topic = published_topic(body="Line one.")
    bob_rev, editor_client = two_suggestions(topic, "Line one, by Ada.", "Line one, by Bob.")
    merge_url = f"/review/revisions/{bob_rev.pk}/merge/"
    typed = {**merge_form_data(editor_client.get(merge_url)), "body": "Line one, by both."}
    publish_body(topic, "Line one, by Chen.", make_editor("maria"))
    response = editor_client.post(merge_url, typed)
    again = merge_form_data(response)
    assert again["body"] == (
        "<<<<<<< published text\nLine one, by Chen.\n=======\nLine one, by both.\n>>>>>>> your text"
    )
    refused = editor_client.post(merge_url, again)  # markers are never published
    assert "still holds a conflict" in refused.content.decode()
    topic.refresh_from_db()
    assert topic.body == "Line one, by Chen."


def test_the_review_and_merge_pages_compute_a_merge_once(monkeypatch):
    topic = published_topic(body="Line one.")
    bob_rev, editor_client = two_suggestions(topic, "Line one, by Ada.", "Line one, by Bob.")
    merges = []
    merge_texts = workflow.merge_texts
    monkeypatch.setattr(
        workflow,
        "merge_texts",
        lambda *texts, **options: merges.append(texts) or merge_texts(*texts, **options),
    )
    for url in (f"/review/revisions/{bob_rev.pk}/", f"/review/revisions/{bob_rev.pk}/merge/") * 2:
        assert editor_client.get(url).status_code == 200
    assert len(merges) == 2  # summary and body, once: a large merge takes up to 0.5 s


def test_publishing_a_merge_made_from_an_older_text_raises_and_changes_nothing():
    topic = published_topic(body="Base.")
    eddie = make_editor()
    first = topic.current_revision
    for body in ("Mine.", "Newer."):
        workflow.suggest_edit(
            author=None,
            topic=topic,
            base=first,
            text=workflow.Text(topic.title, "", body),
            message=body,
        )
    workflow.publish_revision(revision=topic.revisions.get(message="Newer."), by=eddie)
    with pytest.raises(workflow.PublishedMeanwhile):
        workflow.publish_revision(
            revision=topic.revisions.get(message="Mine."),
            by=eddie,
            merged=workflow.Text(topic.title, "", "Mine, merged."),
            seen=first.pk,
        )
    topic.refresh_from_db()
    assert topic.body == "Newer."
    assert topic.revisions.get(message="Mine.").status == Revision.Status.PENDING


def test_a_restore_never_undoes_a_text_published_after_its_confirmation_page():
    topic = published_topic(body="First wording.")
    first = topic.current_revision
    eddie, maria = make_editor(), make_editor("maria")
    for body in ("Second wording.", "Third wording."):
        topic.refresh_from_db()
        edit = workflow.suggest_edit(
            author=None,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text(topic.title, "", body),
            message=body,
        )
        if body == "Third wording.":
            break
        workflow.publish_revision(revision=edit, by=eddie)
    restore_url = f"/topics/{topic.slug}/revisions/{first.pk}/restore/"
    editor_client = signed_in(eddie)
    confirm = editor_client.get(restore_url)
    assert "<del>Second</del>" in confirm.content.decode()
    typed = {"reason": "Undo the second wording", "seen": confirm.context["form"]["seen"].value()}
    workflow.publish_revision(revision=edit, by=maria)  # published meanwhile

    response = editor_client.post(restore_url, typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Another version was published while you were working on this" in page
    assert "<del>Third</del>" in page  # what restoring would undo now
    assert response.context["form"]["reason"].value() == "Undo the second wording"
    topic.refresh_from_db()
    assert topic.body == "Third wording."

    again = {"reason": "Undo both", "seen": response.context["form"]["seen"].value()}
    assert editor_client.post(restore_url, again).status_code == 302
    topic.refresh_from_db()
    assert topic.body == "First wording."


def test_imported_history_shows_on_the_history_page(client):
    topic = published_topic()
    Revision.objects.create(
        topic=topic,
        title=topic.title,
        body="old",
        author_name="Ralf Gommers",
        message="Add SIMD page",
        commit="abc123",
    )
    page = client.get(f"/topics/{topic.slug}/history/").content.decode()
    assert "Ralf Gommers" in page and "Add SIMD page" in page


def test_feedback_becomes_public_once_accepted(client):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    signed_in(ada).post(
        f"/topics/{topic.slug}/feedback/", {"body": "Mention conda.", "wants_public": "on"}
    )
    feedback = Feedback.objects.get()
    assert "Mention conda." not in client.get(topic.get_absolute_url()).content.decode()
    signed_in(eddie).post(f"/review/feedback/{feedback.pk}/", {"decision": "accept"})
    assert "Mention conda." in client.get(topic.get_absolute_url()).content.decode()


def test_suggested_reference_is_cited_once_accepted_and_survives_body_edits(client):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    signed_in(ada).post(
        f"/topics/{topic.slug}/suggest-reference/",
        {
            "url": "https://peps.python.org/pep-0725/",
            "title": "PEP 725",
            "kind": "pep",
            "note": "",
        },
    )
    suggestion = ReferenceSuggestion.objects.get()
    signed_in(eddie).post(f"/review/references/{suggestion.pk}/", {"decision": "accept"})
    assert "PEP 725" in client.get(topic.get_absolute_url()).content.decode()
    edit = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "New body without links."),
        message="edit",
    )
    workflow.publish_revision(revision=edit, by=eddie)
    assert topic.references.filter(url="https://peps.python.org/pep-0725/").exists()


def test_a_reference_suggestions_note_is_a_few_sentences_and_a_longer_one_is_kept_to_fix():
    topic = published_topic()
    long_note = "Why. " * 1000  # 5,000 characters: the editors' queue shows every note
    response = signed_in(make_stakeholder()).post(
        f"/topics/{topic.slug}/suggest-reference/",
        {"url": "https://example.org/a", "title": "A source", "kind": "other", "note": long_note},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "at most 2000 characters" in page and "Why. Why. Why." in page  # kept to shorten
    assert not ReferenceSuggestion.objects.exists()


def test_followers_are_emailed_when_the_topic_changes(django_capture_on_commit_callbacks):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    signed_in(ada).post(f"/topics/{topic.slug}/follow/")
    assert TopicFollow.objects.filter(user=ada, topic=topic).exists()
    edit = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Changed."),
        message="Explain more",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_revision(revision=edit, by=eddie)
    assert [message.to for message in mail.outbox] == [[ada.email]]
    assert "Explain more" in mail.outbox[0].body


def test_feed_carries_published_changes_with_messages(client):
    topic = published_topic()
    eddie = make_editor()
    edit = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Changed."),
        message="Explain the ABI",
    )
    pending = workflow.suggest_edit(
        author=eddie,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Pending."),
        message="Not yet published",
    )
    workflow.publish_revision(revision=edit, by=eddie)
    feed = client.get("/feed/").content.decode()
    assert "Explain the ABI" in feed and pending.message not in feed


def test_topics_due_for_review_are_flagged_to_readers_and_listed_for_editors(client, settings):
    settings.KB_REVIEW_PERIOD_DAYS = 30
    old = published_topic(title="Old topic", slug="old")
    Topic.objects.filter(pk=old.pk).update(updated_at="2020-01-01T00:00:00Z")
    fresh = published_topic(title="Fresh topic", slug="fresh")
    assert "may be out of date" in client.get("/topics/old/").content.decode()
    assert "may be out of date" not in client.get("/topics/fresh/").content.decode()
    editor_client = signed_in(make_editor())
    listing = editor_client.get("/review/due/").content.decode()
    assert "Old topic" in listing and "Fresh topic" not in listing
    editor_client.post("/topics/old/reviewed/")
    assert "may be out of date" not in client.get("/topics/old/").content.decode()
    assert fresh.pk


def test_the_editors_list_and_the_readers_flag_follow_one_rule(settings):
    from django.utils import timezone

    settings.KB_REVIEW_PERIOD_DAYS = 30
    for slug in ("old", "reviewed", "fresh"):
        published_topic(title=slug, slug=slug)
    make_topic(title="draft", slug="draft", status=Topic.Status.DRAFT)
    Topic.objects.exclude(slug="fresh").update(updated_at="2020-01-01T00:00:00Z")
    Topic.objects.filter(slug="reviewed").update(last_reviewed_at=timezone.now())
    listed = set(Topic.objects.due_for_review().values_list("slug", flat=True))
    flagged = {topic.slug for topic in Topic.objects.all() if topic.is_due_for_review}
    assert listed == flagged == {"old"}


@pytest.mark.parametrize(
    ("sent", "lands"),
    [
        ("/review/due/", "/review/due/"),
        ("foo", "/topics/old/"),  # a word (a view name to redirect()) is not an address
        ("-1", "/topics/old/"),
        ("<>", "/topics/old/"),
        ("//evil.example/", "/topics/old/"),
        ("https://evil.example/", "/topics/old/"),
    ],
)
def test_marking_reviewed_returns_only_to_a_page_of_this_site(sent, lands):
    published_topic(title="Old topic", slug="old")
    response = signed_in(make_editor()).post("/topics/old/reviewed/", {"next": sent})
    assert response.status_code == 302 and response["Location"] == lands


def test_signup_creates_a_stakeholder_with_a_profile_that_editors_verify(client):
    group = StakeholderGroup.objects.get(slug="hardware-vendors")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "grace",
            "email": "grace@example.com",
            "display_name": "Grace H.",
            "affiliation": "ChipCo",
            "group": group.pk,
            "password1": "a-very-long-password-1",
            "password2": "a-very-long-password-1",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user__username="grace")
    assert profile.group == group and not profile.is_verified
    assert profile.user.groups.filter(name="Stakeholders").exists()
    editor_client = signed_in(make_editor())
    assert "Grace H." in editor_client.get("/review/stakeholders/").content.decode()
    editor_client.post("/review/stakeholders/", {"profile": profile.pk})
    profile.refresh_from_db()
    assert profile.is_verified


def test_password_reset_by_email_sets_a_new_password(client):
    import re

    from django.conf import settings

    make_stakeholder()
    form = client.get("/accounts/password_reset/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in form and "Email me a link" in form
    response = client.post("/accounts/password_reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    # The link is built from the configured site address, never the request's Host.
    site = re.escape(settings.KB_SITE_URL)
    link = re.search(site + r"(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    set_form = client.get(link, follow=True)
    assert "Choose a new password" in set_form.content.decode()
    done = client.post(
        set_form.redirect_chain[-1][0],
        {"new_password1": "another-long-password-2", "new_password2": "another-long-password-2"},
    )
    assert done.status_code == 302
    ada = get_user_model().objects.get(username="ada")
    assert ada.check_password("another-long-password-2")
    stale = client.get(link, follow=True).content.decode()
    assert "no longer valid" in stale


def test_admin_moderation_actions_publish_and_log(client):
    topic = published_topic(body="Old.")
    ada = make_stakeholder()
    revision = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "From the admin."),
        message="m",
    )
    admin_client = signed_in(make_maintainer())
    listing = admin_client.get("/admin/topics/revision/?status__exact=pending").content.decode()
    assert "review and compare" in listing
    response = admin_client.post(
        "/admin/topics/revision/",
        {
            "action": "publish_selected",
            "_selected_action": [revision.pk],
            "comment": "ok",
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.body == "From the admin."
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id=str(revision.pk)).exists()


def test_direct_admin_edit_is_kept_as_a_revision(client):
    topic = published_topic(body="Before.")
    admin_client = signed_in(make_maintainer())
    data = admin_topic_form(topic, body="After.")
    response = admin_client.post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.current_revision.body == "After." and topic.revisions.count() == 2


def test_an_admin_save_never_overwrites_a_text_published_after_the_page_was_opened():
    topic = published_topic(body="Line one.\n\nLine two.", summary="Old summary")
    opened = admin_topic_form(topic, body=topic.body, summary="New summary")  # page opened
    # Meanwhile Ada's suggestion is published.
    ada = workflow.suggest_edit(
        author=make_stakeholder("ada"),
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "Old summary", "Line one.\n\nLine two, by Ada."),
        message="Ada",
    )
    workflow.publish_revision(revision=ada, by=make_editor())
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    response = admin_client.post(url, opened)
    assert response.status_code == 200  # the form again, saying why
    page = response.content.decode()
    assert "Another version was published while you were working on this" in page
    topic.refresh_from_db()
    assert topic.body == "Line one.\n\nLine two, by Ada." and topic.summary == "Old summary"
    # What was typed is kept, with Ada's change merged in; saving again keeps both.
    form = response.context["adminform"].form
    assert form["summary"].value() == "New summary"
    assert form["body"].value() == "Line one.\n\nLine two, by Ada."
    assert form["seen"].value() == str(topic.current_revision_id)
    again = resubmitted(opened, form, "body")
    assert admin_client.post(url, again).status_code == 302
    topic.refresh_from_db()
    assert (topic.summary, topic.body) == ("New summary", "Line one.\n\nLine two, by Ada.")


def test_an_admin_edit_overlapping_a_newer_text_shows_both_sides_and_is_not_saved():
    topic = published_topic(body="Line one.")
    opened = admin_topic_form(topic, body="Line one, by the maintainer.")
    publish_body(topic, "Line one, by Ada.", make_editor())
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    response = admin_client.post(url, opened)
    form = response.context["adminform"].form
    assert "<<<<<<< published text\nLine one, by Ada." in form["body"].value()
    again = resubmitted(opened, form, "body")
    refused = admin_client.post(url, again)  # markers are never saved
    assert refused.status_code == 200 and "still holds a conflict" in refused.content.decode()
    topic.refresh_from_db()
    assert topic.body == "Line one, by Ada."


def test_tags_changed_on_both_sides_are_merged_as_sets_never_a_conflict():
    topic = published_topic(body="Text.", tags=["abi", "old"])
    opened = admin_topic_form(topic, body="Text.", tags="abi, mine")  # adds mine, drops old
    publish_body(topic, "Text.", make_editor(), tags="abi, old, theirs")
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    form = admin_client.post(url, opened).context["adminform"].form
    assert form["tags"].value() == "abi, mine, theirs"
    again = resubmitted(opened, form, "tags")
    assert admin_client.post(url, again).status_code == 302
    assert sorted(topic.tags.names()) == ["abi", "mine", "theirs"]


def test_markers_typed_into_the_admins_tags_are_refused():
    topic = published_topic(body="Text.")
    markers = "<<<<<<< published text a ======= b >>>>>>> your text"
    response = signed_in(make_maintainer()).post(
        f"/admin/topics/topic/{topic.pk}/change/", admin_topic_form(topic, tags=markers)
    )
    assert response.status_code == 200 and "still holds a conflict" in response.content.decode()
    assert list(topic.tags.names()) == []


def test_an_admin_edit_keeps_its_last_line_when_a_newer_text_changed_it_elsewhere():
    topic = published_topic(body="A.\n\nB.\n")
    opened = admin_topic_form(topic, body="A, edited.\n\nB.")  # the admin's field strips
    publish_body(topic, "A.\n\nB, changed.\n", make_editor())
    admin_client = signed_in(make_maintainer())
    form = (
        admin_client.post(f"/admin/topics/topic/{topic.pk}/change/", opened)
        .context["adminform"]
        .form
    )
    assert form["body"].value() == "A, edited.\n\nB, changed.\n"  # no conflict at its end


def test_an_admin_save_keeps_an_archive_made_after_the_page_was_opened():
    topic = published_topic(slug="kept", body="Text.")
    opened = admin_topic_form(topic, body="Text, fixed.")  # page opened, a typo fixed
    Topic.objects.filter(pk=topic.pk).update(status=Topic.Status.ARCHIVED)  # meanwhile
    response = signed_in(make_maintainer()).post(f"/admin/topics/topic/{topic.pk}/change/", opened)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.status, topic.body) == (Topic.Status.ARCHIVED, "Text, fixed.")


def test_a_field_changed_on_both_sides_in_the_admin_is_shown_and_saved_only_when_asked():
    topic = published_topic(slug="first-name", body="Text.")
    opened = admin_topic_form(topic, slug="my-name")
    Topic.objects.filter(pk=topic.pk).update(slug="their-name")  # renamed meanwhile
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    response = admin_client.post(url, opened)
    assert response.status_code == 200
    assert "Someone changed this after you opened the page" in response.content.decode()
    form = response.context["adminform"].form
    assert form["slug"].value() == "my-name"  # what was typed is kept
    topic.refresh_from_db()
    assert topic.slug == "their-name"
    again = resubmitted(opened, form)
    assert admin_client.post(url, again).status_code == 302
    topic.refresh_from_db()
    assert topic.slug == "my-name"


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_suggestion_published_on_a_topic_a_maintainer_took_offline_keeps_their_rework(
    client, status
):
    """The maintainer's edits made while it was offline are a revision, so publishing a
    suggestion merges with them; and the topic stays offline until a maintainer says."""
    topic = published_topic(slug="wheels", body="Line one.\n\nLine two.\n")
    ada = make_stakeholder("ada")
    suggested = suggestion(topic, "Line one, by Ada.\n\nLine two.\n", author=ada)
    maintainer = signed_in(make_maintainer())
    rework = admin_topic_form(topic, status=status, body="Line one.\n\nLine two, reworked.\n")
    response = maintainer.post(f"/admin/topics/topic/{topic.pk}/change/", rework)
    assert response.status_code == 302
    assert topic.revisions.filter(body__contains="reworked").exists()  # in the history

    editor = signed_in(make_editor())
    page = editor.get(f"/review/revisions/{suggested.pk}/").content.decode()
    assert "Suggested change" in page and f"This topic is {status}" in page
    assert (
        editor.post(f"/review/revisions/{suggested.pk}/", {"action": "publish"}).status_code == 302
    )
    topic.refresh_from_db()
    assert topic.body.strip() == "Line one, by Ada.\n\nLine two, reworked."
    assert topic.status == status
    assert client.get("/topics/wheels/").status_code == 404  # still offline


def test_a_drafts_text_saved_meanwhile_in_the_admin_is_merged_in_never_overwritten():
    topic = make_topic(slug="draft", status="draft", body="Line one.\n\nLine two.\n")
    opened = admin_topic_form(topic, status="draft", body="Line one, mine.\n\nLine two.")
    # Meanwhile another maintainer saves the draft (a draft's saves make no revision).
    Topic.objects.filter(pk=topic.pk).update(body="Line one.\n\nLine two, theirs.\n")
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    response = admin_client.post(url, opened)
    assert response.status_code == 200
    assert "Someone saved another text of this topic" in response.content.decode()
    topic.refresh_from_db()
    assert topic.body == "Line one.\n\nLine two, theirs.\n"  # nothing was saved over it
    form = response.context["adminform"].form
    assert form["body"].value() == "Line one, mine.\n\nLine two, theirs.\n"
    assert admin_client.post(url, resubmitted(opened, form, "body")).status_code == 302
    topic.refresh_from_db()
    assert topic.body.strip() == "Line one, mine.\n\nLine two, theirs."


def test_an_archived_topics_line_changed_on_both_sides_shows_both_and_is_never_saved_with_markers():
    topic = published_topic(slug="old", body="The line.\n")
    Topic.objects.filter(pk=topic.pk).update(status=Topic.Status.ARCHIVED)
    topic.refresh_from_db()
    opened = admin_topic_form(topic, status="archived", body="The line, mine.")
    Topic.objects.filter(pk=topic.pk).update(body="The line, theirs.\n")  # saved meanwhile
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    response = admin_client.post(url, opened)
    form = response.context["adminform"].form
    body = form["body"].value()
    assert "The line, theirs." in body and "The line, mine." in body and "your text" in body
    assert "1 place changed on both sides" in response.content.decode()
    refused = admin_client.post(url, resubmitted(opened, form, "body"))
    assert "still holds a conflict" in refused.content.decode()
    resolved = resubmitted(opened, form, "body") | {"body": "The line, ours."}
    assert admin_client.post(url, resolved).status_code == 302
    topic.refresh_from_db()
    assert topic.body == "The line, ours."


def test_a_drafts_text_saved_the_same_way_meanwhile_or_left_alone_saves_at_once():
    topic = make_topic(slug="draft", status="draft", body="Text.\n", summary="Old.")
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    same = admin_topic_form(topic, status="draft", summary="Old.", body="Text, fixed.")
    Topic.objects.filter(pk=topic.pk).update(body="Text, fixed.\n")  # the same fix, meanwhile
    assert admin_client.post(url, same).status_code == 302
    topic.refresh_from_db()
    # Only the summary changes here: the text saved meanwhile is merged in, and kept.
    summary_only = admin_topic_form(topic, status="draft", summary="New.", body=topic.body)
    Topic.objects.filter(pk=topic.pk).update(body="Text, fixed again.\n")
    form = admin_client.post(url, summary_only).context["adminform"].form
    assert form["body"].value() == "Text, fixed again.\n" and form["summary"].value() == "New."
    assert admin_client.post(url, resubmitted(summary_only, form, "body")).status_code == 302
    topic.refresh_from_db()
    assert (topic.body.strip(), topic.summary) == ("Text, fixed again.", "New.")


def test_an_order_of_zero_set_meanwhile_survives_a_form_shown_again_for_another_error():
    topic = published_topic(slug="ordered", body="Text.")
    Topic.objects.filter(pk=topic.pk).update(order=5)
    topic.refresh_from_db()
    opened = admin_topic_form(topic, order="5", title="  ")  # an error of its own: no title
    Topic.objects.filter(pk=topic.pk).update(order=0, status=Topic.Status.ARCHIVED)
    response = signed_in(make_maintainer()).post(
        f"/admin/topics/topic/{topic.pk}/change/", {**opened, "status": "archived"}
    )
    form = response.context["adminform"].form
    assert form["order"].value() == "0"  # kept from the other save, not blank
    assert "status" not in form.errors  # the same change on both sides is no conflict


def test_a_pending_suggestion_cannot_be_rewritten_in_the_admin():
    topic = published_topic(body="Base.")
    suggestion = workflow.suggest_edit(
        author=make_stakeholder("ada"),
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Ada's words."),
        message="Ada",
    )
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/revision/{suggestion.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="body"' not in page  # shown, not editable
    response = admin_client.post(url, {"body": "Rewritten by staff.", "title": topic.title})
    assert response.status_code == 403
    assert Revision.objects.get(pk=suggestion.pk).body == "Ada's words."


# --- Who may do what ------------------------------------------------------------

ROLES = ["anonymous", "stakeholder", "editor", "maintainer"]
CELLS = {
    # action: expected status per role, in ROLES order
    "read_draft": [404, 404, 200, 200],
    "suggest_edit": [302, 200, 200, 200],
    "review_queue": [302, 403, 200, 200],
    "review_page": [302, 403, 200, 200],
    "publish": [302, 403, 302, 302],
    "restore": [302, 403, 302, 302],
    "admin": [302, 302, 200, 200],
}


@pytest.fixture
def matrix_data():
    topic = published_topic(slug="matrix", body="Published.")
    old = topic.current_revision
    newer = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=old,
        text=workflow.Text(topic.title, "", "Newer."),
        message="n",
    )
    workflow.publish_revision(revision=newer, by=None)
    pending = workflow.suggest_edit(
        author=None, topic=topic, base=newer, text=workflow.Text(topic.title, "", "P."), message="p"
    )
    draft = make_topic(slug="draft", status=Topic.Status.DRAFT)
    return {"topic": topic, "old": old, "pending": pending, "draft": draft}


def client_for(role: str) -> Client:
    if role == "anonymous":
        return Client()
    user = {"stakeholder": make_stakeholder, "editor": make_editor, "maintainer": make_maintainer}[
        role
    ]()
    return signed_in(user)


def perform(client: Client, action: str, data: dict):
    topic, pending, old = data["topic"], data["pending"], data["old"]
    return {
        "read_draft": lambda: client.get("/topics/draft/"),
        "suggest_edit": lambda: client.get(f"/topics/{topic.slug}/suggest/"),
        "review_queue": lambda: client.get("/review/"),
        "review_page": lambda: client.get(f"/review/revisions/{pending.pk}/"),
        "publish": lambda: client.post(f"/review/revisions/{pending.pk}/", {"action": "publish"}),
        "restore": lambda: client.post(
            f"/topics/{topic.slug}/revisions/{old.pk}/restore/",
            {"reason": "Bring it back", "seen": Topic.objects.get(pk=topic.pk).current_revision_id},
        ),
        "admin": lambda: client.get("/admin/"),
    }[action]()


@pytest.mark.parametrize("action", list(CELLS))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(matrix_data, role, action):
    expected = CELLS[action][ROLES.index(role)]
    response = perform(client_for(role), action, matrix_data)
    assert response.status_code == expected, f"{role} {action}: {response.status_code}"
    if expected == 302 and role == "anonymous":
        assert "login" in response["Location"]


# --- Bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "", "This field is required"),
        ("body", "   \n  ", "cannot be empty"),
        ("body", "x" * 2_000_000, "too long"),
        ("body", "".join("  " * d + "- x\n" for d in range(80)), "nested too deeply"),
        ("title", "bad\x00title", "Null characters are not allowed"),
        ("title", "    ", "This field is required"),
        ("tags", "y" * 120, "is too long"),
        ("message", "", "This field is required"),
    ],
    ids=["empty", "blank", "2mb", "nesting", "nul-title", "space-title", "long-tag", "no-message"],
)
def test_bad_suggestions_get_a_clear_message_and_keep_the_text(field, value, message):
    topic = published_topic()
    client = signed_in(make_stakeholder())
    typed = "My carefully typed paragraph."
    data = edit_form(topic, body=typed)
    data[field] = value
    response = client.post(f"/topics/{topic.slug}/suggest/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    if field != "body":
        assert typed in page
    assert not Revision.objects.filter(status="pending").exists()


def test_missing_csrf_token_is_refused():
    topic = published_topic()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_stakeholder())
    assert client.post(f"/topics/{topic.slug}/suggest/", edit_form(topic)).status_code == 403


def test_reused_publish_form_after_publication_is_a_message_not_a_500():
    topic = published_topic()
    editor_client = signed_in(make_editor())
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Once."),
        message="m",
    )
    assert (
        editor_client.post(f"/review/revisions/{revision.pk}/", {"action": "publish"}).status_code
        == 302
    )
    again = editor_client.post(f"/review/revisions/{revision.pk}/", {"action": "publish"})
    assert again.status_code == 200
    assert "already published" in again.content.decode()
    assert topic.revisions.filter(status="published").count() == 2


def test_forged_revision_ids_are_404_or_a_form_error():
    topic, other = published_topic(), published_topic()
    editor_client = signed_in(make_editor())
    assert editor_client.get("/review/revisions/999999/").status_code == 404
    assert editor_client.get(f"/topics/{topic.slug}/compare/?a=1&b=999999").status_code == 404
    assert editor_client.get(f"/topics/{topic.slug}/compare/?a=x&b=y").status_code == 404
    response = editor_client.post(
        f"/topics/{topic.slug}/revisions/{other.current_revision_id}/restore/"
    )
    assert response.status_code == 404
    stakeholder = signed_in(make_stakeholder())
    response = stakeholder.post(
        f"/topics/{topic.slug}/suggest/", edit_form(topic, base=other.current_revision_id)
    )
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()
    assert stakeholder.get(f"/suggestions/{topic.current_revision_id}/revise/").status_code == 404
    # No version, a zero, or a version nobody published is no starting point either.
    pending = suggestion(topic, "Pending.")
    for forged in ("", "0", str(pending.pk)):
        form = edit_form(topic, body="Kept as typed.", base=forged)
        response = stakeholder.post(f"/topics/{topic.slug}/suggest/", form)
        page = response.content.decode()
        assert response.status_code == 200 and "does not exist" in page, forged
        assert "Kept as typed." in page
    assert topic.revisions.filter(body="Kept as typed.").count() == 0


def test_someone_elses_suggestion_cannot_be_revised():
    topic = published_topic()
    ada, bob = make_stakeholder("ada"), make_stakeholder("bob")
    revision = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Ada's."),
        message="m",
    )
    assert signed_in(bob).get(f"/suggestions/{revision.pk}/revise/").status_code == 404


def test_revising_a_suggestion_never_replaces_the_text_of_a_topic_set_back_to_draft(client):
    """A maintainer unpublishes a topic for a while: a stakeholder's pending suggestion,
    revised meanwhile, stays a suggestion. Only a proposal's own draft follows its revisions."""
    topic = published_topic(title="Wheels", body="Reviewed text.")
    ada = make_stakeholder("ada")
    suggested = suggestion(topic, "Ada's first try.", author=ada)
    topic.status = Topic.Status.DRAFT
    topic.save(update_fields=["status"])
    response = signed_in(ada).post(
        f"/suggestions/{suggested.pk}/revise/",
        {"title": "HIJACKED", "summary": "", "tags": "", "body": "Unreviewed.", "message": "m2"},
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.title, topic.body) == ("Wheels", "Reviewed text.")
    assert topic.revisions.get(status=Revision.Status.PENDING).body == "Unreviewed."
    maintainer = signed_in(make_maintainer())
    form = maintainer.get(f"/admin/topics/topic/{topic.pk}/change/").content.decode()
    assert "Reviewed text." in form and "Unreviewed." not in form

    proposal = workflow.propose_topic(
        author=ada, section=None, text=workflow.Text("RISC-V", "", "First."), message="m"
    )
    signed_in(ada).post(
        f"/suggestions/{proposal.pk}/revise/",
        {"title": "RISC-V", "summary": "", "tags": "", "body": "Second.", "message": "m2"},
    )
    assert Topic.objects.get(title="RISC-V").body == "Second."  # her own draft follows


def test_request_changes_without_a_comment_is_refused_with_a_message():
    topic = published_topic()
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "x"),
        message="m",
    )
    response = signed_in(make_editor()).post(
        f"/review/revisions/{revision.pk}/", {"action": "request_changes", "comment": ""}
    )
    assert response.status_code == 200 and "Say why" in response.content.decode()


# --- Query counts ------------------------------------------------------------------


def add_revisions(topic: Topic, count: int, author) -> None:
    Revision.objects.bulk_create(
        Revision(topic=topic, title=topic.title, body=f"v{n}", author=author, message=f"Edit {n}")
        for n in range(count)
    )


def test_history_query_count_does_not_grow_with_revisions(client):
    topic = published_topic()
    ada = make_stakeholder()
    add_revisions(topic, 3, ada)
    small = count_queries(client, f"/topics/{topic.slug}/history/")
    add_revisions(topic, 150, ada)
    assert count_queries(client, f"/topics/{topic.slug}/history/") == small


def test_review_queue_query_count_does_not_grow_with_items():
    topic = published_topic()
    editor_client = signed_in(make_editor())

    def add(count):
        for n in range(count):
            author = make_stakeholder(f"s{Revision.objects.count()}-{n}")
            workflow.suggest_edit(
                author=author,
                topic=topic,
                base=topic.current_revision,
                text=workflow.Text(topic.title, "", f"x{n}"),
                message=f"m{n}",
            )
            Feedback.objects.create(topic=topic, author=author, body="fb")
            ReferenceSuggestion.objects.create(
                topic=topic, author=author, url=f"https://e.org/{n}", title="t"
            )

    add(2)
    small = count_queries(editor_client, "/review/")
    add(25)
    assert count_queries(editor_client, "/review/") == small


def test_suggestions_are_rate_limited_per_user_with_a_clear_page(one_rate_window):
    topic = published_topic()
    client = signed_in(make_stakeholder())
    for n in range(30):
        response = client.post(f"/topics/{topic.slug}/feedback/", {"body": f"note {n}"})
        assert response.status_code == 302
    refused = client.post(f"/topics/{topic.slug}/feedback/", {"body": "one too many"})
    assert refused.status_code == 429
    assert "too many requests" in refused.content.decode()
    assert Feedback.objects.count() == 30


def test_public_feedback_is_markdown_rendered_and_sanitised(client):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    body = "**Mention conda.**\n\n<script>alert(1)</script><img src=x onerror=alert(1)>"
    signed_in(ada).post(f"/topics/{topic.slug}/feedback/", {"body": body, "wants_public": "on"})
    feedback = Feedback.objects.get()
    signed_in(eddie).post(f"/review/feedback/{feedback.pk}/", {"decision": "accept"})
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "<strong>Mention conda.</strong>" in page
    assert "<script>alert" not in page and "onerror" not in page


# --- Found in review ------------------------------------------------------------------


def test_merge_page_without_a_conflict_sends_the_editor_back_to_the_review():
    topic = published_topic()
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Fresh."),
        message="m",
    )
    proposal = workflow.propose_topic(
        author=None, section=None, text=workflow.Text("New", "", "Body."), message="p"
    )
    editor_client = signed_in(make_editor())
    for pending in (revision, proposal):
        response = editor_client.get(f"/review/revisions/{pending.pk}/merge/")
        assert response.status_code == 302 and response["Location"].endswith(f"/{pending.pk}/")


def test_an_editors_merged_text_is_what_gets_published():
    topic = published_topic(body="Base.")
    eddie = make_editor()
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Suggested."),
        message="m",
    )
    workflow.publish_revision(
        revision=revision,
        by=eddie,
        merged=workflow.Text(topic.title, "", "Edited by the editor."),
        seen=topic.current_revision_id,
    )
    topic.refresh_from_db()
    assert topic.body == "Edited by the editor."
    assert Revision.objects.get(pk=revision.pk).body == "Suggested."


def test_publishing_a_suggestion_does_not_unarchive_a_topic():
    topic = published_topic()
    Topic.objects.filter(pk=topic.pk).update(status=Topic.Status.ARCHIVED)
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Edit."),
        message="m",
    )
    workflow.publish_revision(revision=revision, by=make_editor())
    topic.refresh_from_db()
    assert topic.status == Topic.Status.ARCHIVED


def test_saving_an_unchanged_topic_in_the_admin_adds_no_revision():
    topic = published_topic(tags=["zeta", "alpha"])
    Revision.objects.filter(pk=topic.current_revision_id).update(tags="zeta, alpha")
    topic.refresh_from_db()
    assert workflow.record_direct_edit(topic=topic, by=make_maintainer()) is None
    assert topic.revisions.count() == 1


def test_a_draft_parent_does_not_leak_through_a_published_child(client):
    draft = make_topic(slug="secret-parent", title="Secret parent", status=Topic.Status.DRAFT)
    make_topic(slug="child", title="Child", parent=draft)
    assert "Secret parent" not in client.get("/topics/child/").content.decode()
    assert client.get("/api/topics/child/").json()["parent"] is None
    listed = client.get("/api/topics/").json()["results"]
    assert all(item["parent"] != "secret-parent" for item in listed)


def test_changing_group_after_verification_needs_a_new_verification():
    user = make_stakeholder()
    profile = Profile.objects.get(user=user)
    profile.verified_at = "2026-01-01T00:00:00Z"
    profile.save()
    other = StakeholderGroup.objects.exclude(pk=profile.group_id).first()
    response = signed_in(user).post(
        "/me/profile/", {"display_name": "Ada", "affiliation": "", "group": other.pk}
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.group == other and not profile.is_verified


def test_moving_a_verified_stakeholder_to_another_group_in_the_admin_needs_a_new_verification():
    user = make_stakeholder()
    profile = Profile.objects.get(user=user)
    profile.verified_at = "2026-01-01T00:00:00Z"
    profile.save()
    other = StakeholderGroup.objects.exclude(pk=profile.group_id).first()
    admin_client = signed_in(make_user(username="root", is_staff=True, is_superuser=True))
    response = admin_client.post(
        f"/admin/topics/profile/{profile.pk}/change/",
        {"user": user.pk, "display_name": "Ada", "affiliation": "", "group": other.pk},
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.group == other and not profile.is_verified
    # Keeping the group keeps the verification.
    profile.verified_at = "2026-01-01T00:00:00Z"
    profile.save()
    admin_client.post(
        f"/admin/topics/profile/{profile.pk}/change/",
        {"user": user.pk, "display_name": "Ada L.", "affiliation": "", "group": other.pk},
    )
    profile.refresh_from_db()
    assert profile.display_name == "Ada L." and profile.is_verified


def test_nobody_verifies_themselves_on_the_site_or_in_the_admin():
    editor = make_editor("eddie")
    profile = Profile.objects.get(user=editor)
    client = signed_in(editor)
    response = client.post("/review/stakeholders/", {"profile": profile.pk}, follow=True)
    assert "nobody verifies themselves" in response.content.decode()
    maud = make_maintainer()
    own = Profile.objects.create(user=maud, display_name="Maud")
    signed_in(maud).post(
        "/admin/topics/profile/",
        {"action": "verify_selected", "_selected_action": [own.pk, profile.pk]},
    )
    profile.refresh_from_db()
    own.refresh_from_db()
    assert own.verified_at is None and profile.verified_by == maud  # the other one is verified


def test_verifying_with_a_forged_profile_id_is_a_404():
    editor_client = signed_in(make_editor())
    assert editor_client.post("/review/stakeholders/", {"profile": "abc"}).status_code == 404
    assert editor_client.post("/review/stakeholders/", {"profile": "99999"}).status_code == 404


def test_compare_with_an_enormous_id_is_a_404(client):
    topic = published_topic()
    url = f"/topics/{topic.slug}/compare/?a=1&b=99999999999999999999999"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/search/?q=a%00b", "/foo%00/", "/propose/?section=%00"])
def test_nul_characters_in_addresses_are_a_400_not_a_500(client, url):
    assert client.get(url).status_code == 400


def test_suggest_an_edit_warns_of_suggestions_already_waiting_even_ones_own():
    topic = published_topic()
    ada, bob = make_stakeholder("ada"), make_stakeholder("bob")
    client = signed_in(ada)
    assert "already waiting" not in client.get(f"/topics/{topic.slug}/suggest/").content.decode()
    mine = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Mine."),
        message="My first try",
    )
    workflow.suggest_edit(
        author=bob,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Bob's."),
        message="An idea from Bob",
    )
    page = client.get(f"/topics/{topic.slug}/suggest/").content.decode()
    assert "2 suggestions for this topic are already waiting" in page
    assert "My first try" in page and "An idea from Bob" in page
    assert f"/suggestions/{mine.pk}/revise/" in page


def test_the_verification_page_shows_each_stakeholders_email():
    make_stakeholder("ada")
    page = signed_in(make_editor()).get("/review/stakeholders/").content.decode()
    assert "ada@example.com" in page


def test_the_revision_admin_list_takes_the_same_queries_for_three_suggestions_or_thirty():
    topic = published_topic()
    admin_client = signed_in(make_maintainer())
    counts = []
    for total in (3, 30):
        authors = [make_stakeholder(f"author{total}-{n}") for n in range(total - len(counts) * 3)]
        for author in authors:
            workflow.suggest_edit(
                author=author,
                topic=topic,
                base=topic.current_revision,
                text=workflow.Text(topic.title, "", f"By {author}."),
                message="m",
            )
        counts.append(count_queries(admin_client, "/admin/topics/revision/"))
    assert counts[0] == counts[1], counts


def test_services_check_permissions_themselves_so_no_path_can_bypass_them():
    topic = published_topic()
    ada, bob = make_stakeholder("ada"), make_stakeholder("bob")
    suggestion = workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Mine."),
        message="m",
    )
    refused = [
        lambda: workflow.publish_revision(revision=suggestion, by=bob),
        lambda: workflow.reject_revision(revision=suggestion, by=bob, reason="no"),
        lambda: workflow.request_changes(revision=suggestion, by=bob, comment="more"),
        lambda: workflow.restore_revision(
            revision=topic.current_revision, by=bob, reason="x", seen=topic.current_revision_id
        ),
        lambda: workflow.confirm_reviewed(topic=topic, by=bob),
        lambda: contributions.verify_stakeholder(profile=Profile.objects.get(user=ada), by=bob),
    ]
    for attempt in refused:
        with pytest.raises(workflow.NotAllowed):
            attempt()
    suggestion.refresh_from_db()
    assert suggestion.status == Revision.Status.PENDING
    assert not Profile.objects.get(user=ada).is_verified


def test_text_sent_with_a_browsers_crlf_line_ends_is_stored_with_lf():
    topic = published_topic(slug="lines", body="A.\n\nB.\n")
    data = admin_topic_form(topic, body="A, changed.\r\n\r\nB.\r\n")
    response = signed_in(make_maintainer()).post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert "\r" not in topic.body and topic.body.startswith("A, changed.\n\nB.")
    assert "\r" not in topic.current_revision.body


def test_a_lone_tag_of_two_words_stays_one_tag_through_a_merge_in_the_admin():
    body = "Text.\n\nMore.\n"
    topic = make_topic(slug="draft", status="draft", body=body, tags=["python c", "web"])
    opened = admin_topic_form(
        topic, status="draft", body="Text, mine.\n\nMore.", tags='"python c", web'
    )
    Topic.objects.filter(pk=topic.pk).update(body="Text.\n\nMore, theirs.\n")  # meanwhile...
    topic.tags.set(["python c"])  # ...with "web" removed
    admin_client = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    form = admin_client.post(url, opened).context["adminform"].form
    assert form["tags"].value() == '"python c"'
    assert admin_client.post(url, resubmitted(opened, form, "body", "tags")).status_code == 302
    assert list(topic.tags.names()) == ["python c"]


def test_a_draft_published_meanwhile_is_merged_from_the_text_the_page_was_opened_on():
    topic = make_topic(slug="draft", status="draft", body="One.\n\nTwo.\n\nThree.\n")
    opened = admin_topic_form(topic, status="draft", body="One, mine.\n\nTwo.\n\nThree.")
    # Meanwhile an editor publishes the draft with its last line changed.
    topic.body = "One.\n\nTwo.\n\nThree, theirs.\n"
    topic.status = Topic.Status.PUBLISHED
    topic.save()
    workflow.record_direct_edit(topic=topic, by=make_editor())
    response = signed_in(make_maintainer()).post(f"/admin/topics/topic/{topic.pk}/change/", opened)
    assert "Another version was published while you were working on this" in (
        response.content.decode()
    )
    form = response.context["adminform"].form
    assert form["body"].value() == "One, mine.\n\nTwo.\n\nThree, theirs.\n"  # no conflict


def test_an_admin_save_that_changes_no_words_of_a_crlf_text_makes_no_revision():
    topic = published_topic(slug="old-lines", body="A.\n\nB.\n")
    Topic.objects.filter(pk=topic.pk).update(body="A.\r\n\r\nB.\r\n")  # stored before LF
    topic.current_revision.__class__.objects.filter(pk=topic.current_revision_id).update(
        body="A.\r\n\r\nB.\r\n"
    )
    topic.refresh_from_db()
    data = admin_topic_form(topic, body=topic.body, order="3")  # only moved
    response = signed_in(make_maintainer()).post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code == 302
    assert topic.revisions.count() == 1


def test_an_admin_save_keeps_a_code_block_the_body_starts_with():
    topic = published_topic(slug="code-first", body="    pip install kb\n\nThen run it.\n")
    data = admin_topic_form(topic, body=topic.body, summary="Installing.")
    response = signed_in(make_maintainer()).post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.body == "    pip install kb\n\nThen run it.\n"
    assert "<pre>" in topic.body_html


def test_a_final_newline_a_form_dropped_is_not_a_change_to_merge():
    """Pages opened before the admin kept a body's ends sent it without its last newline:
    that merged as a change to the last line, a conflict with anyone who edited it."""
    opened = workflow.Text("T", "", "First paragraph.\n\nLast paragraph.\n")
    now = workflow.Text("T", "", "First paragraph.\n\nLast paragraph, edited meanwhile.\n")
    typed = workflow.Text("T", "", "First paragraph, edited here.\n\nLast paragraph.")
    merged, conflicts = workflow.merge_saved_meanwhile(opened=opened, now=now, text=typed)
    assert conflicts == 0
    assert merged.body == "First paragraph, edited here.\n\nLast paragraph, edited meanwhile.\n"


def test_a_title_whose_spaces_the_form_collapsed_is_not_a_change_to_merge():
    """An imported title may hold two spaces in a row; the title field makes them one."""
    opened = workflow.Text("Wheels  and  SIMD", "", "Body.\n")
    now = workflow.Text("Wheels and SIMD support", "", "Body.\n")
    typed = workflow.Text("Wheels and SIMD", "", "Body, edited.\n")
    merged, conflicts = workflow.merge_saved_meanwhile(opened=opened, now=now, text=typed)
    assert conflicts == 0
    assert (merged.title, merged.body) == ("Wheels and SIMD support", "Body, edited.\n")


def test_the_admin_refuses_a_topic_under_itself_or_its_own_sub_page_with_a_message():
    parent = published_topic(slug="native-dependencies")
    child = published_topic(slug="blas-openmp", parent=parent)
    grandchild = published_topic(slug="blas-detail", parent=child)
    maintainer = signed_in(make_maintainer())
    for under in (parent, child, grandchild):  # itself was a 500 (a CHECK constraint)
        form = admin_topic_form(parent, body=parent.body, parent=str(under.pk))
        response = maintainer.post(f"/admin/topics/topic/{parent.pk}/change/", form)
        assert response.status_code == 200, under.slug
        assert "cannot be placed under itself or one of its sub-pages" in response.content.decode()
    parent.refresh_from_db()
    assert parent.parent is None
    other = published_topic(slug="gpus")
    form = admin_topic_form(grandchild, body=grandchild.body, parent=str(other.pk))
    response = maintainer.post(f"/admin/topics/topic/{grandchild.pk}/change/", form)
    assert response.status_code == 302  # a real move is still a move


def test_a_published_revision_cannot_be_deleted_in_the_admin_but_a_spam_suggestion_can():
    topic = published_topic(body="Readers' text.")
    current = topic.current_revision
    spam = suggestion(topic, "Buy now.", author=make_stakeholder(), message="spam")
    admin = signed_in(make_maintainer())
    assert (
        admin.post(f"/admin/topics/revision/{current.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = admin.post(
        "/admin/topics/revision/",
        {"action": "delete_selected", "_selected_action": [str(current.pk)], "post": "yes"},
    )
    assert response.status_code in {200, 403}
    topic.refresh_from_db()
    assert topic.current_revision == current  # the text readers see is still in the history
    response = admin.post(f"/admin/topics/revision/{spam.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Revision.objects.filter(pk=spam.pk).exists()
