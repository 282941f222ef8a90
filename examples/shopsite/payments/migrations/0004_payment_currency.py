# djmig: nothing to report. Everything here is reversible, or deliberately silenced:
#   - RunPython with RunPython.noop as its reverse;
#   - RunSQL with reverse_sql;
#   - a one-way RunPython silenced by a noqa comment for DM201 on its line.
from django.db import migrations, models


def set_currency_from_orders(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(order__customer__addresses__country="GB").update(currency="GBP")


def close_abandoned_payments(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(status="pending", order__status="cancelled").update(status="closed")


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0003_payment_reference_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="currency",
            field=models.CharField(default="EUR", max_length=3),
        ),
        migrations.RunPython(set_currency_from_orders, migrations.RunPython.noop),
        migrations.RunSQL(
            "UPDATE payments_payment SET reference = UPPER(reference);",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(close_abandoned_payments),  # noqa: DM201 (one-way clean-up)
    ]
