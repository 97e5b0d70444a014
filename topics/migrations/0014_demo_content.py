"""Demo content is marked as such, so that it can be told apart and removed.

`load_demo` sets `is_demo` on what it creates; `remove_demo` deletes exactly
that. Databases that already hold the older, unmarked demo content get it
marked here: the topics `load_demo` wrote (by their slug and their "demo"
revision), its round, and the sections holding nothing else.
"""

from django.db import migrations, models

OLD_DEMO_TOPICS = [
    "how-topics-are-curated",
    "markdown-cheat-sheet",
    "shipping-compiled-extensions",
    "declaring-non-python-dependencies",
    "what-a-wheel-is",
]
OLD_DEMO_SECTIONS = ["getting-started", "key-issues", "background"]
OLD_DEMO_ROUND = "demo-priorities"


def mark_old_demo_content(apps, schema_editor):
    Topic = apps.get_model("topics", "Topic")  # noqa: N806
    Section = apps.get_model("topics", "Section")  # noqa: N806
    Round = apps.get_model("topics", "Round")  # noqa: N806
    Topic.objects.filter(
        slug__in=OLD_DEMO_TOPICS,
        source_path__isnull=True,
        revisions__author_name="demo",
        revisions__message="Demo content",
    ).update(is_demo=True)
    for section in Section.objects.filter(slug__in=OLD_DEMO_SECTIONS):
        topics = Topic.objects.filter(section=section)
        if topics.exists() and not topics.filter(is_demo=False).exists():
            Section.objects.filter(pk=section.pk).update(is_demo=True)
    Round.objects.filter(slug=OLD_DEMO_ROUND).update(is_demo=True)


class Migration(migrations.Migration):
    dependencies = [("topics", "0013_site_identity")]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="A demo account from load_demo; remove_demo deletes it.",
            ),
        ),
        migrations.AddField(
            model_name="round",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Demo content from load_demo; remove_demo deletes it.",
            ),
        ),
        migrations.AddField(
            model_name="section",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Demo content from load_demo; remove_demo deletes it.",
            ),
        ),
        migrations.AddField(
            model_name="topic",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Demo content from load_demo; remove_demo deletes it.",
            ),
        ),
        migrations.RunPython(mark_old_demo_content, migrations.RunPython.noop),
    ]
