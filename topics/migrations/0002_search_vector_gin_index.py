"""A GIN index on the stored search vector, on PostgreSQL only.

SQLite has no tsvector type: there the column is plain storage that stays
empty and search falls back to a simple LIKE search.
"""

from django.db import migrations

INDEX = "topics_topic_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON topics_topic USING GIN (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("topics", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
