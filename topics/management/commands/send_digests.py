"""Send each person who chose a daily digest one email with what happened since the last."""

from django.core.management.base import BaseCommand

from topics.services.notifications import send_digests


class Command(BaseCommand):
    help = "Email the daily digests (run once a day from cron; safe to run twice)."

    def handle(self, *args, **options) -> None:
        sent = send_digests()
        self.stdout.write(f"{sent} digest{'s' if sent != 1 else ''} sent.")
