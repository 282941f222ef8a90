# djmig: DM304 unresolved-lazy-reference on to="catalog.product": this migration does not
# depend on catalog.0001_initial, which creates Product, so a fresh `migrate wishlist` fails
# with "Related model 'catalog.product' cannot be resolved" (it passes where catalog happened
# to be migrated first). Add ("catalog", "0001_initial") to the dependencies.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("wishlist", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WishlistItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="catalog.product")),
                ("wishlist", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="items", to="wishlist.wishlist")),
            ],
        ),
    ]
