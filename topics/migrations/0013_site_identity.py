"""The site's identity (name, description, attribution, licence): one row, edited in the admin."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0012_closed_rounds_are_final_in_postgresql"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        blank=True,
                        help_text="Shown in the header and every page's title.",
                        max_length=200,
                    ),
                ),
                (
                    "description",
                    models.TextField(
                        blank=True,
                        help_text="One sentence: the home page's and the feed's subtitle.",
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        blank=True,
                        help_text="Address for feed and sitemap links (blank: as requested).",
                        verbose_name="site address",
                    ),
                ),
                (
                    "copyright",
                    models.TextField(
                        blank=True,
                        help_text="The footer's copyright line (simple HTML: links, emphasis).",
                    ),
                ),
                (
                    "repo_url",
                    models.URLField(
                        blank=True,
                        help_text="Where the original text is kept (linked in the footer).",
                        verbose_name="repository",
                    ),
                ),
                (
                    "repo_name",
                    models.CharField(blank=True, max_length=200, verbose_name="repository name"),
                ),
                (
                    "source_url",
                    models.URLField(
                        blank=True,
                        help_text="The address of the site the content came from.",
                        verbose_name="original site",
                    ),
                ),
                (
                    "licence",
                    models.CharField(
                        blank=True,
                        help_text='The content\'s licence, e.g. "MIT" or "BSD-3-Clause".',
                        max_length=100,
                    ),
                ),
                (
                    "licence_url",
                    models.URLField(blank=True, help_text="Where the full licence can be read."),
                ),
                (
                    "licence_text",
                    models.TextField(blank=True, help_text="The full licence, as imported."),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "site identity",
                "verbose_name_plural": "site identity",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("id", 1)), name="site_identity_single_row"
                    )
                ],
            },
        ),
    ]
