"""Secret ballots (a voter key instead of the voter), receipts, eligibility snapshots,
imported rounds, and the round a section follows.

Existing ballots keep their link to their voter through the new key: each
voter gets a random secret, and the key is derived from it; imported
ballots get a key from their label in the file.
"""

import hashlib
import secrets

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def link_ballots_by_key(apps, schema_editor):
    Ballot = apps.get_model("topics", "Ballot")
    VoterSecret = apps.get_model("topics", "VoterSecret")
    Round = apps.get_model("topics", "Round")
    imported_rounds = set()
    site_rounds = set()
    for ballot in Ballot.objects.all().iterator():
        if ballot.voter_id:
            secret, _ = VoterSecret.objects.get_or_create(
                user_id=ballot.voter_id, defaults={"secret": secrets.token_hex(32)}
            )
            key = hashlib.sha256(f"{secret.secret}:{ballot.round_id}".encode()).hexdigest()
            site_rounds.add(ballot.round_id)
        else:
            label = ballot.voter_label or f"ballot-{ballot.pk}"
            key = hashlib.sha256(f"import:{ballot.round_id}:{label}".encode()).hexdigest()
            imported_rounds.add(ballot.round_id)
        Ballot.objects.filter(pk=ballot.pk).update(voter_key=key)
    Round.objects.filter(pk__in=imported_rounds - site_rounds).update(imported=True)


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0010_notifications_and_input_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VoterSecret",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret", models.CharField(editable=False, max_length=64)),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="voter_secret", to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name="RoundEligibility",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("group_name", models.CharField(max_length=200)),
                ("eligible", models.PositiveIntegerField()),
                ("round", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="eligibility", to="topics.round")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("round", "group_name"), name="eligibility_once")],
            },
        ),
        migrations.AddField(
            model_name="round",
            name="imported",
            field=models.BooleanField(default=False, editable=False, help_text="Ballots collected elsewhere and imported: who could vote is unknown."),
        ),
        migrations.AddField(
            model_name="section",
            name="ranking_round",
            field=models.ForeignKey(blank=True, help_text="The closed voting round whose result orders this section. Empty: the most recently closed round (by its own dates) whose candidates are this section's topics.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="topics.round"),
        ),
        migrations.AddField(
            model_name="ballot",
            name="voter_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ballot",
            name="receipt_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(link_ballots_by_key, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="ballot", name="ballot_one_per_voter"),
        migrations.RemoveConstraint(model_name="ballot", name="ballot_one_per_imported_voter"),
        migrations.RemoveField(model_name="ballot", name="voter"),
        migrations.RemoveField(model_name="ballot", name="voter_label"),
        migrations.AlterField(
            model_name="ballot",
            name="round",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="ballots", to="topics.round"),
        ),
        migrations.AddConstraint(
            model_name="ballot",
            constraint=models.UniqueConstraint(fields=("round", "voter_key"), name="ballot_one_per_voter"),
        ),
    ]
