"""Everyone is told what concerns them, as often as they chose, with links to the real site."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from tests.factories import (
    admin_topic_form,
    make_editor,
    make_maintainer,
    make_section,
    make_stakeholder,
    published_topic,
    signed_in,
)
from topics.models import (
    EmailPreference,
    Feedback,
    Notification,
    Profile,
    ReferenceSuggestion,
    ReviewEvent,
    StakeholderGroup,
    TopicFollow,
)
from topics.services import contributions, workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit email callbacks of the block, then return the emails sent in it."""

    class Outbox:
        def __enter__(self):
            mail.outbox.clear()
            self._capture = django_capture_on_commit_callbacks(execute=True)
            self._capture.__enter__()
            return mail.outbox

        def __exit__(self, *exc):
            return self._capture.__exit__(*exc)

    return Outbox


def recipients(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


def prefer(user, frequency: str) -> None:
    EmailPreference.objects.update_or_create(user=user, defaults={"frequency": frequency})


# --- Editors hear of new input ------------------------------------------------------------


def test_editors_are_emailed_about_a_new_suggestion_with_a_link_to_review_it(sent, settings):
    settings.KB_SITE_URL = "https://kb.example.org"
    topic = published_topic(title="ABI")
    eddie, maud, ada = make_editor("eddie"), make_maintainer("maud"), make_stakeholder("ada")
    with sent() as outbox:
        revision = workflow.suggest_edit(
            author=ada,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text("ABI", "", "Better."),
            message="Clarify the ABI",
        )
    assert recipients(outbox) == sorted([eddie.email, maud.email])
    body = outbox[0].body
    assert "Clarify the ABI" in body
    assert f"https://kb.example.org/review/revisions/{revision.pk}/" in body


def test_editors_are_emailed_about_a_proposal_feedback_and_a_suggested_reference(sent):
    topic = published_topic()
    eddie, ada = make_editor(), make_stakeholder()
    with sent() as outbox:
        workflow.propose_topic(
            author=ada,
            section=make_section(),
            text=workflow.Text("New idea", "", "Body."),
            message="A gap",
        )
        contributions.give_feedback(author=ada, topic=topic, body="Typo.", wants_public=False)
        contributions.suggest_reference(
            author=ada,
            topic=topic,
            url="https://peps.python.org/pep-0517/",
            title="PEP 517",
            kind="pep",
        )
    assert [message.to for message in outbox] == [[eddie.email]] * 3
    subjects = " | ".join(message.subject for message in outbox)
    assert "proposed" in subjects and "feedback" in subjects and "reference" in subjects


def test_editors_who_verify_are_emailed_when_someone_signs_up(sent):
    eddie = make_editor()
    group = StakeholderGroup.objects.first()
    with sent() as outbox:
        response = Client().post(
            "/accounts/signup/",
            {
                "username": "newcomer",
                "email": "new@example.com",
                "display_name": "Nia Newcomer",
                "affiliation": "Example",
                "group": group.pk,
                "password1": "a-long-test-password",
                "password2": "a-long-test-password",
            },
        )
    assert response.status_code == 302
    assert [message.to for message in outbox] == [[eddie.email]]
    assert "Nia Newcomer" in outbox[0].body and "new@example.com" in outbox[0].body


# --- Authors hear of every decision ---------------------------------------------------------


def test_feedback_decisions_are_recorded_and_its_author_is_told(sent):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    feedback = contributions.give_feedback(author=ada, topic=topic, body="Hm.", wants_public=True)
    with sent() as outbox:
        contributions.review_feedback(feedback=feedback, by=eddie, accept=False, answer="Vague.")
    assert [message.to for message in outbox] == [[ada.email]]
    assert "declined" in outbox[0].subject and "Vague." in outbox[0].body
    event = ReviewEvent.objects.get(feedback=feedback)
    assert (event.action, event.actor, event.comment) == ("declined", eddie, "Vague.")
    assert Feedback.objects.get(pk=feedback.pk).status == "declined"


def test_reference_decisions_are_recorded_and_the_author_is_told(sent):
    topic = published_topic()
    ada, eddie = make_stakeholder(), make_editor()
    suggestion = contributions.suggest_reference(
        author=ada, topic=topic, url="https://example.org/paper", title="A paper", kind="paper"
    )
    with sent() as outbox:
        contributions.review_reference_suggestion(suggestion=suggestion, by=eddie, accept=True)
    assert [message.to for message in outbox] == [[ada.email]]
    assert "accepted" in outbox[0].subject
    assert ReviewEvent.objects.get(reference_suggestion=suggestion).action == "accepted"
    assert ReferenceSuggestion.objects.get(pk=suggestion.pk).status == "accepted"


def test_a_stakeholder_is_emailed_once_when_verified(sent):
    ada, eddie = make_stakeholder(), make_editor()
    profile = Profile.objects.get(user=ada)
    with sent() as outbox:
        contributions.verify_stakeholder(profile=profile, by=eddie)
        contributions.verify_stakeholder(profile=profile, by=eddie)
    assert [message.to for message in outbox] == [[ada.email]]
    assert "verified" in outbox[0].subject


# --- Followers hear of every published change ------------------------------------------------


def test_followers_are_emailed_about_an_admin_edit_with_a_link_to_the_diff(sent):
    topic = published_topic(body="Before.")
    ada = make_stakeholder()
    TopicFollow.objects.create(user=ada, topic=topic)
    maud = make_maintainer()
    data = admin_topic_form(topic, body="After.")
    with sent() as outbox:
        response = signed_in(maud).post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code == 302
    assert [message.to for message in outbox] == [[ada.email]]
    topic.refresh_from_db()
    first = topic.revisions.order_by("created_at", "pk").first()
    diff_link = f"/topics/{topic.slug}/compare/?a={first.pk}&b={topic.current_revision_id}"
    assert diff_link in outbox[0].body


# --- Each person chooses how often -------------------------------------------------------------


def test_a_daily_digest_gathers_the_days_emails_into_one(sent):
    topic = published_topic()
    eddie, ada = make_editor(), make_stakeholder()
    prefer(eddie, "daily")
    with sent() as outbox:
        contributions.give_feedback(author=ada, topic=topic, body="One.", wants_public=False)
        contributions.give_feedback(author=ada, topic=topic, body="Two.", wants_public=False)
    assert outbox == []
    assert Notification.objects.filter(user=eddie, sent_at=None).count() == 2

    output = StringIO()
    call_command("send_digests", stdout=output)
    assert "1 digest sent." in output.getvalue()
    assert [message.to for message in mail.outbox] == [[eddie.email]]
    assert "2 updates" in mail.outbox[0].subject
    assert "One." in mail.outbox[0].body and "Two." in mail.outbox[0].body
    mail.outbox.clear()
    call_command("send_digests", stdout=StringIO())
    assert mail.outbox == []  # nothing is sent twice


def test_someone_who_chose_never_gets_no_email(sent):
    topic = published_topic()
    eddie, ada = make_editor(), make_stakeholder()
    prefer(eddie, "none")
    with sent() as outbox:
        contributions.give_feedback(author=ada, topic=topic, body="Hm.", wants_public=False)
    assert outbox == [] and not Notification.objects.exists()


def test_the_following_page_lists_follows_unfollows_in_one_click_and_saves_the_choice():
    topic, other = published_topic(title="ABI"), published_topic(title="GPUs")
    ada = make_stakeholder()
    for followed in (topic, other):
        TopicFollow.objects.create(user=ada, topic=followed)
    client = signed_in(ada)
    page = client.get("/me/following/").content.decode()
    assert "ABI" in page and "GPUs" in page and 'value="immediate"' in page
    response = client.post(f"/topics/{topic.slug}/follow/", {"follow": "0", "next": "following"})
    assert response.status_code == 302 and response["Location"] == "/me/following/"
    assert list(TopicFollow.objects.filter(user=ada).values_list("topic__title", flat=True)) == [
        "GPUs"
    ]
    response = client.post("/me/following/", {"frequency": "daily"})
    assert response.status_code == 302
    assert EmailPreference.objects.get(user=ada).frequency == "daily"
    assert client.post("/me/following/", {"frequency": "hourly"}).status_code == 200
    assert EmailPreference.objects.get(user=ada).frequency == "daily"


def test_a_digest_leaves_out_private_input_for_someone_no_longer_an_editor(sent):
    from django.contrib.auth.models import Group

    topic = published_topic()
    eddie, ada = make_editor(), make_stakeholder()
    prefer(eddie, "daily")
    TopicFollow.objects.create(user=eddie, topic=topic)
    with sent():
        contributions.give_feedback(
            author=ada, topic=topic, body="Private words.", wants_public=False
        )
    eddie.groups.remove(Group.objects.get(name="Editors"))  # no longer an editor
    with sent():
        workflow.publish_revision(
            revision=workflow.suggest_edit(
                author=ada,
                topic=topic,
                base=topic.current_revision,
                text=workflow.Text(topic.title, "", "New text."),
                message="A change",
            ),
            by=make_editor("maria"),
        )
    mail.outbox.clear()
    call_command("send_digests", stdout=StringIO())
    assert [message.to for message in mail.outbox] == [[eddie.email]]
    digest = mail.outbox[0]
    assert "Private words." not in digest.body and "feedback" not in digest.subject.lower()
    assert "A change" in digest.body  # what a follower may read still comes
    assert not Notification.objects.filter(sent_at=None).exists()


def test_followers_of_an_archived_topic_hear_nothing_and_can_still_unfollow_it(sent):
    from topics.models import Topic

    topic = published_topic(title="Old ABI notes")
    ada = make_stakeholder()
    TopicFollow.objects.create(user=ada, topic=topic)
    suggestion = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "Edited while archived."),
        message="m",
    )
    Topic.objects.filter(pk=topic.pk).update(status=Topic.Status.ARCHIVED)
    with sent() as outbox:
        workflow.publish_revision(revision=suggestion, by=make_editor())
    assert outbox == []
    client = signed_in(ada)
    page = client.get("/me/following/").content.decode()
    assert "Old ABI notes" in page and "no longer published" in page
    assert f'href="/topics/{topic.slug}/"' not in page
    response = client.post(f"/topics/{topic.slug}/follow/", {"follow": "0", "next": "following"})
    assert response.status_code == 302 and not TopicFollow.objects.filter(user=ada).exists()
    # Following it again is not possible, and nobody can unfollow what they do not follow.
    assert client.post(f"/topics/{topic.slug}/follow/", {"follow": "1"}).status_code == 404
    assert client.post(f"/topics/{topic.slug}/follow/", {"follow": "0"}).status_code == 404
