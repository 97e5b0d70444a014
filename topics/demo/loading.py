"""Load the demo content, tell whether a database holds any, and remove all of it.

Everything `load_demo` writes is marked `is_demo` (sections, topics, rounds,
the accounts' profiles); ballots belong to demo rounds. `remove_demo` deletes
exactly what is marked, and what only the demo used (its references, its tags).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from topics.demo.content import (
    CLOSED_ROUND,
    CLOSED_ROUND_BALLOTS,
    DEMO_ACCOUNTS,
    DEMO_NOTE,
    DEMO_PASSWORD,
    DEMO_TAG,
    OPEN_ROUND,
    SECTIONS,
)
from topics.models import (
    Ballot,
    Profile,
    Reference,
    Round,
    Section,
    StakeholderGroup,
    Tag,
    Topic,
)
from topics.models.voting import closed_rounds_holding
from topics.services.content import create_published_topic
from topics.services.voting import filling_closed_round, imported_voter_key, voter_key

DEMO_SECTION_ORDER = 1000  # after anything imported, which starts at 10
STAKEHOLDERS = "Stakeholders"
OPEN_ROUND_DAYS = 365


class DemoAccountsRefused(Exception):
    """Accounts with well-known passwords are only created while DEBUG is on."""


@dataclass
class DemoContent:
    """How much demo content a database holds."""

    sections: int = 0
    topics: int = 0
    rounds: int = 0
    ballots: int = 0
    accounts: int = 0

    def __bool__(self) -> bool:
        return any((self.sections, self.topics, self.rounds, self.accounts))

    def __str__(self) -> str:
        parts = [
            (self.topics, "topic"),
            (self.sections, "section"),
            (self.rounds, "voting round"),
            (self.ballots, "ballot"),
            (self.accounts, "account"),
        ]
        return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n)


@dataclass
class DemoRemoval:
    """What `remove_demo` deleted, and what it had to keep."""

    removed: DemoContent
    references: int = 0
    tags: int = 0
    kept: list[str] = field(default_factory=list)


def demo_content() -> DemoContent:
    """Count the demo rows in the database."""
    return DemoContent(
        sections=Section.objects.filter(is_demo=True).count(),
        topics=Topic.objects.filter(is_demo=True).count(),
        rounds=Round.objects.filter(is_demo=True).count(),
        ballots=Ballot.objects.filter(round__is_demo=True).count(),
        accounts=Profile.objects.filter(is_demo=True).count(),
    )


@transaction.atomic
def load_demo(*, accounts: bool = False) -> DemoContent:
    """Add the demo sections, topics and rounds (and accounts); what exists is left alone.

    Returns what was added.
    """
    added = DemoContent()
    if accounts:
        added.accounts = _create_accounts()
    for position, data in enumerate(SECTIONS, start=1):
        section, created = Section.objects.get_or_create(
            slug=data["slug"],
            defaults={
                "title": data["title"],
                "description": data["description"],
                "numbered": data["numbered"],
                "order": DEMO_SECTION_ORDER + position * 10,
                "is_demo": True,
            },
        )
        added.sections += created
        for order, item in enumerate(data["topics"], start=1):
            if not Topic.objects.filter(slug=item["slug"]).exists():
                _create_topic(item, section=section, order=order)
                added.topics += 1
    added.rounds, added.ballots = _create_rounds()
    return added


def _create_topic(item: dict, *, section: Section, order: int) -> Topic:
    tags = [*item["tags"], DEMO_TAG]
    topic = Topic(
        slug=item["slug"],
        title=item["title"],
        summary=item["summary"],
        body=DEMO_NOTE + item["body"],
        section=section,
        order=order,
        is_demo=True,
    )
    return create_published_topic(
        topic=topic, tags=tags, author_name="demo", message="Demo content"
    )


def _create_rounds() -> tuple[int, int]:
    """A closed round with invented ballots and an open one for the demo accounts."""
    topics = {
        t.slug: t for t in Topic.objects.filter(section__slug="demo-key-issues", is_demo=True)
    }
    if len(topics) < 2:
        return 0, 0
    now = timezone.now()
    rounds = ballots = 0
    if not Round.objects.filter(slug=CLOSED_ROUND["slug"]).exists():
        closed = Round.objects.create(
            **CLOSED_ROUND,
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1),
            imported=True,  # invented ballots: nobody could vote in it here
            is_demo=True,
        )
        closed.candidates.set(topics.values())
        groups = list(StakeholderGroup.objects.order_by("order"))
        with filling_closed_round():
            Ballot.objects.bulk_create(
                Ballot(
                    round=closed,
                    voter_key=imported_voter_key(closed, f"demo-voter-{number}"),
                    group_name=groups[number % len(groups)].name if groups else "",
                    ranking=[[topics[slug].pk for slug in tie if slug in topics] for tie in ballot],
                )
                for number, ballot in enumerate(CLOSED_ROUND_BALLOTS, start=1)
            )
        rounds, ballots = rounds + 1, len(CLOSED_ROUND_BALLOTS)
    if not Round.objects.filter(slug=OPEN_ROUND["slug"]).exists():
        opened = Round.objects.create(
            **OPEN_ROUND,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=OPEN_ROUND_DAYS),
            show_partial_results=True,
            is_demo=True,
        )
        opened.candidates.set(topics.values())
        rounds += 1
    return rounds, ballots


def _create_accounts() -> int:
    """The demo stakeholders (verified, one per group), with the documented password."""
    if not settings.DEBUG:
        raise DemoAccountsRefused(
            "Demo accounts have a well-known password; they are created only with DEBUG on."
        )
    User = get_user_model()  # noqa: N806
    stakeholders = Group.objects.get(name=STAKEHOLDERS)
    created = 0
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(username=account["username"]).exists():
            continue
        user = User.objects.create_user(
            username=account["username"],
            email=f"{account['username']}@example.invalid",
            password=DEMO_PASSWORD,
        )
        user.groups.add(stakeholders)
        Profile.objects.create(
            user=user,
            display_name=account["display_name"],
            affiliation="Demo",
            group=StakeholderGroup.objects.filter(slug=account["group"]).first(),
            verified_at=timezone.now(),
            is_demo=True,
        )
        created += 1
    return created


@transaction.atomic
def remove_demo() -> DemoRemoval:
    """Delete all demo content: its rounds with their ballots, topics, sections and accounts."""
    report = DemoRemoval(removed=demo_content())
    rounds = Round.objects.filter(is_demo=True)
    # A closed round's ballots are final; deleting a demo round is the one exception.
    with filling_closed_round():
        Ballot.objects.filter(round__in=rounds).delete()
    rounds.delete()

    User = get_user_model()  # noqa: N806
    accounts = User.objects.filter(profile__is_demo=True)
    report.kept += _remove_ballots_elsewhere(list(accounts))
    accounts.delete()

    # A real closed round that ranked a demo topic keeps it: its results are final.
    held = Topic.objects.filter(is_demo=True, rounds__in=Round.objects.closed()).distinct()
    for topic in held:
        rounds = ", ".join(closed_rounds_holding([topic]).values_list("title", flat=True))
        report.kept.append(f"topic {topic.slug!r} is a candidate of the closed round {rounds}")
    topics = Topic.objects.filter(is_demo=True).exclude(pk__in=held.values("pk"))
    reference_ids = set(topics.values_list("references", flat=True)) - {None}
    tag_ids = set(topics.values_list("tags", flat=True)) - {None}
    kept_children = Topic.objects.filter(parent__in=topics, is_demo=False)
    for child in kept_children:
        report.kept.append(f"topic {child.slug!r} (not demo) was a sub-page of a demo topic")
    kept_children.update(parent=None)
    topics.update(parent=None)  # sub-pages are protected from their parent's deletion
    topics.delete()
    for section in Section.objects.filter(is_demo=True):
        if section.topics.exists():
            report.kept.append(f"section {section.slug!r} holds topics that are not demo; it stays")
        else:
            section.delete()
    _, deleted = Reference.objects.filter(pk__in=reference_ids, citations__isnull=True).delete()
    report.references = deleted.get(Reference._meta.label, 0)
    _, deleted = Tag.objects.filter(pk__in=tag_ids, tagged_topics__isnull=True).delete()
    report.tags = deleted.get(Tag._meta.label, 0)
    return report


def _remove_ballots_elsewhere(accounts: list) -> list[str]:
    """Demo accounts' ballots in rounds that are not demo: open ones go, closed ones are final."""
    notes = []
    for round_ in Round.objects.filter(is_demo=False).exclude(ballots=None):
        keys = [voter_key(user, round_) for user in accounts if hasattr(user, "voter_secret")]
        ballots = Ballot.objects.filter(round=round_, voter_key__in=keys)
        if not keys or not ballots.exists():
            continue
        if round_.is_closed:
            notes.append(
                f"{ballots.count()} ballot(s) by demo accounts in the closed round "
                f"{round_.slug!r} stay: a closed round's ballots are final"
            )
        else:
            ballots.delete()
    return notes
