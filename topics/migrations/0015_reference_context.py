"""References worth reading: the sentence a citation's link is in, and more kinds.

A link written as "here" gets a title made from its URL; the sentence
around it is kept on the citation. Projects and packages, articles and
books get kinds of their own, so that few references are left as "Other";
talks include podcasts. Existing references are reclassified when their
topics are next saved or imported (topics/services/content.py).
"""

from django.db import migrations, models

KINDS = [
    ("pep", "PEP"),
    ("issue", "Issue or pull request"),
    ("forum", "Forum thread"),
    ("blog", "Blog post"),
    ("talk", "Talk or podcast"),
    ("docs", "Documentation"),
    ("paper", "Paper"),
    ("book", "Book"),
    ("article", "Article"),
    ("project", "Project or package"),
    ("other", "Other"),
]


class Migration(migrations.Migration):
    dependencies = [("topics", "0014_demo_content")]

    operations = [
        migrations.AddField(
            model_name="citation",
            name="context",
            field=models.TextField(
                blank=True,
                help_text="The sentence of the body the link is in (for a link like 'here').",
            ),
        ),
        migrations.AlterField(
            model_name="reference",
            name="kind",
            field=models.CharField(choices=KINDS, db_index=True, default="other", max_length=20),
        ),
        migrations.AlterField(
            model_name="referencesuggestion",
            name="kind",
            field=models.CharField(choices=KINDS, default="other", max_length=20),
        ),
    ]
