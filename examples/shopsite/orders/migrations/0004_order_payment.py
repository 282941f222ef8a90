# djmig: DM103 circular-dependency on the ("payments", "0002_refund") tuple.
# This migration depends on payments.0002_refund, which depends back on this migration
# (see payments/migrations/0002_refund.py): Django fails with CircularDependencyError.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0003_orderline_product_slug"),
        ("payments", "0002_refund"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="payment",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="payments.payment"),
        ),
    ]
