"""Every write readers could see moves the content version (the page cache's key).

Saves and deletes do through model signals; bulk writes (update(),
bulk_create()) do through ContentQuerySet, so no service has to remember
to. Each service below is one a reader would notice.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import (
    add_ballots,
    make_editor,
    make_maintainer,
    make_round,
    make_stakeholder,
    make_topic,
    published_topic,
    verified,
)
from topics.importers.ballots import import_ballots
from topics.models import Citation, Profile, Reference, Topic
from topics.page_cache import current_version
from topics.services import contributions, voting, workflow

pytestmark = pytest.mark.django_db


def _publish(data):
    suggestion = workflow.suggest_edit(
        author=data["ada"],
        topic=data["topic"],
        base=data["topic"].current_revision,
        text=workflow.Text("ABI", "", "New."),
        message="m",
    )
    workflow.publish_revision(revision=suggestion, by=data["eddie"])


SERVICES = {
    "publish": _publish,
    "restore": lambda d: workflow.restore_revision(
        revision=d["old"], by=d["eddie"], reason="back", seen=d["topic"].current_revision_id
    ),
    "confirm reviewed": lambda d: workflow.confirm_reviewed(topic=d["topic"], by=d["eddie"]),
    "accept feedback": lambda d: contributions.review_feedback(
        feedback=contributions.give_feedback(
            author=d["ada"], topic=d["topic"], body="x", wants_public=True
        ),
        by=d["eddie"],
        accept=True,
    ),
    "accept a reference": lambda d: contributions.review_reference_suggestion(
        suggestion=contributions.suggest_reference(
            author=d["ada"], topic=d["topic"], url="https://example.org/p", title="P", kind="paper"
        ),
        by=d["eddie"],
        accept=True,
    ),
    "verify": lambda d: contributions.verify_stakeholder(
        profile=Profile.objects.get(user=d["ada"]), by=d["eddie"]
    ),
    "cast a ballot": lambda d: voting.cast_ballot(
        round_=d["round"], voter=d["voter"], groups=[[d["topic"].pk]]
    ),
    "close a round": lambda d: voting.close_round_now(round_=d["round"], by=d["maud"]),
    "import ballots": lambda d: import_ballots(
        text="voter,group,ranking\nv,g,abi\n",
        round_slug="survey",
        opened=datetime(2022, 1, 1, tzinfo=UTC),
        closed=datetime(2022, 2, 1, tzinfo=UTC),
    ),
    "fill a closed round": lambda d: add_ballots(d["closed"], [[[d["topic"].pk]]]),
}


@pytest.fixture
def data():
    topic = published_topic(slug="abi", title="ABI")
    old = topic.current_revision
    eddie = make_editor()
    workflow.publish_revision(
        revision=workflow.suggest_edit(
            author=eddie,
            topic=topic,
            base=old,
            text=workflow.Text("ABI", "", "Second."),
            message="m",
        ),
        by=eddie,
    )
    topic.refresh_from_db()
    return {
        "topic": topic,
        "old": old,
        "eddie": eddie,
        "maud": make_maintainer(),
        "ada": make_stakeholder("ada"),
        "voter": verified("vera"),
        "round": make_round(slug="open", slugs=("abi", "x")),
        "closed": make_round(slug="closed", slugs=("abi", "y"), state="closed"),
    }


@pytest.mark.parametrize("service", SERVICES.values(), ids=SERVICES.keys())
def test_every_service_readers_notice_moves_the_content_version(data, service):
    before = current_version()
    service(data)
    assert current_version() > before


def test_bulk_writes_move_the_content_version_without_anyone_remembering():
    topic = make_topic()
    before = current_version()
    Topic.objects.filter(pk=topic.pk).update(summary="Changed in bulk")
    assert current_version() > before
    before = current_version()
    reference = Reference.objects.bulk_create([Reference(url="https://e.org/x", title="X")])[0]
    assert current_version() > before
    before = current_version()
    Citation.objects.bulk_create([Citation(topic=topic, reference=reference)])
    assert current_version() > before
    before = current_version()
    Topic.objects.filter(pk=-1).update(summary="nothing")  # no row changed, no new version
    assert current_version() == before
