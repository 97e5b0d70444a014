"""Give maintainers the permissions of the voting models (created after the roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    maintainers = Group.objects.filter(name="Maintainers").first()
    if maintainers:
        maintainers.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="topics", content_type__model__in=["round", "ballot"]
            )
        )
    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="topics", codename__in=["view_round", "view_ballot"]
            )
        )


class Migration(migrations.Migration):
    dependencies = [("topics", "0006_voting")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
