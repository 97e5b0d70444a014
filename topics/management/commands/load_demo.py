"""python manage.py load_demo: a small knowledge base to try the site with."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from topics.demo.content import SECTIONS
from topics.models import Ballot, Revision, Round, Section, StakeholderGroup, Topic
from topics.page_cache import bump_version
from topics.services.content import save_topic
from topics.services.voting import filling_closed_round, imported_voter_key


class Command(BaseCommand):
    help = "Load demo sections and topics (idempotent: existing ones are left alone)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--admin",
            action="store_true",
            help="also create the account admin / admin (refused unless DEBUG is on)",
        )

    @transaction.atomic
    def handle(self, *args, admin: bool, **options):
        created = 0
        for section_order, data in enumerate(SECTIONS, start=1):
            section, _ = Section.objects.get_or_create(
                slug=data["slug"],
                defaults={
                    "title": data["title"],
                    "description": data["description"],
                    "numbered": data["numbered"],
                    "order": section_order * 10,
                },
            )
            for order, item in enumerate(data["topics"], start=1):
                if Topic.objects.filter(slug=item["slug"]).exists():
                    continue
                topic = Topic(
                    slug=item["slug"],
                    title=item["title"],
                    summary=item["summary"],
                    body=item["body"],
                    section=section,
                    order=order,
                )
                save_topic(topic=topic)
                topic.tags.set(item["tags"])
                topic.current_revision = Revision.objects.create(
                    topic=topic,
                    title=topic.title,
                    summary=topic.summary,
                    body=topic.body,
                    tags=", ".join(item["tags"]),
                    author_name="demo",
                    message="Demo content",
                )
                topic.save(update_fields=["current_revision"])
                created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo content: {created} new topics."))
        self._demo_round()
        if admin:
            self._create_admin()

    def _create_admin(self) -> None:
        if not settings.DEBUG:
            raise CommandError("--admin creates a well-known password; only with DEBUG on.")
        User = get_user_model()  # noqa: N806
        if User.objects.filter(username="admin").exists():
            return
        User.objects.create_superuser("admin", "admin@example.com", "admin")
        self.stdout.write(self.style.WARNING("Created the development account admin / admin."))

    def _demo_round(self) -> None:
        """A closed demo vote over the key issues, so the ranking pages have something to show."""
        if Round.objects.filter(slug="demo-priorities").exists():
            return
        candidates = list(Topic.objects.filter(section__slug="key-issues", status="published"))
        if len(candidates) < 2:
            return
        first, second = candidates[0].pk, candidates[1].pk
        groups = list(StakeholderGroup.objects.order_by("order"))
        now = timezone.now()
        Round.objects.bulk_create(
            [
                Round(
                    slug="demo-priorities",
                    title="Demo: which key issue matters most?",
                    description="Invented ballots, so that the results page can be explored.",
                    opens_at=now - timedelta(days=30),
                    closes_at=now - timedelta(days=1),
                    imported=True,
                )
            ]
        )
        round_ = Round.objects.get(slug="demo-priorities")
        round_.candidates.set(candidates)
        # Most voters put the second issue first; one large group prefers the first.
        patterns = [[[second], [first]]] * 7 + [[[first], [second]]] * 5 + [[[first, second]]] * 2
        with filling_closed_round():
            Ballot.objects.bulk_create(
                Ballot(
                    round=round_,
                    voter_key=imported_voter_key(round_, f"demo-voter-{number}"),
                    group_name=groups[number % len(groups)].name if groups else "",
                    ranking=pattern,
                )
                for number, pattern in enumerate(patterns, start=1)
            )
        bump_version()
        self.stdout.write(self.style.SUCCESS("Demo voting round: 14 ballots."))
