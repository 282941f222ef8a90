# djmig: DM205. rating was nullable since 0001_initial; making it NOT NULL without a backfill
# of the existing NULL ratings fails on any review that has none.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0002_review_author_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="review",
            name="rating",
            field=models.PositiveSmallIntegerField(),
        ),
    ]
