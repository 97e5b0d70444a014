"""Point every existing topic at its latest published revision (readers' text)."""

from django.db import migrations


def set_current(apps, schema_editor):
    Topic = apps.get_model("topics", "Topic")
    Revision = apps.get_model("topics", "Revision")
    for topic in Topic.objects.filter(current_revision=None).iterator():
        latest = (
            Revision.objects.filter(topic=topic, status="published")
            .order_by("-created_at", "-id")
            .first()
        )
        if latest:
            Topic.objects.filter(pk=topic.pk).update(current_revision=latest)


class Migration(migrations.Migration):
    dependencies = [("topics", "0004_roles_and_stakeholder_groups")]
    operations = [migrations.RunPython(set_current, migrations.RunPython.noop)]
