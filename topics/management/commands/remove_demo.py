"""python manage.py remove_demo: delete every piece of demo content load_demo wrote."""

from django.core.management.base import BaseCommand

from topics.demo.loading import remove_demo


class Command(BaseCommand):
    help = (
        "Delete all demo content: its sections, topics, voting rounds with their ballots, "
        "and demo accounts (the development account admin / admin stays)."
    )

    def handle(self, *args, **options):
        report = remove_demo()
        for note in report.kept:
            self.stderr.write(self.style.WARNING(f"kept: {note}"))
        if not report.removed:
            self.stdout.write("No demo content to remove.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed the demo content: {report.removed}, {report.references} references "
                f"and {report.tags} tags only it used."
            )
        )
