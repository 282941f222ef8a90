# djmig: DM104 unknown-app-dependency on the ("loyalty", "0002_member_points") tuple.
# The "loyalty" app was removed from INSTALLED_APPS after its points were copied into
# User.loyalty_points, but this migration still depends on it: Django fails with
# "NodeNotFoundError ... ('loyalty', '0002_member_points')" before running anything.
#
# djmig: DM204 not-null-on-existing-table on the AddField: loyalty_points is NOT NULL with
# a default on the existing accounts_user table. Django drops the column default once the
# rows are filled, so servers still running the previous release cannot create users.
#
# Not reported: the RunPython below has a reverse function.
# Depending on ("accounts", "0002_address"), which the squashed migration replaces, is fine.
from django.db import migrations, models


def copy_points_from_loyalty(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Member = apps.get_model("loyalty", "Member")
    for member in Member.objects.all():
        User.objects.filter(pk=member.user_id).update(loyalty_points=member.points)


def reset_points(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.update(loyalty_points=0)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_address"),
        ("loyalty", "0002_member_points"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="loyalty_points",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(copy_points_from_loyalty, reset_points),
    ]
