"""python manage.py import_ballots FILE.csv --round SLUG --opened DATE --closed DATE [--title T]"""

from datetime import UTC, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.importers.ballots import BallotFileError, decode_ballots_file, import_ballots


class Command(BaseCommand):
    help = "Import ranked ballots collected elsewhere (CSV: voter,group,ranking)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--round", required=True, dest="round_slug", help="the round's slug")
        parser.add_argument("--title", default="", help="title of the round, if it is created")
        parser.add_argument(
            "--opened", type=_moment, help="when the vote opened (YYYY-MM-DD or ISO 8601, UTC)"
        )
        parser.add_argument(
            "--closed",
            type=_moment,
            help="when the vote closed (not in the future); a date means the end of that day",
        )

    def handle(self, *args, file: Path, round_slug: str, title: str, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read it ({exc.strerror or exc})") from exc
        try:
            text = decode_ballots_file(data)
            result = import_ballots(
                text=text,
                round_slug=round_slug,
                title=title,
                opened=options.get("opened"),
                closed=_end_of_day(options.get("closed")),
            )
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


def _moment(value: str) -> datetime:
    """A date or an ISO 8601 time; naive values are UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _end_of_day(moment: datetime | None) -> datetime | None:
    """A bare date for --closed means the end of that day."""
    if moment is not None and moment.time() == time(0, 0) and moment.second == 0:
        return moment.replace(hour=23, minute=59, second=59)
    return moment
