"""Voting rounds: ballots, results, import and export, and the site following the ranking."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.factories import (
    add_ballots,
    count_queries,
    make_editor,
    make_maintainer,
    make_round,
    make_section,
    make_stakeholder,
    make_topic,
    signed_in,
    verified,
)
from topics.importers.ballots import BallotFileError, export_ballots_csv, import_ballots
from topics.models import Ballot, Round
from topics.services import voting

pytestmark = pytest.mark.django_db

WIKIPEDIA = [
    (5, "a > c > b > e > d"),
    (5, "a > d > e > c > b"),
    (8, "b > e > d > a > c"),
    (3, "c > a > b > e > d"),
    (7, "c > a > e > b > d"),
    (2, "c > b > a > d > e"),
    (7, "d > c > e > b > a"),
    (8, "e > b > a > d > c"),
]


def rank_form(round_: Round, ranks: dict[str, object]) -> dict:
    ids = dict(round_.candidates.values_list("slug", "pk"))
    return {f"rank-{ids[slug]}": "" if value is None else value for slug, value in ranks.items()}


def ballots_csv(rows) -> str:
    return "voter,group,ranking\n" + "".join(f"{v},{g},{r}\n" for v, g, r in rows)


# --- Casting ballots ------------------------------------------------------------


def test_rank_numbers_become_tie_groups():
    assert voting.ranking_from_ranks({1: 2, 2: 1, 3: 2, 4: None}) == [[2], [1, 3]]


def test_verified_stakeholder_ranks_with_the_plain_form_ties_and_unranked():
    round_ = make_round(slugs=("a", "b", "c", "d"))
    client = signed_in(verified())
    response = client.post(
        round_.get_absolute_url(), rank_form(round_, {"a": 2, "b": 1, "c": 2, "d": None})
    )
    assert response.status_code == 302
    ballot = Ballot.objects.get()
    slugs = dict(round_.candidates.values_list("pk", "slug"))
    assert [[slugs[pk] for pk in group] for group in ballot.ranking] == [["b"], ["a", "c"]]
    assert ballot.group_name == "Hardware vendors"


def test_a_stakeholder_may_change_the_ballot_until_the_round_closes():
    round_ = make_round()
    client = signed_in(verified())
    client.post(round_.get_absolute_url(), rank_form(round_, {"a": 1, "b": 2, "c": 3}))
    client.post(round_.get_absolute_url(), rank_form(round_, {"a": 3, "b": 2, "c": 1}))
    assert Ballot.objects.count() == 1
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "Change your ballot" in page
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    response = client.post(round_.get_absolute_url(), rank_form(round_, {"a": 1, "b": 2, "c": 3}))
    assert response.status_code == 400 and "closed" in response.content.decode()
    slugs = dict(round_.candidates.values_list("pk", "slug"))
    assert slugs[Ballot.objects.get().ranking[0][0]] == "c"


@pytest.mark.parametrize("state", ["upcoming", "closed"])
def test_no_ballots_outside_an_open_round(state):
    round_ = make_round(state=state)
    response = signed_in(verified()).post(round_.get_absolute_url(), rank_form(round_, {"a": 1}))
    assert response.status_code == 400
    assert not Ballot.objects.exists()


def test_unverified_stakeholders_and_anonymous_readers_cannot_vote(client):
    round_ = make_round()
    page = signed_in(make_stakeholder()).get(round_.get_absolute_url()).content.decode()
    assert "Only verified stakeholders can vote" in page and "ballot-form" not in page
    response = signed_in(make_stakeholder("bob")).post(
        round_.get_absolute_url(), rank_form(round_, {"a": 1})
    )
    assert response.status_code == 400 and not Ballot.objects.exists()
    assert client.post(round_.get_absolute_url(), rank_form(round_, {"a": 1})).status_code == 302
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    ("ranks", "message"),
    [
        ({"a": "first", "b": 2}, "is not a whole number"),
        ({"a": 9, "b": 1}, "Ranks go from 1 to 3"),
        ({"a": None, "b": None, "c": None}, "Rank at least one topic"),
    ],
)
def test_bad_ranks_get_a_clear_message_and_keep_what_was_typed(ranks, message):
    round_ = make_round()
    response = signed_in(verified()).post(round_.get_absolute_url(), rank_form(round_, ranks))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    for value in ranks.values():
        if value is not None:
            assert f'value="{value}"' in page
    assert not Ballot.objects.exists()


def test_a_ballot_naming_a_non_candidate_is_refused():
    round_ = make_round()
    other = make_topic(slug="other")
    with pytest.raises(voting.InvalidBallot):
        voting.cast_ballot(round_=round_, voter=verified(), groups=[[other.pk]])


def test_one_ballot_per_voter_is_enforced_by_the_database():
    from django.db import IntegrityError, transaction

    round_ = make_round()
    key = voting.voter_key(verified(), round_)
    Ballot.objects.create(round=round_, voter_key=key, ranking=[[1]])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(round=round_, voter_key=key, ranking=[[2]])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_double_submits_on_postgres_leave_exactly_one_ballot():
    round_ = make_round()
    voter = verified()
    ids = list(round_.candidates.values_list("pk", flat=True))
    barrier, errors = threading.Barrier(8), []

    def submit(n):
        try:
            barrier.wait()
            voting.cast_ballot(round_=round_, voter=voter, groups=[[ids[n % 3]]])
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Ballot.objects.filter(round=round_).count() == 1
    assert voting.own_ballot(round_=round_, voter=voter) is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_ballot_cast_while_the_round_closes_waits_for_the_close_and_is_refused():
    from django.db import transaction

    round_ = make_round()  # this copy still says open, as the voter's page did
    voter, maintainer = verified(), make_maintainer()
    first = round_.candidates.values_list("pk", flat=True).first()
    closing, errors = threading.Event(), []

    def close():
        try:
            with transaction.atomic():
                voting.close_round_now(round_=round_, by=maintainer)
                closing.set()
                time.sleep(0.5)  # the ballot arrives while the close is not yet committed
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)
        finally:
            closing.set()
            connection.close()

    closer = threading.Thread(target=close)
    closer.start()
    closing.wait()
    with pytest.raises(voting.RoundNotOpen, match="just closed"):
        voting.cast_ballot(round_=round_, voter=voter, groups=[[first]])
    closer.join()
    assert errors == []
    assert not Ballot.objects.filter(round=round_).exists()  # the closed results stand


def test_a_closed_round_is_immutable():
    round_ = make_round(state="closed")
    round_.title = "Changed"
    with pytest.raises(ValidationError, match="closed round cannot be changed"):
        round_.save()
    admin = signed_in(make_maintainer())
    page = admin.get(f"/admin/topics/round/{round_.pk}/change/").content.decode()
    assert 'name="title"' not in page  # read-only
    add_ballots(round_, [[[round_.candidates.first().pk]]])
    assert (
        admin.post(f"/admin/topics/round/{round_.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Round.objects.filter(pk=round_.pk).exists()


def test_a_closed_round_made_by_mistake_without_ballots_can_be_deleted():
    round_ = make_round(state="closed")
    admin = signed_in(make_maintainer())
    response = admin.post(f"/admin/topics/round/{round_.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Round.objects.filter(pk=round_.pk).exists()


def test_maintainer_creates_a_round_in_the_admin():
    topics = [make_topic(slug=s) for s in ("x", "y")]
    admin = signed_in(make_maintainer())
    response = admin.post(
        "/admin/topics/round/add/",
        {
            "title": "Round two",
            "slug": "round-two",
            "description": "",
            "candidates": [t.pk for t in topics],
            "opens_at_0": "2030-01-01",
            "opens_at_1": "00:00:00",
            "closes_at_0": "2030-02-01",
            "closes_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    assert Round.objects.get(slug="round-two").state == Round.State.UPCOMING


# --- Results --------------------------------------------------------------------


# The dates of a vote held elsewhere, long closed.
HELD = {
    "opened": datetime(2022, 11, 1, tzinfo=UTC),
    "closed": datetime(2022, 12, 1, tzinfo=UTC),
}


def import_rows(rows, slug="survey", **kwargs):
    return import_ballots(text=ballots_csv(rows), round_slug=slug, **{**HELD, **kwargs})


def wikipedia_round():
    for slug in "abcde":
        make_topic(slug=slug, title=f"Topic {slug.upper()}")
    rows = [
        (f"v{n}-{i}", "Educators and community", r)
        for n, (count, r) in enumerate(WIKIPEDIA)
        for i in range(count)
    ]
    return import_rows(rows, slug="wiki", title="Wikipedia example").round


def test_imported_wikipedia_example_ranks_e_a_c_b_d(client):
    round_ = wikipedia_round()
    data = client.get("/api/rounds/wiki/results/").json()
    assert data["ranking"] == [["e"], ["a"], ["c"], ["b"], ["d"]]
    assert data["ballots"] == 45
    assert data["pairwise"]["a"]["b"] == 20 and data["pairwise"]["b"]["a"] == 25
    assert data["groups"]["Educators and community"]["ballots"] == 45
    assert data["balanced_ranking"] == data["ranking"]
    assert round_.state == Round.State.CLOSED


def test_results_page_shows_steps_support_matrix_chart_and_method(client):
    wikipedia_round()
    page = client.get("/rounds/wiki/results/").content.decode()
    assert page.index("Topic E") < page.index("Topic A") < page.index("Topic D")
    assert "How decisive is each step?" in page
    assert "resampled elections" in page
    assert 'class="heatmap"' in page and "heat-" in page
    assert "<svg" in page and "Educators and community: 45 ballots" in page
    assert "Schulze method" in page
    assert "Download the anonymised ballots" in page


def test_results_say_which_steps_are_decisive_and_which_are_toss_ups(client):
    for slug in ("lead", "mid", "tail"):
        make_topic(slug=slug)
    rows = [(f"a{n}", "g", "lead > mid > tail") for n in range(30)]
    rows += [(f"b{n}", "g", "lead > tail > mid") for n in range(29)]
    import_rows(rows, slug="close")
    page = client.get("/rounds/close/results/").content.decode()
    assert "decisive</strong>" in page and "toss-up</strong>" in page


def test_group_balanced_ranking_differs_when_one_big_group_disagrees(client):
    for slug in ("a", "b", "c"):
        make_topic(slug=slug)
    rows = [(f"big{n}", "Big", "a > b > c") for n in range(10)]
    rows += [(f"s{n}", "Small one", "b > a > c") for n in range(3)]
    rows += [(f"t{n}", "Small two", "b > c > a") for n in range(3)]
    import_rows(rows, slug="groups")
    data = client.get("/api/rounds/groups/results/").json()
    assert data["ranking"][0] == ["a"] and data["balanced_ranking"][0] == ["b"]
    assert data["groups"]["Big"]["ranking"] == [["a"], ["b"], ["c"]]
    assert (
        "It differs from the plain ranking"
        in client.get("/rounds/groups/results/").content.decode()
    )


def test_partial_results_are_hidden_unless_the_round_shows_them(client):
    hidden = make_round()
    assert client.get(f"/rounds/{hidden.slug}/results/").status_code == 403
    assert client.get(f"/api/rounds/{hidden.slug}/results/").status_code == 403
    shown = make_round(slug="shown", slugs=("x", "y"), show_partial_results=True)
    for name in ("vera", "vic", "val"):
        voting.cast_ballot(
            round_=shown, voter=verified(name), groups=[[shown.candidates.first().pk]]
        )
    page = client.get("/rounds/shown/results/").content.decode()
    assert "these results are partial" in page
    assert client.get("/rounds/shown/ballots.csv").status_code == 404


def test_partial_results_move_only_by_batches_so_no_ballot_can_be_read_from_a_difference(
    client, settings
):
    settings.KB_VOTING_MIN_GROUP_BALLOTS = 3
    round_ = make_round(slug="live", slugs=("x", "y", "z"), show_partial_results=True)
    x, y, z = (round_.candidates.get(slug=slug).pk for slug in ("x", "y", "z"))

    def seen():
        data = client.get("/api/rounds/live/results/").json()
        return data["ballots"], data["ranking"]

    voters = [verified(f"voter{number}") for number in range(6)]
    # Before the first batch: nothing, not even the first voter's ranking.
    for voter in voters[:2]:
        voting.cast_ballot(round_=round_, voter=voter, groups=[[x], [y], [z]])
    assert seen() == (None, [])
    assert (
        "Partial results appear once 3 ballots"
        in client.get("/rounds/live/results/").content.decode()
    )
    voting.cast_ballot(round_=round_, voter=voters[2], groups=[[x], [y], [z]])
    before = seen()
    assert before == (3, [["x"], ["y"], ["z"]])
    # One more ballot, a changed one, and one saved again unchanged: nothing moves.
    voting.cast_ballot(round_=round_, voter=voters[3], groups=[[z], [y], [x]])
    voting.cast_ballot(round_=round_, voter=voters[0], groups=[[y], [x], [z]])
    voting.cast_ballot(round_=round_, voter=voters[1], groups=[[x], [y], [z]])
    assert seen() == before
    page = client.get("/rounds/live/results/").content.decode()
    assert "3 ballots" in page and "counted again once 3 more ballots" in page
    assert "Pairwise preferences" not in page and "Participation by stakeholder group" not in page
    data = client.get("/api/rounds/live/results/").json()
    assert not {"pairwise", "groups", "borda", "first_preferences"} & set(data)
    assert "ballots so far" not in client.get("/rounds/live/").content.decode()
    # The third new or changed ballot: all of them show at once, together.
    voting.cast_ballot(round_=round_, voter=voters[4], groups=[[x], [z], [y]])
    after = seen()
    assert after[0] == 5 and after != before
    assert client.get("/api/rounds/live/results/").json()["as_of"]


def test_partial_results_stored_by_an_older_release_wait_for_the_next_batch(client, settings):
    settings.KB_VOTING_MIN_GROUP_BALLOTS = 2
    round_ = make_round(slug="kept", slugs=("x", "y"), show_partial_results=True)
    x = round_.candidates.get(slug="x").pk
    voting.cast_ballot(round_=round_, voter=verified("first"), groups=[[x]])
    voting.cast_ballot(round_=round_, voter=verified("second"), groups=[[x]])
    Round.objects.filter(pk=round_.pk).update(  # as an older release stored them
        partial_results={"version": 1, "results": "something else"},
        partial_results_at=timezone.now(),
    )
    assert client.get("/api/rounds/kept/results/").json()["ballots"] is None
    voting.cast_ballot(round_=round_, voter=verified("third"), groups=[[x]])
    voting.cast_ballot(round_=round_, voter=verified("fourth"), groups=[[x]])
    assert client.get("/api/rounds/kept/results/").json()["ballots"] == 4


def test_partial_results_are_counted_from_the_anonymised_ballots_kept_on_the_round(
    client, settings
):
    settings.KB_VOTING_MIN_GROUP_BALLOTS = 2
    round_ = make_round(slug="frozen", slugs=("x", "y", "z"), show_partial_results=True)
    x, y, z = (round_.candidates.get(slug=slug).pk for slug in ("x", "y", "z"))
    for name in ("first", "second"):
        voting.cast_ballot(round_=round_, voter=verified(name), groups=[[z], [x], [y]])
    assert client.get("/api/rounds/frozen/results/").json()["ranking"] == [["z"], ["x"], ["y"]]
    stored = Round.objects.get(pk=round_.pk).partial_results
    assert sorted(stored) == ["ballots", "version"]  # rankings and groups: no voter, no receipt
    assert stored["ballots"] == [[[[z], [x], [y]], "Hardware vendors"]] * 2
    # A candidate withdrawn meanwhile leaves the ranking; no newer ballot is counted.
    voting.cast_ballot(round_=round_, voter=verified("third"), groups=[[y], [x], [z]])
    round_.candidates.remove(z)
    data = client.get("/api/rounds/frozen/results/").json()
    assert data["ballots"] == 2 and data["ranking"] == [["x"], ["y"]]


def test_a_batch_is_never_smaller_than_two_ballots(client, settings):
    settings.KB_VOTING_MIN_GROUP_BALLOTS = 1
    round_ = make_round(slug="tiny", slugs=("x", "y"), show_partial_results=True)
    x = round_.candidates.get(slug="x").pk
    voting.cast_ballot(round_=round_, voter=verified("first"), groups=[[x]])
    assert client.get("/api/rounds/tiny/results/").json()["ballots"] is None


def test_a_voter_who_changed_group_is_told_their_ballot_still_counts():
    from topics.models import Profile, StakeholderGroup

    round_ = make_round(slug="moving", slugs=("x", "y"))
    voter = verified("mover")
    voting.cast_ballot(round_=round_, voter=voter, groups=[[round_.candidates.first().pk]])
    other = StakeholderGroup.objects.exclude(pk=Profile.objects.get(user=voter).group_id).first()
    client = signed_in(voter)
    client.post("/me/profile/", {"display_name": "Mover", "affiliation": "", "group": other.pk})
    assert not Profile.objects.get(user=voter).is_verified
    page = client.get("/rounds/moving/").content.decode()
    assert "Only verified stakeholders can vote" in page
    assert "still counts; you can change it once an editor verifies your account again" in page
    assert round_.ballots.count() == 1


def test_closed_round_results_count_every_ballot(client, settings):
    settings.KB_VOTING_MIN_GROUP_BALLOTS = 3
    round_ = make_round(slug="ending", slugs=("x", "y"), show_partial_results=True)
    x = round_.candidates.get(slug="x").pk
    voting.cast_ballot(round_=round_, voter=verified("first"), groups=[[x]])
    client.get("/api/rounds/ending/results/")
    voting.cast_ballot(round_=round_, voter=verified("second"), groups=[[x]])
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    data = client.get("/api/rounds/ending/results/").json()
    assert data["ballots"] == 2 and "pairwise" in data  # closed: every count, every ballot


def test_results_show_what_moved_since_the_previous_round(client):
    for slug in ("a", "b", "c"):
        make_topic(slug=slug)
    a_year_earlier = {key: value.replace(year=2021) for key, value in HELD.items()}
    import_rows([("x", "g", "a > b > c"), ("y", "g", "a > b > c")], slug="first", **a_year_earlier)
    import_rows([("x", "g", "c > a > b"), ("y", "g", "c > a > b")], slug="second")
    data = client.get("/api/rounds/second/results/").json()
    assert data["previous_round"] == "first"
    assert data["movement"] == {"c": 2, "a": -1, "b": -1}
    page = client.get("/rounds/second/results/").content.decode()
    assert "▲ 2" in page and "▼ 1" in page


def test_results_query_count_does_not_grow_with_ballots(client):
    for slug in ("a", "b", "c"):
        make_topic(slug=slug)
    import_rows([(f"v{n}", "g", "a > b = c") for n in range(5)], slug="small")
    import_rows([(f"v{n}", "g", "a > b = c") for n in range(500)], slug="big")
    counts = {}
    for slug in ("small", "big"):
        client.get(f"/rounds/{slug}/results/")  # computes and caches the tally
        counts[slug] = count_queries(client, f"/rounds/{slug}/results/")  # asserts a 200
    assert counts["small"] == counts["big"], counts
    assert counts["big"] <= 8, counts


# --- Import and export --------------------------------------------------------------


def test_import_reports_every_problem_by_line_and_imports_nothing():
    for slug in ("abi", "gpus"):
        make_topic(slug=slug)
    text = ballots_csv(
        [
            ("ann", "g", "abi > gpus"),
            ("bob", "g", "abi > nope"),
            ("ann", "g", "gpus > abi"),
            ("cid", "g", "abi >> gpus"),
            ("dan", "g", "abi = abi"),
        ]
    )
    with pytest.raises(BallotFileError) as raised:
        import_ballots(text=text, round_slug="survey", **HELD)
    errors = "\n".join(raised.value.errors)
    assert "line 4: voter 'ann' already voted on line 2" in errors
    assert "line 5:" in errors and "line 6:" in errors
    assert not Round.objects.exists() and not Ballot.objects.exists()
    text = ballots_csv([("ann", "g", "abi > gpus"), ("bob", "g", "abi > nope")])
    with pytest.raises(BallotFileError, match="line 3: unknown topic 'nope'"):
        import_ballots(text=text, round_slug="survey", **HELD)
    assert not Round.objects.exists()


def test_import_command_creates_a_closed_round_with_the_named_candidates(tmp_path):
    for slug in ("simd-support", "abi", "gpus", "cross-compilation"):
        make_topic(slug=slug)
    file = tmp_path / "ballots.csv"
    file.write_text(ballots_csv([("ann", "HPC", "simd-support > abi = gpus > cross-compilation")]))
    out = StringIO()
    call_command(
        "import_ballots",
        str(file),
        "--round",
        "survey-2022",
        "--title",
        "Survey",
        "--opened",
        "2022-11-01",
        "--closed",
        "2022-12-01",
        stdout=out,
    )
    round_ = Round.objects.get(slug="survey-2022")
    assert round_.title == "Survey" and round_.is_closed
    assert set(round_.candidates.values_list("slug", flat=True)) == {
        "simd-support",
        "abi",
        "gpus",
        "cross-compilation",
    }
    assert "Imported 1 ballots" in out.getvalue()


def test_import_command_prints_problems_and_fails(tmp_path):
    file = tmp_path / "bad.csv"
    file.write_text("who,what\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_ballots", str(file), "--round", "x", stderr=err)
    assert "header must be voter,group,ranking" in err.getvalue()


def test_exported_ballots_are_anonymous_and_recount_to_the_same_result(client):
    round_ = wikipedia_round()
    exported = client.get("/rounds/wiki/ballots.csv")
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 45 and all(row["voter"].startswith("voter-") for row in rows)
    assert not any(row["voter"].startswith("v0-") for row in rows)
    import_ballots(text=text, round_slug="recount", **HELD)
    assert voting.round_results(Round.objects.get(slug="recount")).ranking == (
        voting.round_results(round_).ranking
    )
    assert export_ballots_csv(round_, group_names=voting.group_labels(round_)) == text


# --- The site follows the ranking ------------------------------------------------------


def key_issue_site():
    section = make_section(title="Key issues", slug="key-issues", numbered=True)
    topics = {
        slug: make_topic(slug=slug, title=f"Issue {slug}", section=section, order=n)
        for n, slug in enumerate(("abi", "gpus", "simd"), start=1)
    }
    return section, topics


def test_key_issues_are_numbered_in_the_order_of_the_latest_closed_round(client):
    section, topics = key_issue_site()
    home = client.get("/").content.decode()
    assert home.index("Issue abi") < home.index("Issue gpus") < home.index("Issue simd")
    import_rows([(f"v{n}", "g", "simd > abi > gpus") for n in range(3)], slug="vote")
    home = client.get("/").content.decode()
    assert home.index("Issue simd") < home.index("Issue abi") < home.index("Issue gpus")
    assert '<span class="number">1.</span> Issue simd' in home
    page = client.get("/topics/simd/").content.decode()
    assert "Ranked <strong>1 of 3</strong>" in page and 'href="/rounds/vote/results/"' in page


def test_a_manual_order_overrides_the_ranking(client):
    section, topics = key_issue_site()
    import_rows([(f"v{n}", "g", "simd > abi > gpus") for n in range(3)], slug="vote")
    section.follow_ranking = False
    section.save()
    home = client.get("/").content.decode()
    assert home.index("Issue abi") < home.index("Issue gpus") < home.index("Issue simd")


def test_round_list_and_api_list_rounds(client):
    make_round()
    assert "Priorities 2026" in client.get("/rounds/").content.decode()
    data = client.get("/api/rounds/").json()
    assert data["results"][0]["slug"] == "priorities-2026" and data["results"][0]["state"] == "open"


def test_editors_see_rounds_but_only_maintainers_change_them():
    round_ = make_round(state="upcoming")
    editor = signed_in(make_editor())
    assert editor.get(f"/admin/topics/round/{round_.pk}/change/").status_code == 200
    assert (
        editor.post(f"/admin/topics/round/{round_.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Client().get("/admin/topics/round/").status_code == 302


def test_the_site_ranking_follows_ballots_added_to_a_closed_round(client):
    section, topics = key_issue_site()
    round_ = make_round(state="closed", slug="empty", slugs=())
    round_.candidates.set(topics.values())
    home = client.get("/").content.decode()
    assert home.index("Issue abi") < home.index("Issue simd")
    import_ballots(text=ballots_csv([("v", "g", "simd > abi > gpus")]), round_slug="empty")
    home = client.get("/").content.decode()
    assert home.index("Issue simd") < home.index("Issue abi")


@pytest.mark.parametrize("state", ["open", "upcoming"])
def test_imported_ballots_never_go_into_a_live_round(state):
    make_round(state=state)
    with pytest.raises(BallotFileError, match="imported ballots go into a closed round"):
        import_ballots(text=ballots_csv([("v", "g", "a > b")]), round_slug="priorities-2026")
    assert not Ballot.objects.exists()
