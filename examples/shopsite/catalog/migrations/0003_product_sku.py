# djmig: DM101 multiple-leaf-nodes on the `class Migration` line.
# Written on one branch, while 0003_product_weight_grams.py was written on another, both
# on top of 0002_product_slug: app "catalog" now has two leaf nodes, and `migrate` stops
# with "Conflicting migrations detected" until a merge migration is added.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_product_slug"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku",
            field=models.CharField(blank=True, max_length=32),
        ),
    ]
