"""State of the site as a whole: the content version, and the site's identity."""

from __future__ import annotations

import nh3
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

# What a copyright line in mkdocs.yml uses (Material renders it as HTML).
COPYRIGHT_TAGS = {"a", "b", "br", "em", "i", "span", "strong"}


def content_changed(about=None) -> None:
    """Move the content version on; `about` names the rows written, when known.

    (The page cache decides what a change means; with `about`, a shared HTTP
    cache purges only the pages showing those rows.)
    """
    from topics.page_cache import bump_version

    bump_version(about=about)


class ContentQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes move the content version on, as saves do.

    Model signals (topics/signals.py) catch save() and delete(); update(),
    bulk_create() and bulk_update() send none, so on the tables readers see
    they go through here instead of every caller remembering to bump.
    """

    def update(self, **kwargs) -> int:
        count = super().update(**kwargs)
        if count:
            content_changed()
        return count

    def derived_update(self, **kwargs) -> int:
        """update() for derived data no page shows (the search index): no new version."""
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            content_changed(about=created)
        return created


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

    An import fills it from `mkdocs.yml` and the project's licence file. A
    blank name falls back to `KB_SITE_NAME`; a blank address to the address
    a request came to (emails keep using `KB_SITE_URL`).

    Pages read it once per rendering (`SiteIdentity.current()`, one lookup by
    primary key, no cheaper from Redis than from the database); anonymous
    readers get whole pages from the page cache, and saving the row moves
    the content version on (topics/signals.py), so no page shows an old name.
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
        help_text="Address for feed and sitemap links (blank: as requested).",
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

    @classmethod
    def current(cls) -> SiteIdentity:
        """The stored identity, or an empty one (every value from the settings)."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls()

    @property
    def display_name(self) -> str:
        return self.name or settings.KB_SITE_NAME

    @property
    def address(self) -> str:
        """This site's public address, without a trailing slash."""
        return (self.url or settings.KB_SITE_URL).rstrip("/")

    @property
    def copyright_html(self) -> SafeString:
        """The copyright line as HTML, with nothing but links and emphasis kept."""
        cleaned = nh3.clean(
            self.copyright,
            tags=COPYRIGHT_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
        return mark_safe(cleaned)  # noqa: S308 (sanitised by nh3 just above)

    @property
    def repo_label(self) -> str:
        """`owner/name` for a repository address, unless a name was given."""
        if self.repo_name:
            return self.repo_name
        path = self.repo_url.split("://", 1)[-1].split("/", 1)[-1].strip("/")
        return path.removesuffix(".git") or self.repo_url
