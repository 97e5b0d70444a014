"""Feedback and suggested references share one status vocabulary and one answer field.

Statuses: pending, accepted, declined (feedback was new/accepted/dismissed,
suggested references pending/accepted/rejected); `response` and `reason`
become `answer`. Their review events say "declined" too.
"""

from django.db import migrations, models

FORWARD_STATUS = {"new": "pending", "dismissed": "declined", "rejected": "declined"}
BACKWARD_FEEDBACK = {"pending": "new", "declined": "dismissed"}
BACKWARD_SUGGESTION = {"declined": "rejected"}


def forward(apps, schema_editor):
    for name in ("Feedback", "ReferenceSuggestion"):
        model = apps.get_model("topics", name)
        for old, new in FORWARD_STATUS.items():
            model.objects.filter(status=old).update(status=new)
    ReviewEvent = apps.get_model("topics", "ReviewEvent")
    ReviewEvent.objects.filter(revision=None, action__in=["dismissed", "rejected"]).update(
        action="declined"
    )


def backward(apps, schema_editor):
    Feedback = apps.get_model("topics", "Feedback")
    for new, old in BACKWARD_FEEDBACK.items():
        Feedback.objects.filter(status=new).update(status=old)
    ReferenceSuggestion = apps.get_model("topics", "ReferenceSuggestion")
    for new, old in BACKWARD_SUGGESTION.items():
        ReferenceSuggestion.objects.filter(status=new).update(status=old)
    ReviewEvent = apps.get_model("topics", "ReviewEvent")
    ReviewEvent.objects.filter(feedback__isnull=False, action="declined").update(action="dismissed")
    ReviewEvent.objects.filter(reference_suggestion__isnull=False, action="declined").update(
        action="rejected"
    )


STATUS = models.CharField(
    choices=[("pending", "Awaiting an editor"), ("accepted", "Accepted"), ("declined", "Declined")],
    db_index=True,
    default="pending",
    max_length=20,
)
ANSWER = models.TextField(blank=True, help_text="The editor's answer; a reason when declined.")


class Migration(migrations.Migration):
    dependencies = [("topics", "0015_reference_context")]

    operations = [
        migrations.RenameField(model_name="feedback", old_name="response", new_name="answer"),
        migrations.RenameField(
            model_name="referencesuggestion", old_name="reason", new_name="answer"
        ),
        migrations.AlterField(model_name="feedback", name="answer", field=ANSWER),
        migrations.AlterField(model_name="referencesuggestion", name="answer", field=ANSWER),
        migrations.AlterField(model_name="feedback", name="status", field=STATUS),
        migrations.AlterField(model_name="referencesuggestion", name="status", field=STATUS),
        migrations.AlterField(
            model_name="reviewevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("submitted", "Submitted"),
                    ("resubmitted", "Revised and resubmitted"),
                    ("changes_requested", "Changes requested"),
                    ("published", "Published"),
                    ("rejected", "Rejected"),
                    ("merged", "Merged into a newer text"),
                    ("restored", "Restored"),
                    ("edited", "Edited directly"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
