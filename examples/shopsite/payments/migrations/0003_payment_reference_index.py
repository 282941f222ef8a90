# djmig: DM202 irreversible-run-sql on the `migrations.RunSQL(` call.
# No reverse_sql: unapplying this migration fails with IrreversibleError.
# Quick fix: add reverse_sql (here "DROP INDEX payments_payment_reference_idx;").
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0002_refund"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX payments_payment_reference_idx ON payments_payment (reference);"
        ),
    ]
