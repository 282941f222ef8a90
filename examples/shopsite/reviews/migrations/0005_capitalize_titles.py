# djmig: DM207. The data migration imports today's Review class instead of the historical
# one from apps.get_model: once the model gains a column this migration's schema lacks,
# it fails with "no such column".
from django.db import migrations


def capitalize_titles(apps, schema_editor):
    from reviews.models import Review

    for review in Review.objects.all():
        review.title = review.title.capitalize()
        review.save(update_fields=["title"])


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0004_remove_review_body"),
    ]

    operations = [
        migrations.RunPython(capitalize_titles, migrations.RunPython.noop),
    ]
