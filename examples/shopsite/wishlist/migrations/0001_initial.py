# djmig: DM303 hardcoded-user-model on to="accounts.user": written by hand instead of
# settings.AUTH_USER_MODEL, with a dependency on ("accounts", "0001_initial") instead of
# swappable_dependency. It works today, and breaks the day AUTH_USER_MODEL changes (or in a
# project that reuses the app). The quick fix "Use settings.AUTH_USER_MODEL" rewrites both.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Wishlist",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="accounts.user")),
            ],
        ),
    ]
