"""Shared by the rules about relations and the user model: the relation fields written with
a literal target in an app's migrations, resolved the way Django resolves lazy references,
and the model ``AUTH_USER_MODEL`` names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from djmig.fields import field_class
from djmig.index.discovery import Project
from djmig.index.migrations import RELATED_FIELDS, MigrationFile, Operation, Relation, qualify
from djmig.index.values import CallValue
from djmig.keys import MigrationKey
from djmig.rules.base import Context

#: ``(app_label, model_name_lower)``, as ``make_model_tuple`` returns.
ModelTuple = tuple[str, str]

AUTH_USER = ("auth", "user")


def user_model(project: Project) -> ModelTuple | None:
    """``AUTH_USER_MODEL`` as a model tuple; None when unknown or not ``"app.Model"``."""
    value = project.settings.get("AUTH_USER_MODEL")
    if not isinstance(value, str):
        return None
    return make_model_tuple(value)


def make_model_tuple(reference: str) -> ModelTuple | None:
    """``django.db.models.utils.make_model_tuple``: the app label keeps its case, the model
    name is lowered; None for what Django rejects (no dot, more than one)."""
    app_label, dot, model_name = reference.partition(".")
    if not dot or not app_label or not model_name or "." in model_name:
        return None
    return app_label, model_name.lower()


def resolve_relation(target: str, app_label: str, model_name: Any) -> ModelTuple | None:
    """``django.db.models.fields.related.resolve_relation`` for a field of model
    ``app_label.model_name``: ``"self"`` is the model itself, a bare name is in the same
    app."""
    if target == "self":
        return (app_label, model_name.lower()) if isinstance(model_name, str) else None
    if "." not in target:
        return app_label, target.lower()
    return make_model_tuple(target)


class LocatedRelation(NamedTuple):
    key: MigrationKey
    migration: MigrationFile
    position: int
    operation: Operation
    relation: Relation
    target: ModelTuple

    @property
    def label(self) -> str:
        """``app_label.Model.field``, as Django names the field in its messages."""
        model = self.relation.model_name
        model = model if isinstance(model, str) else "?"
        return f"{self.key.app_label}.{model}.{self.relation.field_name}"


def relations(context: Context, app_label: str, through: bool = False) -> Iterator[LocatedRelation]:
    """Django's relation fields (``ForeignKey``, ``OneToOneField``, ``ManyToManyField``)
    with a literal target in the top-level ``CreateModel``/``AddField``/``AlterField``
    operations of the app's migrations, in plan order; ``through``: their literal
    ``through=`` models too."""
    for key in context.state.plan(app_label):
        migration = context.migrations.get(key)
        if migration is None or migration.error:
            continue
        for position, operation in enumerate(migration.operations):
            if not operation.relations or not operation.is_django or operation.has_star:
                continue
            for relation in operation.relations:
                if relation.parameter != "to" and not through:
                    continue
                klass = field_class(qualify(relation.func, migration.imports))
                if klass is None or klass.name not in RELATED_FIELDS:
                    continue
                target = resolve_relation(relation.target, app_label, relation.model_name)
                if target is not None:
                    yield LocatedRelation(key, migration, position, operation, relation, target)


def field_value(operation: Operation, field_name: str) -> Any:
    """The field call named ``field_name`` that ``operation`` writes (a ``CallValue``)."""
    if operation.kind == "CreateModel":
        fields = operation.argument(1, "fields")
        for entry in fields if isinstance(fields, (list, tuple)) else ():
            if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == field_name:
                return entry[1]
        return None
    value = operation.argument(2, "field")
    return value if isinstance(value, CallValue) else None
