# djmig: nothing to report in this file (the app is not installed: DM305 in settings).
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("loyalty", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="points",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
