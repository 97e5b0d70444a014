"""Accounts under attack: sign-in and write floods, admin privilege, look-alikes, emails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, override_settings

from tests.factories import (
    make_editor,
    make_maintainer,
    make_stakeholder,
    make_user,
    published_topic,
    signed_in,
)
from topics.models import Feedback, Profile, ReferenceSuggestion, Revision
from topics.services import workflow

# Every limit here is filled within one window (see `one_rate_window`).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_rate_window")]

BASE_DIR = Path(__file__).resolve().parent.parent
User = get_user_model()


def sign_in(client: Client, url: str = "/accounts/login/", address: str = "10.0.0.1"):
    """A sign-in attempt with a username nobody has, as a password sprayer sends them."""
    data = {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "guess"}
    return client.post(url, data, REMOTE_ADDR=address)


def uses_redis() -> bool:
    backend = django_settings.CACHES[django_settings.RATELIMIT_USE_CACHE]["BACKEND"]
    return "redis" in backend.lower()


# --- A per-address sign-in throttle on the shared cache -----------------------


def test_one_address_spraying_sign_ins_is_refused_with_a_429_saying_when_to_retry(client):
    assert django_settings.KB_SIGN_IN_RATE == "20/m"
    for _ in range(20):
        assert sign_in(client).status_code == 200
    refused = sign_in(client)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many sign-in attempts from your address" in page
    assert re.search(r"Try again in \d+ minutes?", page)
    assert 0 < int(refused["Retry-After"]) <= 60
    assert sign_in(client, address="10.0.0.2").status_code == 200


def test_the_admin_sign_in_counts_against_the_same_throttle(client, settings):
    settings.KB_SIGN_IN_RATE = "3/m"
    for _ in range(2):
        assert sign_in(client).status_code == 200
    assert sign_in(client, "/admin/login/").status_code == 200
    refused = sign_in(client, "/admin/login/")
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()


def test_a_refused_sign_in_does_not_check_the_password(client, settings, staff):
    settings.KB_SIGN_IN_RATE = "1/m"
    sign_in(client)
    right = client.post(
        "/accounts/login/",
        {"username": "maintainer", "password": "a-long-test-password"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_sign_in_throttle_is_counted_in_the_rate_limit_cache(client, settings):
    settings.KB_SIGN_IN_RATE = "2/m"
    sign_in(client), sign_in(client)
    assert sign_in(client).status_code == 429
    # The count lives in the configured cache (Redis when REDIS_URL is set), not the process.
    caches[django_settings.RATELIMIT_USE_CACHE].clear()
    assert sign_in(client).status_code == 200


@pytest.mark.skipif(not uses_redis(), reason="needs a shared cache (set REDIS_URL)")
def test_sign_in_attempts_counted_by_another_process_count_here_too(client, settings):
    # A week's window: the two processes share it (this one's rate clock stands still,
    # the other's runs; over a week, no window ends between them).
    settings.KB_SIGN_IN_RATE = "5/7d"
    code = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from topics.rate_limits import sign_in_wait\n"
        "request = RequestFactory().post('/accounts/login/', REMOTE_ADDR='10.9.8.7')\n"
        "print([sign_in_wait(request) for _ in range(5)])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings", "KB_SIGN_IN_RATE": "5/7d"}
    other = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == "[None, None, None, None, None]"
    assert sign_in(client, address="10.9.8.7").status_code == 429


def test_without_a_shared_cache_the_checks_warn_that_limits_count_per_process():
    from topics.checks import rate_limit_cache_is_shared

    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=local):
        warnings = rate_limit_cache_is_shared(None)
    assert [w.id for w in warnings] == ["topics.W001"]
    assert "per process" in warnings[0].msg and "REDIS_URL" in warnings[0].hint
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    with override_settings(CACHES=shared):
        assert rate_limit_cache_is_shared(None) == []


def test_manage_py_check_shows_the_per_process_warning(capsys):
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=local):
        call_command("check")
    assert "topics.W001" in capsys.readouterr().err


def test_production_start_up_check_passes_with_the_warning(tmp_path):
    env = {
        **os.environ,
        "KB_ENV": "production",
        "SECRET_KEY": "test-" + "x" * 60,
        "ALLOWED_HOSTS": "kb.example.org",
        "DATA_DIR": str(tmp_path),
    }
    for name in ("REDIS_URL", "CACHE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "topics.W001" in result.stderr


# --- Every write is limited, and a refusal is a friendly 429 --------------------


def refused_after(client: Client, url: str, limit: int, data: dict | None = None, **extra):
    """POST `limit` times (none refused), then once more: the refused response."""
    for attempt in range(limit):
        response = client.post(url, data or {}, **extra)
        assert response.status_code != 429, f"{url} refused at attempt {attempt + 1}"
    return client.post(url, data or {}, **extra)


def test_a_write_over_its_limit_answers_429_with_a_message_not_a_403(client):
    refused = refused_after(client, "/accounts/signup/", 10)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many requests" in page and "Nothing you wrote" in page


def test_the_editor_preview_over_its_limit_answers_a_short_message_for_the_preview_pane():
    client = signed_in(make_stakeholder())
    refused = refused_after(
        client,
        "/markdownx/markdownify/",
        120,
        {"content": "x"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert refused.status_code == 429
    answer = refused.content.decode()
    assert "<html" not in answer and "too many requests" in answer


def test_uploads_over_their_limit_answer_the_editors_json():
    client = signed_in(make_stakeholder())
    refused = refused_after(
        client, "/markdownx/upload/", 30, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert refused.status_code == 429
    assert "too many requests" in refused.json()["image"][0]


@pytest.mark.parametrize(
    "url",
    [
        "/review/revisions/999999/",
        "/review/revisions/999999/merge/",
        "/review/feedback/999999/",
        "/review/references/999999/",
        "/review/stakeholders/",
        "/topics/no-such-topic/revisions/999999/restore/",
        "/topics/no-such-topic/reviewed/",
    ],
)
def test_editors_actions_are_limited_per_editor(url):
    editor = make_editor()
    refused = refused_after(signed_in(editor), url, 120, {"profile": "999999"})
    assert refused.status_code == 429
    other_editor = signed_in(make_editor("edna"))
    assert other_editor.post(url, {"profile": "999999"}).status_code != 429


def test_password_change_is_limited_per_user():
    client = signed_in(make_stakeholder())
    data = {"old_password": "wrong", "new_password1": "x", "new_password2": "x"}
    assert refused_after(client, "/accounts/password_change/", 10, data).status_code == 429


def test_setting_a_new_password_from_a_reset_link_is_limited_per_address(client):
    url = "/accounts/reset/MQ/set-password/"
    data = {"new_password1": "another-long-password", "new_password2": "another-long-password"}
    assert refused_after(client, url, 20, data).status_code == 429


def test_password_reset_emails_to_one_address_are_limited(client):
    make_stakeholder()
    for number in range(5):
        response = client.post(
            "/accounts/password_reset/",
            {"email": "ADA@example.com"},
            REMOTE_ADDR=f"10.1.0.{number}",
        )
        assert response.status_code == 302
    refused = client.post(
        "/accounts/password_reset/", {"email": "ada@example.com"}, REMOTE_ADDR="10.1.0.99"
    )
    assert refused.status_code == 429
    assert len(mail.outbox) == 5


def test_admin_writes_are_limited_per_user(settings):
    assert settings.KB_ADMIN_WRITE_RATE == "600/h"
    settings.KB_ADMIN_WRITE_RATE = "30/h"  # the same limit, reached in 31 requests
    client = signed_in(make_maintainer())
    url = "/admin/topics/stakeholdergroup/add/"
    assert refused_after(client, url, 30, {"name": ""}).status_code == 429
    other = signed_in(make_maintainer("mona"))
    assert other.post(url, {"name": ""}).status_code == 200  # the form again, with its error


# --- Least privilege in the admin ----------------------------------------------


def user_form(user, **changes) -> dict:
    """What the admin's change form for `user` posts, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    data.update(changes)
    return data


def foreign_permission() -> Permission:
    """A permission maintainers do not hold (the admin log is not theirs to delete)."""
    return Permission.objects.get(content_type__app_label="admin", codename="delete_logentry")


def test_a_maintainer_cannot_make_themselves_superuser_staff_or_grant_permissions():
    maud = make_maintainer()
    client = signed_in(maud)
    response = client.post(
        f"/admin/auth/user/{maud.pk}/change/",
        user_form(maud, is_superuser="on", user_permissions=[str(foreign_permission().pk)]),
    )
    assert response.status_code in {200, 302}
    maud.refresh_from_db()
    assert not maud.is_superuser
    assert not maud.user_permissions.exists()
    page = client.get(f"/admin/auth/user/{maud.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert 'name="is_staff"' not in page


def test_a_maintainer_cannot_give_staff_status_by_hand():
    client = signed_in(make_maintainer())
    ada = make_stakeholder()
    client.post(f"/admin/auth/user/{ada.pk}/change/", user_form(ada, is_staff="on"))
    ada.refresh_from_db()
    assert not ada.is_staff


def test_a_maintainer_cannot_change_a_superusers_account_or_password(staff):
    client = signed_in(make_maintainer())
    change = client.post(
        f"/admin/auth/user/{staff.pk}/change/", user_form(staff, email="maud@evil.example")
    )
    assert change.status_code == 403
    password = client.post(
        f"/admin/auth/user/{staff.pk}/password/",
        {"password1": "taken-over-password", "password2": "taken-over-password"},
    )
    assert password.status_code == 403
    delete = client.post(f"/admin/auth/user/{staff.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    staff.refresh_from_db()
    assert staff.email == "maintainer@example.com"
    assert staff.check_password("a-long-test-password")


def test_a_maintainer_makes_someone_an_editor_with_the_editors_group_and_staff_follows():
    client = signed_in(make_maintainer())
    ada = make_stakeholder()
    editors = Group.objects.get(name="Editors")
    stakeholders = Group.objects.get(name="Stakeholders")
    response = client.post(
        f"/admin/auth/user/{ada.pk}/change/",
        user_form(ada, groups=[str(stakeholders.pk), str(editors.pk)]),
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.is_staff and ada.groups.filter(name="Editors").exists()
    client.post(f"/admin/auth/user/{ada.pk}/change/", user_form(ada, groups=[stakeholders.pk]))
    ada.refresh_from_db()
    assert not ada.is_staff


def test_a_maintainer_cannot_assign_a_group_holding_permissions_they_lack():
    client = signed_in(make_maintainer())
    root = Group.objects.create(name="Root")
    root.permissions.add(foreign_permission())
    ada = make_stakeholder()
    page = client.get(f"/admin/auth/user/{ada.pk}/change/").content.decode()
    assert "Root" not in page
    response = client.post(
        f"/admin/auth/user/{ada.pk}/change/", user_form(ada, groups=[str(root.pk)])
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ada.groups.filter(name="Root").exists()


def test_a_maintainer_cannot_change_an_account_holding_more_than_they_do():
    client = signed_in(make_maintainer())
    root = Group.objects.create(name="Root")
    root.permissions.add(foreign_permission())
    boss = make_user(username="boss", is_staff=True)
    boss.groups.add(root)
    response = client.post(
        f"/admin/auth/user/{boss.pk}/change/", user_form(boss, email="x@evil.example")
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.email == "boss@example.com"


def test_a_maintainer_picks_only_permissions_they_hold_for_a_group():
    client = signed_in(make_maintainer())
    editors = Group.objects.get(name="Editors")
    page = client.get(f"/admin/auth/group/{editors.pk}/change/").content.decode()
    assert "Can delete log entry" not in page and "Can publish revisions" in page
    held = [str(pk) for pk in editors.permissions.values_list("pk", flat=True)]
    response = client.post(
        f"/admin/auth/group/{editors.pk}/change/",
        {"name": "Editors", "permissions": [*held, str(foreign_permission().pk)]},
    )
    assert response.status_code == 200
    assert not editors.permissions.filter(pk=foreign_permission().pk).exists()


def test_the_role_groups_keep_their_names_and_cannot_be_deleted(staff):
    client = signed_in(staff)
    editors = Group.objects.get(name="Editors")
    held = [str(pk) for pk in editors.permissions.values_list("pk", flat=True)]
    client.post(f"/admin/auth/group/{editors.pk}/change/", {"name": "Renamed", "permissions": held})
    assert Group.objects.filter(name="Editors").exists()
    delete = client.post(f"/admin/auth/group/{editors.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert Group.objects.filter(name="Editors").exists()


def test_accounts_added_or_renamed_in_the_admin_follow_the_username_rules():
    client = signed_in(make_maintainer())
    make_user(username="stake1")
    added = client.post(
        "/admin/auth/user/add/",
        {"username": "st\u0430ke1", "usable_password": "false", "password1": "", "password2": ""},
    )
    assert added.status_code == 200
    assert "looks too much like an existing username" in added.content.decode()
    ada = make_stakeholder()
    renamed = client.post(f"/admin/auth/user/{ada.pk}/change/", user_form(ada, username="STAKEL"))
    assert renamed.status_code == 200
    assert "looks too much like an existing username" in renamed.content.decode()
    assert User.objects.filter(username="ada").exists()


def test_a_superuser_still_grants_superuser_status_and_permissions(staff):
    client = signed_in(staff)
    ada = make_stakeholder()
    response = client.post(
        f"/admin/auth/user/{ada.pk}/change/",
        user_form(
            ada, is_superuser="on", is_staff="on", user_permissions=[foreign_permission().pk]
        ),
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.is_superuser and ada.is_staff and ada.user_permissions.exists()


# --- Look-alike usernames and impersonating display names ------------------------


def signup(client: Client, **overrides):
    data = {
        "username": "newcomer",
        "email": f"{uuid.uuid4().hex[:8]}@example.com",
        "display_name": "New Comer",
        "affiliation": "",
        "group": "",
        "password1": "a-very-long-password-1",
        "password2": "a-very-long-password-1",
    }
    data.update(overrides)
    return client.post("/accounts/signup/", data)


LOOKS_LIKE = "looks too much like an existing username"
EXISTS = "A user with that username already exists"


@pytest.mark.parametrize(
    ("lookalike", "message"),
    [
        ("st\u0430ke1", LOOKS_LIKE),  # Cyrillic а
        ("\u0455take1", LOOKS_LIKE),  # Cyrillic ѕ
        ("stakel", LOOKS_LIKE),  # l for 1
        ("STAKEI", LOOKS_LIKE),  # I for 1
        ("Stake1", EXISTS),  # case only: Django's own message
        ("stake\uff11", EXISTS),  # a full-width digit one is NFKC-folded to "stake1"
    ],
)
def test_signup_refuses_a_username_that_looks_like_an_existing_one(client, lookalike, message):
    make_user(username="stake1")
    response = signup(client, username=lookalike, display_name="Kept Name")
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Kept Name"' in page
    assert User.objects.count() == 1


def test_signup_refuses_a_username_mixing_alphabets(client):
    response = signup(client, username="p\u0430ypal")  # Latin with a Cyrillic а
    assert response.status_code == 200
    assert "mixes letters from different alphabets" in response.content.decode()


def test_signup_stores_the_nfkc_form_of_a_username(client):
    assert signup(client, username="\uff4e\uff45\uff57").status_code == 302
    assert User.objects.filter(username="new").exists()


def test_signup_accepts_a_username_in_one_other_alphabet(client):
    assert signup(client, username="\u0438\u0432\u0430\u043d").status_code == 302  # иван


@pytest.mark.parametrize(
    "name",
    [
        "Editor Ed",
        "ed the maintainer",
        "ADMIN",
        "Εditor Ed",
        "e\u200bditor",  # a zero-width space inside
        "Ed\u00adi\u00adtor",  # soft hyphens
        "E d i t o r",
        "M.O.D.E.R.A.T.O.R",
    ],
)
def test_signup_refuses_a_display_name_that_claims_a_role(client, name):
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert "is a role on this site" in response.content.decode()


@pytest.mark.parametrize("name", ["Ed\u202eroti\u202cde", "Ada\u2067x\u2069", "\u202dAda"])
def test_signup_refuses_a_display_name_that_reorders_its_letters(client, name):
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert "changes the order its letters are shown in" in response.content.decode()


@pytest.mark.parametrize("name", ["\u200b", "\u00ad\u200b", "\u3164", " \u2800 "])
def test_signup_refuses_a_display_name_that_shows_nothing(client, name):
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "name", ["Eddie", "EDDIE", "eddie", "\uff25ddie", "Ed\u200bdie", "maintained  MO"]
)
def test_a_stakeholder_cannot_take_a_staff_members_name(client, name):
    Profile.objects.create(user=make_maintainer("maud"), display_name="Maintained Mo")
    make_editor("eddie")
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert "looks like an editor&#x27;s or maintainer&#x27;s name" in response.content.decode()


def test_names_with_spaces_single_letters_or_joiners_that_claim_nothing_are_welcome(client):
    make_editor("eddie")
    Profile.objects.create(user=make_maintainer("alex"), display_name="Maria")
    welcome = [
        "J. R. R. Tolkien",
        "A B C",
        "Zoë\u200dAda",
        "Marla",  # looks like Maria, but is another name
        "Alex",  # a maintainer signs in as alex: usernames are not shown
        "Ed Die",
        "\u200fדוד כהן",  # a right-to-left mark
        "محمد\u200e (Mo)",
    ]
    for number, name in enumerate(welcome):
        response = signup(Client(), username=f"new{number}", display_name=name)
        assert response.status_code == 302, name


def test_a_name_kept_as_it_was_is_not_checked_again_by_newer_rules():
    ada = make_stakeholder()
    Profile.objects.filter(user=ada).update(display_name="Eddie")  # before the rules
    make_editor("eddie")
    response = signed_in(ada).post(
        "/me/profile/", {"display_name": "Eddie", "affiliation": "New place", "group": ""}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=ada).affiliation == "New place"


def test_a_stakeholder_cannot_rename_themselves_editor_but_staff_may():
    ada = make_stakeholder()
    response = signed_in(ada).post(
        "/me/profile/", {"display_name": "Editor Ada", "affiliation": "", "group": ""}
    )
    assert response.status_code == 200 and "is a role on this site" in response.content.decode()
    eddie = make_editor()
    signed_in(eddie).post(
        "/me/profile/", {"display_name": "Eddie, editor", "affiliation": "", "group": ""}
    )
    assert Profile.objects.get(user=eddie).display_name == "Eddie, editor"


def badge(role: str) -> str:
    """A name followed by its role badge, whose label screen readers hear too."""
    hidden = r'<span class="visually-hidden">[^<]*</span>'
    return rf'Eddie\s*<span class="status role-badge">{hidden}{role}</span>'


def test_staff_carry_a_role_badge_wherever_their_names_show():
    topic = published_topic(slug="badged")
    eddie = make_editor()
    ada = make_stakeholder()
    revision = workflow.suggest_edit(
        topic=topic,
        author=eddie,
        text=workflow.Text(title=topic.title, summary="", body="New."),
        message="Edit",
        base=topic.current_revision,
    )
    workflow.suggest_edit(
        topic=topic,
        author=ada,
        text=workflow.Text(title=topic.title, summary="", body="Other."),
        message="Mine",
        base=topic.current_revision,
    )
    Feedback.objects.create(topic=topic, author=eddie, body="Fine.")
    ReferenceSuggestion.objects.create(
        topic=topic, author=eddie, url="https://example.org/x", title="X"
    )
    editor = signed_in(make_editor("edna"))
    pages = {
        "queue": editor.get("/review/").content.decode(),
        "review": editor.get(f"/review/revisions/{revision.pk}/").content.decode(),
        "history": editor.get("/topics/badged/history/").content.decode(),
        "revision": editor.get(f"/topics/badged/revisions/{revision.pk}/").content.decode(),
    }
    for name, page in pages.items():
        assert re.search(badge("editor"), page), name
    assert "Ada <span" not in pages["queue"] and "Ada" in pages["queue"]
    workflow.publish_revision(revision=revision, by=make_editor("otto"))
    feed = Client().get("/feed/").content.decode()
    assert "<name>Eddie (editor)</name>" in feed


def test_a_superusers_badge_says_maintainer(staff):
    topic = published_topic(slug="boss-edit")
    Profile.objects.create(user=staff, display_name="Eddie")
    workflow.suggest_edit(
        topic=topic,
        author=staff,
        text=workflow.Text(title=topic.title, summary="", body="New."),
        message="Edit",
        base=topic.current_revision,
    )
    page = signed_in(staff).get("/topics/boss-edit/history/").content.decode()
    assert re.search(badge("maintainer"), page)


# --- Links in emails come from KB_SITE_URL, never the Host header -----------------


def test_the_password_reset_link_uses_the_site_address_not_the_host_header(client, settings):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    settings.KB_SITE_URL = "https://kb.example.org"
    make_stakeholder()
    response = client.post(
        "/accounts/password_reset/", {"email": "ada@example.com"}, HTTP_HOST="evil.example:8080"
    )
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert "evil.example" not in body and "8080" not in body
    assert re.search(r"https://kb\.example\.org/accounts/reset/[^/\s]+/[^/\s]+/", body)
    assert "evil.example" not in mail.outbox[-1].subject


def test_review_emails_link_to_the_site_address_not_the_host_header(
    settings, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    settings.KB_SITE_URL = "https://kb.example.org"
    topic = published_topic(slug="mailed")
    ada = make_stakeholder()
    revision = workflow.suggest_edit(
        topic=topic,
        author=ada,
        text=workflow.Text(title=topic.title, summary="", body="New."),
        message="Edit",
        base=topic.current_revision,
    )
    editor = signed_in(make_editor())
    with_host = {"HTTP_HOST": "evil.example:8080"}
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            f"/review/revisions/{revision.pk}/", {"action": "publish", "comment": ""}, **with_host
        )
    assert Revision.objects.get(pk=revision.pk).status == Revision.Status.PUBLISHED
    bodies = "\n".join(message.body for message in mail.outbox)
    assert "https://kb.example.org/me/" in bodies
    assert "evil.example" not in bodies
