"""python manage.py import_ballots FILE.csv --round SLUG [--title T]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.importers.ballots import BallotFileError, decode_ballots_file, import_ballots


class Command(BaseCommand):
    help = "Import ranked ballots collected elsewhere (CSV: voter,group,ranking)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--round", required=True, dest="round_slug", help="the round's slug")
        parser.add_argument("--title", default="", help="title of the round, if it is created")

    def handle(self, *args, file: Path, round_slug: str, title: str, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read it ({exc.strerror or exc})") from exc
        try:
            text = decode_ballots_file(data)
            result = import_ballots(text=text, round_slug=round_slug, title=title)
        except BallotFileError as exc:
            for error in exc.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(f"{file}: nothing imported ({len(exc.errors)} problems)") from exc
        action = "created (closed)" if result.created_round else "filled"
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.ballots} ballots into round {result.round.slug!r} ({action})."
            )
        )
