# djmig: nothing to report. The data migration is reversible: its reverse is
# RunPython.noop, because unapplying the AddField drops the column anyway.
# (It was once called 0002_product_slugs; see orders/migrations/0003_orderline_product_slug.py.)
from django.db import migrations, models

from catalog.migrations.utils import unique_slug


def populate_slugs(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    taken = set()
    for product in Product.objects.order_by("pk"):
        product.slug = unique_slug(product.name, taken)
        product.save(update_fields=["slug"])


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="slug",
            field=models.SlugField(blank=True, max_length=200),
        ),
        migrations.RunPython(populate_slugs, migrations.RunPython.noop),
    ]
