# djmig: DM101 multiple-leaf-nodes on the `class Migration` line.
# The other leaf of app "catalog" (see 0003_product_sku.py).
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_product_slug"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="weight_grams",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
