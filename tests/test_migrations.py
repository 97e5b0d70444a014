"""Migrations follow expand/contract, so the old version keeps serving while they run.

A rolling deploy runs the new version's migrations while containers of the old
version still answer (README, "Migrations while the old version serves"). Each
migration after the baseline may only expand the schema; removing or renaming
what the old code reads waits for a later migration whose name says `contract`,
once no old code runs.
"""

from django.apps import apps
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

# Migrations up to this one were written before the rule (single-server deploys).
BASELINE = 16
DESTRUCTIVE = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterField,
    migrations.RemoveConstraint,
)


def new_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app == "topics" and name[:4].isdigit() and int(name[:4]) > BASELINE:
            yield name, migration


def violations(name: str, migration) -> list[str]:
    found = []
    for operation in migration.operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            database_ops = operation.database_operations
        else:
            database_ops = [operation]
        for op in database_ops:
            if isinstance(op, DESTRUCTIVE) and "contract" not in name:
                found.append(f"{name}: {type(op).__name__} before the old code is gone")
            if isinstance(op, migrations.AddField):
                field = op.field
                required = (
                    not field.null
                    and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED
                    and not isinstance(field, models.ManyToManyField)
                )
                if required:
                    found.append(
                        f"{name}: {op.model_name}.{op.name} is NOT NULL without a "
                        "database default (db_default): the old code's INSERTs would fail"
                    )
    return found


def test_every_migration_after_the_baseline_only_expands_the_schema():
    assert apps.get_app_config("topics")
    found = [v for name, migration in new_migrations() for v in violations(name, migration)]
    assert found == []


def test_the_rule_catches_a_removed_column_and_a_required_new_one():
    class Removes(migrations.Migration):
        operations = [
            migrations.RemoveField("topic", "summary"),
            migrations.AddField("topic", "colour", models.CharField(max_length=9, default="")),
            migrations.AddField("topic", "shade", models.CharField(max_length=9, db_default="")),
            migrations.AddField("topic", "tone", models.CharField(max_length=9, null=True)),
        ]

    found = violations("0099_tidy", Removes("0099_tidy", "topics"))
    assert len(found) == 2
    assert violations("0100_contract_summary", Removes("0100_contract_summary", "topics")) == [
        found[1].replace("0099_tidy", "0100_contract_summary")
    ]
