# djmig: DM106 invalid-migration-module at the top of this file.
# Django imports every module of a migrations package as a migration; this helper module
# has no Migration class, so every command that loads migrations fails with
# "BadMigrationError: Migration utils in app catalog has no Migration class".
# Renaming it to _utils.py (and fixing the import in 0002_product_slug.py) fixes it.
from django.utils.text import slugify


def unique_slug(name, taken):
    """A slug for ``name`` not in ``taken`` (which it is added to)."""
    base = slugify(name)[:190] or "product"
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(slug)
    return slug
