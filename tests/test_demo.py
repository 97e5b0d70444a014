"""Demo content: marked as demo, votable, removable, and never mixed into real content."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests.factories import add_ballots, make_round, make_section, make_topic, verified
from topics.demo.content import DEMO_ACCOUNTS, DEMO_PASSWORD, SECTIONS
from topics.models import Ballot, Profile, Reference, Revision, Round, Section, Tag, Topic
from topics.services import voting

pytestmark = pytest.mark.django_db

DEMO_TOPICS = [item["slug"] for section in SECTIONS for item in section["topics"]]
KEY_ISSUES = "/sections/demo-key-issues/"


@pytest.fixture
def demo(settings):
    """What `make run` loads: the demo content with its accounts (DEBUG is on there)."""
    settings.DEBUG = True
    call_command("load_demo", "--accounts", stdout=StringIO())


def small_site(tmp_path):
    """A MkDocs project of two pages, as an import's input."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: Real\nnav:\n  - Home: index.md\n  - a.md\n")
    (tmp_path / "docs" / "index.md").write_text("# Welcome\n\nThe real site.\n")
    (tmp_path / "docs" / "a.md").write_text("# A real page\n\nText.\n")
    return tmp_path


def sign_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, "the documented demo password signs in"
    return client


# --- Marked as demo ---------------------------------------------------------------------


def test_everything_load_demo_writes_is_marked_as_demo_in_the_database(demo):
    assert Section.objects.filter(is_demo=False).count() == 0
    assert set(Topic.objects.values_list("slug", flat=True)) == set(DEMO_TOPICS)
    assert not Topic.objects.filter(is_demo=False).exists()
    assert set(Round.objects.values_list("is_demo", flat=True)) == {True}
    demo_accounts = set(
        Profile.objects.filter(is_demo=True).values_list("user__username", flat=True)
    )
    assert demo_accounts == {account["username"] for account in DEMO_ACCOUNTS}


def test_readers_see_demo_labels_on_sections_topics_and_rounds(demo, client):
    home = client.get("/").content.decode()
    assert "Key issues (demo)" in home and "Getting started (demo)" in home
    section = client.get(KEY_ISSUES).content.decode()
    assert '<span class="status status-demo">Demo</span>' in section
    topic = client.get("/topics/what-a-wheel-is/").content.decode()
    assert "Demo content" in topic and "remove_demo" in topic
    assert 'href="/tags/demo/"' in topic
    rounds = client.get("/rounds/").content.decode()
    assert rounds.count('<span class="status status-demo">Demo</span>') == 2
    assert "Demo: which key issue matters most?" in rounds and "Demo: rank the key issues" in rounds


def test_demo_accounts_are_named_as_demo_and_verified(demo):
    for account in DEMO_ACCOUNTS:
        user = get_user_model().objects.get(username=account["username"])
        assert user.username.startswith("demo-")
        assert "demo" in user.profile.display_name
        assert user.profile.is_verified
        assert user.check_password(DEMO_PASSWORD)


def test_load_demo_twice_adds_nothing_the_second_time(demo):
    counts = (Topic.objects.count(), Round.objects.count(), Ballot.objects.count())
    out = StringIO()
    call_command("load_demo", "--accounts", stdout=out)
    assert "nothing new" in out.getvalue()
    assert (Topic.objects.count(), Round.objects.count(), Ballot.objects.count()) == counts


def test_demo_accounts_and_admin_are_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", "--accounts", stdout=StringIO())
    assert not get_user_model().objects.exists()
    assert not Topic.objects.exists(), "nothing half-loaded"


def test_load_demo_without_accounts_creates_no_account(settings):
    settings.DEBUG = False
    call_command("load_demo", stdout=StringIO())
    assert Topic.objects.filter(is_demo=True).exists()
    assert not get_user_model().objects.exists()


# --- One open round to vote in, one closed round with results ---------------------------


def test_a_newcomer_signs_in_as_a_demo_stakeholder_and_votes_in_the_open_round(demo):
    (open_round,) = [r for r in Round.objects.all() if r.state == Round.State.OPEN]
    alice = sign_in("demo-alice", DEMO_PASSWORD)
    page = alice.get(open_round.get_absolute_url()).content.decode()
    assert "Cast my ballot" in page and "demo-alice" in page  # the description names the accounts
    ids = dict(open_round.candidates.values_list("slug", "pk"))
    ranks = {f"rank-{ids['declaring-non-python-dependencies']}": 1}
    response = alice.post(open_round.get_absolute_url(), ranks, follow=True)
    assert "Your receipt" in response.content.decode()
    results = Client().get(f"/rounds/{open_round.slug}/results/").content.decode()
    assert "Partial results appear once 3 ballots have been cast" in results  # secrecy
    for name in ("demo-bob", "demo-chen"):
        sign_in(name, DEMO_PASSWORD).post(open_round.get_absolute_url(), ranks)
    results = Client().get(f"/rounds/{open_round.slug}/results/").content.decode()
    assert "3 ballots," in results and "these results are partial" in results


def test_the_closed_demo_round_shows_results_and_orders_the_demo_key_issues(demo, client):
    (closed,) = [r for r in Round.objects.all() if r.is_closed]
    results = client.get(f"/rounds/{closed.slug}/results/").content.decode()
    assert "14 ballots," in results
    section = client.get(KEY_ISSUES).content.decode()
    # Written in the order shipping, declaring, testing; the demo vote put testing first.
    assert (
        section.index("Testing wheels on every platform")
        < section.index("Shipping compiled extensions")
        < section.index("Declaring non-Python dependencies")
    )
    assert '<span class="number">1.</span> Testing wheels on every platform' in section


# --- Removing it -------------------------------------------------------------------------


def test_remove_demo_deletes_every_demo_page_round_ballot_and_account(demo, client):
    out = StringIO()
    call_command("remove_demo", stdout=out, stderr=StringIO())
    assert "Removed the demo content" in out.getvalue()
    for slug in DEMO_TOPICS:
        assert client.get(f"/topics/{slug}/").status_code == 404
    assert client.get(KEY_ISSUES).status_code == 404
    assert "No voting rounds yet." in client.get("/rounds/").content.decode()
    assert not Ballot.objects.exists() and not Revision.objects.exists()
    assert not Profile.objects.filter(is_demo=True).exists()
    assert not Tag.objects.filter(name="demo").exists()
    failed = Client().post("/accounts/login/", {"username": "demo-alice", "password": "demo"})
    assert failed.status_code == 200, "the demo account is gone"
    assert get_user_model().objects.filter(username="admin").exists(), "the dev account stays"


def test_remove_demo_keeps_real_content_and_the_references_it_shares(demo, client):
    real = make_section(title="Real section", slug="real")
    page = make_topic(
        slug="real-page", section=real, body="See [PEP 517](https://peps.python.org/pep-0517/)."
    )
    real_round = make_round(state="closed", slug="real-vote", slugs=("x", "y"))
    add_ballots(real_round, [[[real_round.candidates.first().pk]]])
    call_command("remove_demo", stdout=StringIO())
    assert client.get("/topics/real-page/").status_code == 200
    assert client.get("/sections/real/").status_code == 200
    assert Round.objects.get().slug == "real-vote" and Ballot.objects.count() == 1
    # The demo cites PEP 517 too; only the references nothing else cites went with it.
    assert page.references.filter(url__contains="pep-0517").exists()
    assert not Reference.objects.filter(url__contains="cibuildwheel").exists()


def test_remove_demo_keeps_a_demo_topic_a_real_closed_round_ranked_and_says_so(demo):
    demo_topic = Topic.objects.filter(is_demo=True).order_by("pk").first()
    real_round = make_round(state="closed", slug="real-vote", slugs=(demo_topic.slug, "y"))
    err = StringIO()
    call_command("remove_demo", stdout=StringIO(), stderr=err)
    assert f"kept: topic '{demo_topic.slug}' is a candidate of the closed round" in err.getvalue()
    assert set(real_round.candidates.values_list("slug", flat=True)) == {demo_topic.slug, "y"}
    assert Topic.objects.filter(is_demo=True).count() == 1  # the rest is gone


def test_a_demo_account_cannot_vote_in_a_real_round_and_removal_keeps_real_ballots(demo):
    real_round = make_round(slug="real-open", slugs=("x", "y"))
    alice = get_user_model().objects.get(username="demo-alice")
    with pytest.raises(voting.NotEligible, match="demo rounds"):
        voting.cast_ballot(
            round_=real_round, voter=alice, groups=[[real_round.candidates.first().pk]]
        )
    voting.cast_ballot(
        round_=real_round, voter=verified(), groups=[[real_round.candidates.last().pk]]
    )
    call_command("remove_demo", stdout=StringIO())
    assert real_round.ballots.count() == 1


def test_removing_demo_content_twice_says_there_is_none(client):
    out = StringIO()
    call_command("remove_demo", stdout=out)
    assert "No demo content to remove." in out.getvalue()


@pytest.mark.postgres
def test_a_closed_demo_rounds_ballots_are_final_except_through_remove_demo(demo):
    (closed,) = [r for r in Round.objects.filter(is_demo=True) if r.is_closed]
    with (
        pytest.raises(DatabaseError, match="closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM topics_ballot WHERE round_id = %s", [closed.pk])
    assert closed.ballots.count() == 14
    call_command("remove_demo", stdout=StringIO())
    assert not Ballot.objects.exists() and not Round.objects.exists()


def test_older_unmarked_demo_content_is_marked_by_the_migration(settings):
    """Databases from before 0014 hold the older demo: its five topics, three sections, a round."""
    settings.DEBUG = False
    call_command("load_demo", stdout=StringIO())
    # The older demo had no such topic (nor had its round): the row goes first, as a
    # closed round's candidate cannot be deleted.
    newer = Topic.objects.filter(slug="testing-wheels-on-every-platform")
    Round.candidates.through.objects.filter(topic__in=newer).delete()
    newer.delete()
    for section in Section.objects.all():
        Section.objects.filter(pk=section.pk).update(slug=section.slug.removeprefix("demo-"))
    for model in (Topic, Section, Round):
        model.objects.update(is_demo=False)
    Round.objects.filter(slug="demo-open-vote").delete()
    # An import mixed into the older demo's background section.
    real = make_topic(slug="real-page", section=Section.objects.get(slug="background"))
    migration = importlib.import_module("topics.migrations.0014_demo_content")
    migration.mark_old_demo_content(apps, None)
    marked = set(Topic.objects.filter(is_demo=True).values_list("slug", flat=True))
    assert marked == set(DEMO_TOPICS) - {"testing-wheels-on-every-platform"}
    assert not Topic.objects.get(pk=real.pk).is_demo
    marked = set(Section.objects.filter(is_demo=True).values_list("slug", flat=True))
    assert marked == {"getting-started", "key-issues"}, "background holds a real page: unmarked"
    assert Round.objects.get(slug="demo-priorities").is_demo


# --- Imports keep apart from it ------------------------------------------------------------


def test_import_into_a_database_with_demo_content_is_refused_without_force(demo, tmp_path):
    site = small_site(tmp_path)
    with pytest.raises(CommandError, match="demo content") as refused:
        call_command("import_mkdocs", str(site), stdout=StringIO())
    assert "remove_demo" in str(refused.value) and "--force" in str(refused.value)
    assert not Topic.objects.filter(is_demo=False).exists()


def test_import_with_force_warns_and_keeps_demo_and_real_content_apart(demo, tmp_path, client):
    err = StringIO()
    call_command(
        "import_mkdocs", str(small_site(tmp_path)), "--force", stdout=StringIO(), stderr=err
    )
    assert "warning: This database holds demo content" in err.getvalue()
    assert Topic.objects.filter(is_demo=False).count() == 2
    assert not Section.objects.filter(is_demo=True, topics__is_demo=False).exists()
    call_command("remove_demo", stdout=StringIO())
    assert client.get("/topics/a/").status_code == 200


def test_import_after_remove_demo_needs_no_force(demo, tmp_path):
    call_command("remove_demo", stdout=StringIO())
    call_command("import_mkdocs", str(small_site(tmp_path)), stdout=StringIO())
    assert Topic.objects.count() == 2


def test_a_demo_round_never_orders_an_imported_section(demo, client):
    section = make_section(title="Key issues", slug="key-issues", numbered=True)
    topics = [
        make_topic(slug=s, title=f"Issue {s}", section=section, order=n)
        for n, s in enumerate(("abi", "gpus", "simd"), start=1)
    ]
    demo_vote = make_round(state="closed", slug="demo-over-real", slugs=(), is_demo=True)
    demo_vote.candidates.set(topics)
    add_ballots(demo_vote, [[[topics[2].pk], [topics[1].pk], [topics[0].pk]]] * 3)
    page = client.get("/sections/key-issues/").content.decode()
    assert page.index("Issue abi") < page.index("Issue gpus") < page.index("Issue simd")
    # A maintainer picking it by hand does not change that either.
    Section.objects.filter(pk=section.pk).update(ranking_round=demo_vote)
    page = client.get("/sections/key-issues/").content.decode()
    assert page.index("Issue abi") < page.index("Issue gpus") < page.index("Issue simd")
    # The same ballots in a real round do order it.
    Section.objects.filter(pk=section.pk).update(ranking_round=None)
    real_vote = make_round(state="closed", slug="real-vote", slugs=())
    real_vote.candidates.set(topics)
    add_ballots(real_vote, [[[topics[2].pk], [topics[1].pk], [topics[0].pk]]] * 3)
    page = client.get("/sections/key-issues/").content.decode()
    assert page.index("Issue simd") < page.index("Issue gpus") < page.index("Issue abi")
