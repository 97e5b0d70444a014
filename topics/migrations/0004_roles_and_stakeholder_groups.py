"""Seed the roles (Django groups with permissions) and the initial stakeholder groups.

Reversible: going back removes the three role groups and the seeded stakeholder
groups that nobody has joined.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAKEHOLDER_PERMISSIONS = [
    "topics.add_revision",
    "topics.add_feedback",
    "topics.add_referencesuggestion",
    "topics.add_topicfollow",
    "topics.delete_topicfollow",
]
EDITOR_PERMISSIONS = STAKEHOLDER_PERMISSIONS + [
    "topics.review_revision",
    "topics.publish_revision",
    "topics.restore_revision",
    "topics.view_draft",
    "topics.confirm_review",
    "topics.verify_stakeholder",
    "topics.view_topic",
    "topics.view_revision",
    "topics.change_revision",
    "topics.view_reviewevent",
    "topics.view_feedback",
    "topics.change_feedback",
    "topics.view_referencesuggestion",
    "topics.change_referencesuggestion",
    "topics.view_profile",
    "topics.change_profile",
    "topics.view_reference",
    "topics.view_section",
]
ROLES = {"Stakeholders": STAKEHOLDER_PERMISSIONS, "Editors": EDITOR_PERMISSIONS}
MAINTAINER_APPS = ["topics", "taggit", "auth"]

STAKEHOLDER_GROUPS = [
    ("pydata-maintainers", "Maintainers of PyData libraries"),
    ("packaging-tools", "Packaging tools and repositories"),
    ("hardware-vendors", "Hardware vendors"),
    ("hpc-deployment", "HPC and deployment"),
    ("educators-community", "Educators and community"),
]


def seed(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return found

    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*permissions(names))
    maintainers, _ = Group.objects.get_or_create(name="Maintainers")
    maintainers.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=MAINTAINER_APPS)
    )
    StakeholderGroup = apps.get_model("topics", "StakeholderGroup")
    for order, (slug, name) in enumerate(STAKEHOLDER_GROUPS, start=1):
        StakeholderGroup.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})


def unseed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Stakeholders", "Editors", "Maintainers"]
    ).delete()
    apps.get_model("topics", "StakeholderGroup").objects.filter(
        slug__in=[slug for slug, _ in STAKEHOLDER_GROUPS], members=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0003_editorial_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
