# djmig: DM203. A NOT NULL column without a default, added to a table that already has rows:
# `migrate` fails with "NOT NULL constraint failed" (SQLite) or 'column "author_name"
# contains null values' (PostgreSQL).
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="author_name",
            field=models.CharField(max_length=100),
        ),
    ]
