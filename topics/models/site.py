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


class SiteIdentity(models.Model):
    """The site's name, description, attribution and licence: one row, edited in the admin.

    An import fills it from `mkdocs.yml` and the project's licence file; any
    field left blank falls back to the settings (`KB_SITE_NAME`,
    `KB_SITE_URL`), and `topics.site_identity.current_identity` serves it
    from the cache.
    """

    SINGLETON_ID = 1

    name = models.CharField(
        max_length=200, blank=True, help_text="Shown in the header and every page's title."
    )
    description = models.TextField(
        blank=True, help_text="One sentence: the home page's and the feed's subtitle."
    )
    url = models.URLField(
        "site address",
        blank=True,
        help_text="This site's address, used in emails (blank: KB_SITE_URL).",
    )
    copyright = models.TextField(
        blank=True,
        help_text="The footer's copyright line (simple HTML: links, emphasis).",
    )
    repo_url = models.URLField(
        "repository",
        blank=True,
        help_text="Where the original text is kept (linked in the footer).",
    )
    repo_name = models.CharField("repository name", max_length=200, blank=True)
    source_url = models.URLField(
        "original site", blank=True, help_text="The address of the site the content came from."
    )
    licence = models.CharField(
        max_length=100,
        blank=True,
        help_text='The content\'s licence, e.g. "MIT" or "BSD-3-Clause".',
    )
    licence_url = models.URLField(blank=True, help_text="Where the full licence can be read.")
    licence_text = models.TextField(blank=True, help_text="The full licence, as imported.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site identity"
        verbose_name_plural = "site identity"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="site_identity_single_row")
        ]

    def __str__(self) -> str:
        return self.name or "Site identity"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)
