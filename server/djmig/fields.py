"""What the schema editor does with a field written in a migration, decided statically.

``FIELD_CLASSES`` lists Django's own field classes with the class attributes that decide how
a column is added (``empty_strings_allowed``, relations without a column, auto and time
fields); a test checks it against the installed Django. Any other class (a custom or
third-party field) is unknown: rules say nothing about it.

``effective_default`` mirrors ``BaseDatabaseSchemaEditor._effective_default``
(``django/db/backends/base/schema.py``): the value ``add_field`` puts into existing rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from djmig.index.values import CallValue, Ref, is_unknown

#: ``field.kwargs`` lookups tell "absent" from "unknown" with this marker.
MISSING: Any = object()


@dataclass(frozen=True)
class FieldClass:
    """Class attributes of one of Django's field classes.

    ``column``: ``add_field`` adds a column the database must fill (False for
    ``ManyToManyField``, ``ForeignObject``, ``GenericRelation``, ``CompositePrimaryKey``
    and ``GeneratedField``, whose values the database computes). ``time``: a ``DateField``,
    ``DateTimeField`` or ``TimeField`` (``auto_now``/``auto_now_add``). ``auto``: the
    ``AutoField`` family. ``null``: always nullable (``NullBooleanField``).
    """

    name: str
    empty_strings_allowed: bool = False
    column: bool = True
    time: bool = False
    auto: bool = False
    null: bool = False
    many_to_many: bool = False


#: Django's relation field classes (the others of ``ForeignObject`` are not written in
#: migrations).
RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


def _classes(*classes: FieldClass) -> dict[str, FieldClass]:
    return {c.name: c for c in classes}


_STRINGS = ("CharField", "TextField", "EmailField", "SlugField", "URLField", "FilePathField",
            "FileField", "ImageField", "BinaryField", "CommaSeparatedIntegerField")  # fmt: skip
_OTHERS = ("BigIntegerField", "BooleanField", "DecimalField", "DurationField", "FloatField",
           "GenericIPAddressField", "IPAddressField", "IntegerField", "JSONField",
           "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
           "SmallIntegerField", "UUIDField", "ForeignKey", "OneToOneField")  # fmt: skip

#: ``django.db.models`` (and its ``fields`` submodules).
DJANGO_FIELDS = _classes(
    *(FieldClass(name, empty_strings_allowed=True) for name in _STRINGS),
    *(FieldClass(name) for name in _OTHERS),
    *(FieldClass(name, time=True) for name in ("DateField", "DateTimeField", "TimeField")),
    *(FieldClass(name, auto=True) for name in ("AutoField", "BigAutoField", "SmallAutoField")),
    FieldClass("NullBooleanField", null=True),
    FieldClass("ManyToManyField", empty_strings_allowed=True, column=False, many_to_many=True),
    FieldClass("ForeignObject", empty_strings_allowed=True, column=False),
    FieldClass("CompositePrimaryKey", empty_strings_allowed=True, column=False),
    FieldClass("GeneratedField", empty_strings_allowed=True, column=False),
)
#: ``django.contrib.postgres.fields``.
POSTGRES_FIELDS = _classes(
    *(FieldClass(name) for name in ("ArrayField", "HStoreField", "IntegerRangeField",
                                    "BigIntegerRangeField", "DecimalRangeField",
                                    "DateTimeRangeField", "DateRangeField")),
    *(FieldClass(name, empty_strings_allowed=True)
      for name in ("CICharField", "CIEmailField", "CITextField")),
)  # fmt: skip
#: ``django.contrib.contenttypes.fields``.
CONTENTTYPES_FIELDS = _classes(FieldClass("GenericRelation", column=False))

_MODULES = (
    ("django.db.models.", DJANGO_FIELDS),
    ("django.contrib.postgres.fields.", POSTGRES_FIELDS),
    ("django.contrib.contenttypes.fields.", CONTENTTYPES_FIELDS),
)


def field_class(qualname: str | None) -> FieldClass | None:
    """The Django field class ``qualname`` names (any module it is importable from)."""
    if qualname in _FOUND:
        return _FOUND[qualname]
    found = None
    if qualname:
        for prefix, classes in _MODULES:
            if qualname.startswith(prefix):
                found = classes.get(qualname.rpartition(".")[2])
                break
    if len(_FOUND) < 10_000:
        _FOUND[qualname] = found
    return found


_FOUND: dict[str | None, FieldClass | None] = {}


class Default(enum.Enum):
    """What ``effective_default`` gives existing rows."""

    NONE = "none"  # NULL: a NOT NULL column fails on a table with rows
    VALUE = "value"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Field:
    """A field expression (``models.CharField(max_length=10)``) of a known Django class."""

    cls: FieldClass
    call: CallValue

    @classmethod
    def of(cls, value: Any, qualname: str | None) -> Field | None:
        """The field ``value`` (a call of ``qualname``), None when its class is unknown or
        its arguments cannot all be read."""
        klass = field_class(qualname)
        if klass is None or not isinstance(value, CallValue) or value.has_star:
            return None
        return cls(klass, value)

    def get(self, name: str) -> Any:
        """Keyword argument ``name``: its value, ``MISSING`` when absent."""
        return self.call.kwargs.get(name, MISSING)

    def flag(self, name: str) -> bool | None:
        """A boolean keyword argument (absent: False); None when not a literal bool."""
        value = self.get(name)
        if value is MISSING:
            return False
        return value if isinstance(value, bool) else None

    @property
    def null(self) -> bool | None:
        if self.cls.null:
            return True
        return self.flag("null")

    @property
    def has_db_default(self) -> bool | None:
        """``Field.has_db_default``; ``db_default=None`` (a ``DEFAULT NULL``) counts as none."""
        value = self.get("db_default")
        if value is MISSING or value is None:
            return False
        return None if is_unknown(value) else True

    @property
    def primary_key(self) -> bool | None:
        return self.flag("primary_key")

    def effective_default(self) -> Default:
        """``BaseDatabaseSchemaEditor._effective_default``: the value existing rows get."""
        default = self.get("default")
        if default is not MISSING:  # has_default(): get_default()
            if default is None:
                return Default.NONE
            if is_unknown(default):
                return Default.UNKNOWN
            return Default.VALUE
        if self.cls.empty_strings_allowed:
            # ``not field.null and field.blank and field.empty_strings_allowed``: "" (b"").
            null, blank = self.null, self.flag("blank")
            if null is False and blank is True:
                return Default.VALUE
            if (null is None and blank is not False) or (null is False and blank is None):
                return Default.UNKNOWN
        if self.cls.time:
            auto = [self.flag("auto_now"), self.flag("auto_now_add")]
            if True in auto:
                return Default.VALUE
            if None in auto:
                return Default.UNKNOWN
        return Default.NONE

    def without(self, name: str) -> Field:
        kwargs = {k: v for k, v in self.call.kwargs.items() if k != name}
        return Field(self.cls, CallValue(self.call.func, self.call.args, kwargs))


def noop(value: Any, suffix: str) -> bool:
    """``RunPython.noop`` / ``RunSQL.noop`` (as ``suffix``) written as a dotted name."""
    return isinstance(value, Ref) and (
        value.dotted == suffix or value.dotted.endswith("." + suffix)
    )


__all__ = ["MISSING", "RELATION_FIELDS", "Default", "Field", "FieldClass", "field_class", "noop"]
