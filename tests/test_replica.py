"""Anonymous readers read the replica; writers read their own writes (kb/db_router.py).

Against a real primary and streaming replica (scripts/postgres_pair.sh) and gunicorn;
replay on the replica is paused to hold it behind the primary.
"""

from __future__ import annotations

import time

import pytest

from tests.postgres_pair import running_site
from tests.servers import publish_script

TOPIC = "/topics/how-topics-are-curated/"


@pytest.fixture(scope="module")
def site():
    with running_site() as site:
        yield site


def publish(site, sentence: str) -> None:
    """An editor publishes a new revision of TOPIC on the primary."""
    code = publish_script(TOPIC.split("/")[2], sentence, editor="pair-editor")
    site.manage("shell", "-c", code)


def eventually(check, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def paused(site):
    """Replay paused on the replica: it stays behind the primary until the test ends."""
    site.wait_replica_caught_up()
    site.replica_sql("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        site.replica_sql("SELECT pg_wal_replay_resume()")
        site.wait_replica_caught_up()


def test_anonymous_readers_read_the_replica_and_a_writer_reads_the_primary(site, paused):
    assert site.get(TOPIC).status == 200
    publish(site, "Published while the replica waits.")
    # A fresh copy is asked for, so neither cache layer answers: the page is read again.
    anonymous = site.get(TOPIC, Cache_Control="no-cache")
    assert anonymous.status == 200
    assert "Published while the replica waits." not in anonymous.body
    # A client who has just posted (here a sign-in that failed) is pinned to the primary.
    refused = site.sign_in("pair-reader", password="not-the-password")
    assert refused["status"] == "200" and "kb_primary" in refused
    pinned = site.get(TOPIC, cookies={"kb_primary": refused["kb_primary"]})
    assert "Published while the replica waits." in pinned.body
    # Replay resumes: anonymous readers see the new text.
    site.replica_sql("SELECT pg_wal_replay_resume()")
    assert eventually(lambda: "Published while the replica waits." in site.get(TOPIC).body)


def test_a_user_who_just_signed_in_is_signed_in_while_the_replica_lags(site, paused):
    cookies = site.sign_in("pair-reader")
    assert cookies["status"] == "302" and "sessionid" in cookies
    # The session row exists only on the primary; the next pages find it.
    account = site.get("/me/", cookies=cookies)
    assert account.status == 200 and "Sign out" in account.body
    publish(site, "Seen at once by the signed-in.")
    page = site.get(TOPIC, cookies=cookies)
    assert page.status == 200 and "Seen at once by the signed-in." in page.body


def test_a_page_published_a_moment_ago_is_not_a_404_while_the_replica_lags(site, paused):
    code = (
        "from django.contrib.auth.models import User;"
        "from topics.models import Section, Topic;"
        "from topics.services import workflow;"
        "section = Topic.objects.get(slug='how-topics-are-curated').section;"
        "edit = workflow.propose_topic(author=None, section=section,"
        " text=workflow.Text('Brand new', 'A summary', 'A body.'), message='m');"
        "workflow.publish_revision(revision=edit, by=User.objects.get(username='pair-editor'))"
    )
    site.manage("shell", "-c", code)
    page = site.get("/topics/brand-new/", Cache_Control="no-cache")
    assert page.status == 200 and "A body." in page.body


def test_with_the_replica_stopped_readers_are_served_from_the_primary(site):
    publish(site, "Written before the replica stops.")
    site.pair("stop-replica")
    try:
        for _ in range(4):
            page = site.get(TOPIC, Cache_Control="no-cache")
            assert page.status == 200 and "Written before the replica stops." in page.body
        ready = site.get("/readyz")
        assert ready.status == 200 and '"replica": "unavailable"' in ready.body
    finally:
        site.start_pair()
    assert eventually(lambda: '"replica": "ok"' in site.get("/readyz").body)
