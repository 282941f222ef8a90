# djmig: DM103 circular-dependency on the ("orders", "0004_order_payment") tuple.
# Refund points at orders.OrderLine, and someone bumped the dependency to orders' latest
# migration, 0004_order_payment -- which itself depends on this migration. The cycle
# payments.0002_refund -> orders.0004_order_payment -> payments.0002_refund makes every
# migrate/makemigrations fail with CircularDependencyError. ("orders", "0001_initial"),
# which creates OrderLine, is all this migration needs.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0001_initial"),
        ("orders", "0004_order_payment"),
    ]

    operations = [
        migrations.CreateModel(
            name="Refund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                ("reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("line", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orders.orderline")),
                ("payment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="refunds", to="payments.payment")),
            ],
        ),
    ]
