# djmig: DM201 irreversible-run-python on the `migrations.RunPython(` call.
# No reverse_code: `migrate orders 0001` (or rolling back a deploy) fails with
# IrreversibleError. Quick fix: add migrations.RunPython.noop as the reverse.
from django.db import migrations, models


def assign_order_numbers(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(number="").order_by("pk"):
        order.number = f"SO-{order.created_at:%Y}-{order.pk:06d}"
        order.save(update_fields=["number"])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="number",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.RunPython(assign_order_numbers),
    ]
