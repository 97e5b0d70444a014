"""State of the site as a whole."""

from django.db import models
from django.utils import timezone


class ContentChange(models.Model):
    """One row per write that readers could see; the newest id keys the page cache.

    Writes insert rows (inserts never wait on each other, and they roll back
    with the transaction that made them), and every worker reads the same
    newest id from the database, so no message between processes is needed.
    """

    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"change {self.pk}"
