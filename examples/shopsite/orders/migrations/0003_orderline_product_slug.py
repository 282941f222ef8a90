# djmig: DM102 missing-dependency on the ("catalog", "0002_product_slugs") tuple.
# catalog's migration was renamed to 0002_product_slug after this file was written:
# Django fails with "NodeNotFoundError: Migration orders.0003_orderline_product_slug
# dependencies reference nonexistent parent node ('catalog', '0002_product_slugs')".
# Quick fix: depend on the closest existing name, catalog.0002_product_slug.
from django.db import migrations, models


def copy_product_slugs(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    for line in OrderLine.objects.select_related("product"):
        line.product_slug = line.product.slug
        line.save(update_fields=["product_slug"])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0002_order_number"),
        ("catalog", "0002_product_slugs"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="product_slug",
            field=models.SlugField(blank=True, max_length=200),
        ),
        migrations.RunPython(copy_product_slugs, migrations.RunPython.noop),
    ]
