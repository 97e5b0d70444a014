"""python manage.py load_demo [--accounts]: a small demo knowledge base to try the site with."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from topics.demo.content import DEMO_ACCOUNTS, DEMO_PASSWORD
from topics.demo.loading import DemoAccountsRefused, load_demo


class Command(BaseCommand):
    help = (
        "Load demo sections, topics and voting rounds, all marked as demo "
        "(idempotent: existing ones are left alone; remove_demo deletes them)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accounts",
            "--admin",
            dest="accounts",
            action="store_true",
            help="also create the development accounts admin / admin and the verified demo "
            "stakeholders (refused unless DEBUG is on)",
        )

    def handle(self, *args, accounts: bool, **options):
        try:
            added = load_demo(accounts=accounts)
        except DemoAccountsRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Demo content added: {added or 'nothing new'}."))
        if accounts:
            self._create_admin()
            names = ", ".join(account["username"] for account in DEMO_ACCOUNTS)
            self.stdout.write(
                f"Demo stakeholders (verified, can vote): {names}; password {DEMO_PASSWORD!r}."
            )
        self.stdout.write("Remove all demo content with: python manage.py remove_demo")

    def _create_admin(self) -> None:
        User = get_user_model()  # noqa: N806
        if User.objects.filter(username="admin").exists():
            return
        User.objects.create_superuser("admin", "admin@example.com", "admin")
        self.stdout.write(self.style.WARNING("Created the development account admin / admin."))
