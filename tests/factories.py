"""Small factory functions for test data, with keyword overrides."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import astuple
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.utils import timezone

from topics.models import (
    Ballot,
    Citation,
    Image,
    Profile,
    Reference,
    Revision,
    Round,
    Section,
    SiteIdentity,
    StakeholderGroup,
    Tag,
    Topic,
)
from topics.services import workflow
from topics.services.content import create_published_topic, save_topic

_counter = itertools.count(1)


def make_user(*, username: str | None = None, password: str = "a-long-test-password", **extra):
    """A user with a usable password."""
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=password, **extra
    )


def make_section(**overrides) -> Section:
    number = next(_counter)
    values = {"title": f"Section {number}", "slug": f"section-{number}", "order": number}
    values.update(overrides)
    return Section.objects.create(**values)


def _topic(**overrides) -> Topic:
    number = next(_counter)
    values = {
        "title": f"Topic {number}",
        "slug": f"topic-{number}",
        "body": f"Body of topic {number}.\n\n## Details\n\nMore text.",
        "order": number,
    }
    values.update(overrides)
    return Topic(**values)


def make_topic(*, tags: list[str] | None = None, **overrides) -> Topic:
    """A topic (published unless `status` says otherwise), rendered and indexed, no revision."""
    topic = save_topic(topic=_topic(**overrides))
    if tags:
        topic.tags.set(tags)
    return topic


def make_reference(**overrides) -> Reference:
    number = next(_counter)
    values = {"url": f"https://example.org/ref/{number}", "title": f"Reference {number}"}
    values.update(overrides)
    return Reference.objects.create(**values)


def cite(topic: Topic, reference: Reference, text: str = "") -> Citation:
    return Citation.objects.create(topic=topic, reference=reference, text=text)


def make_revision(*, topic: Topic, **overrides) -> Revision:
    values = {"title": topic.title, "body": topic.body, "message": "An edit"}
    values.update(overrides)
    return Revision.objects.create(topic=topic, **values)


def wipe_content() -> None:
    """Delete everything an import creates (for fixtures that live outside a test).

    Rounds go first, with their ballots: a closed round's candidates cannot be deleted.
    """
    from topics.services.voting import filling_closed_round

    with transaction.atomic(), filling_closed_round():
        Ballot.objects.all().delete()
        Round.objects.all().delete()
    Citation.objects.all().delete()
    Revision.objects.all().delete()
    Topic.objects.filter(parent__isnull=False).delete()
    Topic.objects.all().delete()
    Section.objects.all().delete()
    Reference.objects.all().delete()
    Image.objects.all().delete()
    Tag.objects.all().delete()
    SiteIdentity.objects.all().delete()


def make_stakeholder(username: str = "ada", *, verified: bool = False):
    user = make_user(username=username)
    user.groups.add(Group.objects.get(name="Stakeholders"))
    Profile.objects.create(
        user=user,
        display_name=username.title(),
        affiliation="Example project",
        group=StakeholderGroup.objects.first(),
    )
    return user


def make_editor(username: str = "eddie"):
    user = make_user(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    Profile.objects.create(user=user, display_name=username.title())
    return user


def make_maintainer(username: str = "maud"):
    user = make_user(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="Maintainers"))
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def published_topic(*, tags: list[str] | None = None, **overrides) -> Topic:
    """A published topic with its first revision, as the site makes them."""
    return create_published_topic(topic=_topic(**overrides), tags=tags or (), message="First")


def suggestion(topic: Topic, body: str, *, author=None, tags: str = "", message: str = "m"):
    """`author`'s suggested new body for `topic`, written from its published text (title
    and summary kept), waiting for review."""
    return workflow.suggest_edit(
        author=author,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, topic.summary, body, tags),
        message=message,
    )


def publish_body(topic: Topic, body: str, editor, *, tags: str = "", message: str = "m") -> None:
    """A new body (and `tags`) for `topic`, suggested from its published text and published
    by `editor`, title and summary kept: another editor's publish, as a test meets it."""
    topic.refresh_from_db()
    edit = suggestion(topic, body, tags=tags, message=message)
    workflow.publish_revision(revision=edit, by=editor)


def make_round(*, slugs=("a", "b", "c"), state="open", **overrides) -> Round:
    now = timezone.now()
    times = {
        "open": (now - timedelta(days=1), now + timedelta(days=1)),
        "closed": (now - timedelta(days=2), now - timedelta(days=1)),
        "upcoming": (now + timedelta(days=1), now + timedelta(days=2)),
    }[state]
    values = {
        "title": "Priorities 2026",
        "slug": "priorities-2026",
        "opens_at": times[0],
        "closes_at": times[1],
    }
    values.update(overrides)
    # A round is final once it is closed; a new row may be created closed (a past vote).
    round_ = Round.objects.create(**values)
    topics = [
        Topic.objects.filter(slug=slug).first()
        or make_topic(slug=slug, title=f"Topic {slug.upper()}")
        for slug in slugs
    ]
    round_.candidates.set(topics)
    return round_


def verified(username="vera", group_slug="hardware-vendors"):
    user = make_stakeholder(username)
    Profile.objects.filter(user=user).update(
        verified_at=timezone.now(), group=StakeholderGroup.objects.get(slug=group_slug)
    )
    return user


def add_ballots(round_: Round, rankings: list[list[list[int]]], *, group: str = "") -> None:
    """Store ballots (tie groups of topic ids) in a round, even a closed one, as an import does."""
    from django.db import transaction

    from topics.services.voting import filling_closed_round, imported_voter_key

    start = round_.ballots.count()
    with transaction.atomic(), filling_closed_round():
        Ballot.objects.bulk_create(
            Ballot(
                round=round_,
                voter_key=imported_voter_key(round_, f"test-voter-{start + number}"),
                group_name=group,
                ranking=ranking,
            )
            for number, ranking in enumerate(rankings)
        )


def png_bytes(size=(4, 3), color=(200, 30, 30)) -> bytes:
    """A small real PNG image."""
    import io

    from PIL import Image as PILImage

    output = io.BytesIO()
    PILImage.new("RGB", size, color).save(output, format="PNG")
    return output.getvalue()


def queries_for(client: Client, url: str) -> tuple[int, str]:
    """The number of queries a GET of `url` costs (it must answer 200), and the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries), response.content.decode()


def count_queries(client: Client, url: str) -> int:
    """The number of queries a GET of `url` costs (it must answer 200)."""
    return queries_for(client, url)[0]


def resubmitted(opened: dict, form, *shown: str) -> dict:
    """What a browser posts when the admin's topic form comes back with an error: `opened`,
    with the hidden fields and the fields named in `shown` as the page now shows them."""
    names = ("seen", "seen_fields", "seen_text", *shown)
    return {**opened, **{name: form[name].value() for name in names}}


def admin_topic_form(topic: Topic | None = None, **overrides) -> dict:
    """What the admin's topic form posts (for `topic`, or a new one), with `overrides`."""
    data = {
        "title": topic.title if topic else "A title",
        "slug": topic.slug if topic else "a-title",
        "status": "published",
        "summary": "",
        "body": "Text",
        "tags": "",
        "section": "",
        "parent": "",
        "order": "0",
        "nav_title": "",
        "created_at_0": "2024-01-01",
        "created_at_1": "10:00:00",
        "updated_at_0": "2024-01-01",
        "updated_at_1": "10:00:00",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        # The hidden fields: the published revision, place, state and text the page was opened on.
        "seen": (topic.current_revision_id or "") if topic else "",
        "seen_fields": json.dumps(
            {
                "slug": topic.slug,
                "status": topic.status,
                "section": topic.section_id,
                "parent": topic.parent_id,
                "order": topic.order,
                "nav_title": topic.nav_title,
                "is_home": topic.is_home,
            }
        )
        if topic
        else "",
        "seen_text": json.dumps(astuple(workflow.Text.of_topic(topic))) if topic else "",
    }
    data.update(overrides)
    return data


def nav_pages(corpus) -> list[str]:
    """Every Markdown file named in a MkDocs project's nav, in order (as the importer reads it)."""
    import yaml

    from topics.importers.mkdocs_source import MkDocsConfigLoader

    config = yaml.load((corpus / "mkdocs.yml").read_text(), Loader=MkDocsConfigLoader)  # noqa: S506
    found: list[str] = []

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                walk(value)
            else:
                found.append(value)

    walk(config["nav"])
    return found


def nav_links_marked_current(page: str) -> list[str]:
    """The links of each navigation tree on a page that say they are the page being read."""
    trees = re.findall(r'<nav class="nav-tree".*?</nav>', page, re.S)
    marked = r'<a [^>]*aria-current="page"[^>]*>'
    return [link for tree in trees for link in re.findall(marked, tree)]
