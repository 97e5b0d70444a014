"""Feedback is Markdown, rendered and sanitised once when it is written."""

from django.db import migrations, models


def render_existing(apps, schema_editor):
    from topics.markdown import MarkdownError, render

    Feedback = apps.get_model("topics", "Feedback")
    for feedback in Feedback.objects.filter(body_html="").iterator():
        try:
            feedback.body_html = render(feedback.body).html
        except MarkdownError:
            continue
        feedback.save(update_fields=["body_html"])


class Migration(migrations.Migration):
    dependencies = [("topics", "0007_voting_permissions")]

    operations = [
        migrations.AddField(
            model_name="feedback",
            name="body_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
