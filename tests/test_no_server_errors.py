"""No page answers 500, whatever role asks and whatever junk the query string holds."""

import pytest
from django.test import Client

from tests.factories import (
    add_ballots,
    make_editor,
    make_maintainer,
    make_round,
    make_section,
    make_stakeholder,
    make_topic,
    make_user,
    published_topic,
    signed_in,
)
from topics.models import Profile, Revision, Round, Topic
from topics.services import workflow

pytestmark = pytest.mark.django_db

JUNK = [
    "",
    "?page=abc",
    "?page=-1",
    "?page=999999",
    "?a=1&b=x",
    "?q=%22%5B%28",
    "?section=%FF",
    "?a=99999999999999999999&b=0",
    "?next=//evil.example",
    "?x=" + "y" * 3000,
]


@pytest.fixture
def site():
    section = make_section(slug="key-issues", title="Key issues", numbered=True)
    topic = published_topic(slug="abi", title="ABI", section=section)
    make_topic(slug="draft", status="draft")
    revision = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text("ABI", "", "Changed."),
        message="m",
    )
    make_round(slug="open-round", slugs=("x", "y"))
    closed = make_round(slug="closed-round", slugs=("p", "q"), state="closed")
    add_ballots(closed, [[[closed.candidates.first().pk]]])  # so it is final, never deleted
    return {"revision": revision, "old": topic.current_revision}


def urls(site) -> list[str]:
    revision, old = site["revision"], site["old"]
    return [
        "/",
        "/sections/key-issues/",
        "/topics/abi/",
        "/topics/draft/",
        "/references/",
        "/tags/",
        "/tags/none/",
        "/search/",
        "/feed/",
        "/sitemap.xml",
        "/healthz",
        "/api/topics/",
        "/api/topics/abi/",
        "/api/references/",
        "/topics/abi/history/",
        "/topics/abi/compare/",
        f"/topics/abi/compare/?a={old.pk}&b={revision.pk}",
        f"/topics/abi/revisions/{old.pk}/",
        "/topics/abi/suggest/",
        "/topics/abi/feedback/",
        "/topics/abi/suggest-reference/",
        "/propose/",
        f"/suggestions/{revision.pk}/revise/",
        "/review/",
        f"/review/revisions/{revision.pk}/",
        f"/review/revisions/{revision.pk}/merge/",
        "/review/due/",
        "/review/stakeholders/",
        "/me/",
        "/me/profile/",
        "/rounds/",
        "/rounds/open-round/",
        "/rounds/open-round/results/",
        "/rounds/closed-round/results/",
        "/rounds/closed-round/ballots.csv",
        "/api/rounds/",
        "/api/rounds/closed-round/results/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/key-issues/abi/",
        "/no/such/page/",
        "/admin/",
        "/admin/topics/revision/",
        "/changes/",
        "/topics/abi/feed/",
        "/topics/draft/feed/",
        "/rounds/verify/",
        "/me/following/",
        "/favicon.ico",
        "/admin/topics/ballot/",
        "/admin/topics/round/",
    ]


@pytest.mark.parametrize("role", ["anonymous", "stakeholder", "editor", "maintainer"])
def test_no_page_answers_500(site, role):
    client = Client(raise_request_exception=False)
    maker = {"stakeholder": make_stakeholder, "editor": make_editor, "maintainer": make_maintainer}
    if role in maker:
        client.force_login(maker[role]())
    failures = []
    for url in urls(site):
        for junk in JUNK:
            target = url + (junk if "?" not in url else junk.replace("?", "&"))
            status = client.get(target).status_code
            if status >= 500:
                failures.append((target, status))
    assert failures == []


@pytest.mark.parametrize("role", ["anonymous", "stakeholder", "editor"])
def test_empty_posts_to_every_form_get_an_answer_not_a_500(site, role):
    client = Client(raise_request_exception=False)
    maker = {"stakeholder": make_stakeholder, "editor": make_editor}
    if role in maker:
        client.force_login(maker[role]())
    revision = site["revision"]
    posts = [
        "/topics/abi/suggest/",
        "/topics/abi/feedback/",
        "/topics/abi/suggest-reference/",
        "/topics/abi/follow/",
        "/topics/abi/reviewed/",
        "/propose/",
        f"/suggestions/{revision.pk}/revise/",
        f"/review/revisions/{revision.pk}/",
        f"/review/revisions/{revision.pk}/merge/",
        "/review/feedback/1/",
        "/review/references/1/",
        "/review/stakeholders/",
        f"/topics/abi/revisions/{revision.pk}/restore/",
        "/rounds/open-round/",
        "/rounds/closed-round/",
        "/me/profile/",
        "/accounts/signup/",
        "/markdownx/markdownify/",
        "/markdownx/upload/",
    ]
    failures = [(url, code) for url in posts if (code := client.post(url, {}).status_code) >= 500]
    assert failures == []
    assert Revision.objects.filter(pk=revision.pk, status="pending").exists()


def make_superuser():
    return make_user(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("role", ["editor", "maintainer", "superuser"])
def test_odd_posts_to_staff_pages_get_an_answer_not_a_500(site, role):
    maker = {"editor": make_editor, "maintainer": make_maintainer, "superuser": make_superuser}
    client = Client(raise_request_exception=False)
    client.force_login(maker[role]())
    closed = Round.objects.get(slug="closed-round")
    topic = Topic.objects.get(slug="abi")
    odd = ["²", "٣", "1\x00", "9" * 30, "-1", "abc", ""]
    posts = [("/review/stakeholders/", {"profile": value}) for value in odd]
    posts += [
        (f"/admin/topics/{model}/", {"action": action, "_selected_action": [str(topic.pk), value]})
        for model in ("topic", "revision", "round", "profile")
        for action in ("delete_selected", "publish", "\x00", "")
        for value in odd
    ]
    posts += [
        (f"/admin/topics/round/{closed.pk}/change/", {"_save": "Save", "title": "Changed"}),
        (f"/admin/topics/round/{closed.pk}/change/", {"_continue": "Save", "slug": "x\x00"}),
        (f"/admin/topics/round/{closed.pk}/change/", {}),
        (f"/admin/topics/round/{closed.pk}/delete/", {"post": "yes"}),
    ]
    failures = [
        (url, data, code)
        for url, data in posts
        if (code := client.post(url, data).status_code) >= 500
    ]
    assert failures == []
    assert Topic.objects.filter(pk=topic.pk).exists()
    assert Round.objects.get(pk=closed.pk).title == "Priorities 2026"


# --- Staff paths with odd input: a clear answer, never a 500 ----------------------


def test_verifying_a_stakeholder_named_by_a_superscript_digit_is_not_found():
    make_stakeholder("sue")
    response = signed_in(make_editor()).post("/review/stakeholders/", {"profile": "²"})
    assert response.status_code == 404
    assert not Profile.objects.filter(verified_at__isnull=False).exists()


@pytest.mark.parametrize("value", ["٣", "9" * 30, "-1", " 1", "1\x00"])
def test_verifying_a_stakeholder_by_anything_but_a_plain_number_is_not_found(value):
    stakeholder = make_stakeholder("sue")
    response = signed_in(make_editor()).post("/review/stakeholders/", {"profile": value})
    assert response.status_code in {400, 404}
    assert not Profile.objects.get(user=stakeholder).verified_at


@pytest.mark.parametrize("selected", ["1\x00", "abc", "²", "9" * 30])
def test_an_admin_action_on_a_malformed_selection_changes_nothing_and_says_so(selected):
    topic = make_topic(slug="kept")
    client = signed_in(make_superuser())
    response = client.post(
        "/admin/topics/topic/",
        {"action": "delete_selected", "_selected_action": [str(topic.pk), selected]},
        follow=True,
    )
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert "not a valid selection" in response.content.decode()
    assert Topic.objects.filter(pk=topic.pk).exists()


@pytest.mark.parametrize(
    "query",
    [
        "id__in=9223372036854775808",
        "pk__in=1,99999999999999999999",
        "id__in=" + "9" * 5000,
        "topic__id__in=-9223372036854775809",
    ],
)
@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("model", ["revision", "topic", "reference"])
def test_an_admin_list_filtered_by_a_number_past_any_column_is_refused_not_a_500(
    model, query, method
):
    client = signed_in(make_maintainer())
    response = getattr(client, method)(f"/admin/topics/{model}/?{query}")
    assert response.status_code == 400
    if method == "get":
        assert "out of range" in response.content.decode()


def test_an_admin_search_for_a_long_number_is_still_a_search():
    make_topic(slug="kept", title="Kept")
    response = signed_in(make_maintainer()).get("/admin/topics/topic/?q=" + "9" * 30)
    assert response.status_code == 200 and "0 topics" in response.content.decode()


@pytest.mark.parametrize(
    "seen",
    [
        "9" * 30,
        "-1",
        "abc",
        "1\u00b2",
        "",
        "[" * 100_000,
        '{"slug": ' * 5000,
        '["a", "b", "c"]',
        '["a", "b", "c", 4]',
        '["a", "b", "c", "d", "e"]',
    ],
)
def test_hostile_hidden_seen_fields_get_a_form_answer_not_a_500(seen):
    from tests.factories import admin_topic_form, publish_body, published_topic

    topic = published_topic(body="Text.")
    client = signed_in(make_maintainer())
    data = {
        **admin_topic_form(topic, body="Mine."),
        **dict.fromkeys(("seen", "seen_fields", "seen_text"), seen),
    }
    response = client.post(f"/admin/topics/topic/{topic.pk}/change/", data)
    assert response.status_code in {200, 302}
    publish_body(topic, "Theirs.", make_editor())
    topic.refresh_from_db()
    assert topic.body == "Theirs."  # a later publish is never overwritten by a forged page
    restore = f"/topics/{topic.slug}/revisions/{topic.revisions.order_by('pk').first().pk}/restore/"
    response = signed_in(make_editor("ed2")).post(restore, {"reason": "back", "seen": seen})
    assert response.status_code in {302, 400}


def test_saving_a_closed_round_in_the_admin_says_it_is_closed():
    round_ = make_round(slug="closed-round", slugs=("p", "q"), state="closed")
    client = signed_in(make_maintainer())
    response = client.post(
        f"/admin/topics/round/{round_.pk}/change/",
        {"_save": "Save", "title": "Changed"},
        follow=True,
    )
    assert response.status_code == 200
    assert "A closed round cannot be changed." in response.content.decode()
    assert Round.objects.get(pk=round_.pk).title == "Priorities 2026"


def test_the_change_page_of_a_closed_round_offers_no_save_button():
    round_ = make_round(slug="closed-round", slugs=("p", "q"), state="closed")
    page = signed_in(make_maintainer()).get(f"/admin/topics/round/{round_.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_an_admin_form_still_answers_a_nul_with_its_own_message():
    client = signed_in(make_superuser())
    response = client.post("/admin/topics/section/add/", {"title": "A\x00B", "slug": "a-b"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
def test_an_address_with_too_many_parameters_is_a_400_even_with_debug_on(client, settings, debug):
    settings.DEBUG = debug  # Django's debug error page read them again and failed: a 500
    query = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert b"Too many parameters" in response.content
