# djmig: DM206. Dropping a column works, but the release still running during the deploy
# selects it and fails until the new code is live.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0003_alter_review_rating"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="review",
            name="body",
        ),
    ]
