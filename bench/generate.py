"""Generate a synthetic Django workspace for benchmarks.

    python bench/generate.py OUTDIR --apps 100 --migrations 100 [--seed 0]

The project (``manage.py``, ``benchproj/settings.py``, apps ``app000`` …) looks like one that
Django's ``makemigrations`` wrote over a few years: ``0001_initial`` creates a few models, later
migrations add, alter, rename and remove fields, add indexes, change model options, create and
delete models, and carry data migrations (``RunPython`` with a ``noop`` reverse, ``RunSQL``).
Every migration depends on its predecessor; with some probability also on a migration of an
earlier app (never a cycle), sometimes adding a ``ForeignKey`` to a model of that app. Some apps
point at ``settings.AUTH_USER_MODEL`` through ``swappable_dependency`` or at ``auth.Group``
through a dependency on ``auth``'s last migration.

``models.py`` is rendered from the state the migrations produce, so ``makemigrations --check``
reports no changes and ``migrate`` succeeds on SQLite. The output depends only on the arguments.
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

DJANGO_VERSION = "5.2"
SETTINGS_PACKAGE = "benchproj"
LINE_LENGTH = 88
AUTH_LEAF = ("auth", "0012_alter_user_first_name_max_length")
USER_MODEL = "settings.AUTH_USER_MODEL"
"""``Field.to`` of a foreign key to the swappable user model."""

# ----------------------------------------------------------------------------------------------
# A tiny expression tree, rendered the way Django's writer followed by black lays code out.


@dataclass(frozen=True)
class Raw:
    """Source text rendered verbatim; ``imports`` are the import lines it needs."""

    text: str
    imports: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...] = ()
    kwargs: tuple[tuple[str, Node], ...] = ()
    explode: bool = False


@dataclass(frozen=True)
class Seq:
    """A list (``[]``) or tuple (``()``) display."""

    brackets: str
    items: tuple[Node, ...]
    explode: bool = False


@dataclass(frozen=True)
class Dict:
    items: tuple[tuple[Node, Node], ...]
    explode: bool = False


Node = Raw | Call | Seq | Dict
Literal = str | int | bool | None | Raw


def lit(value: Literal | Sequence[str]) -> Node:
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        return Raw('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if isinstance(value, (list, tuple)):
        return Seq("[]", tuple(lit(item) for item in value))
    return Raw(repr(value))


def _parts(node: Call | Seq | Dict) -> tuple[str, list[str], str, int]:
    """Opening text, flat items, closing text, and how many items a flat rendering has."""
    if isinstance(node, Call):
        items = [flat(arg) for arg in node.args]
        items += [f"{name}={flat(value)}" for name, value in node.kwargs]
        return node.func + "(", items, ")", len(items)
    if isinstance(node, Seq):
        items = [flat(item) for item in node.items]
        return node.brackets[0], items, node.brackets[1], len(items)
    items = [f"{flat(key)}: {flat(value)}" for key, value in node.items]
    return "{", items, "}", len(items)


def flat(node: Node) -> str:
    if isinstance(node, Raw):
        return node.text
    opening, items, closing, count = _parts(node)
    trailing = "," if isinstance(node, Seq) and node.brackets == "()" and count == 1 else ""
    return opening + ", ".join(items) + trailing + closing


def fmt(node: Node, indent: int, column: int | None = None, tail: int = 0) -> str:
    """Render ``node`` like black: on one line if it fits, else exploded one item per line.

    ``indent`` is the indentation of the line the node starts on, ``column`` where the node
    starts (default ``indent``), ``tail`` how many characters follow it on its last line.
    """
    text = flat(node)
    start = indent if column is None else column
    if isinstance(node, Raw) or (not node.explode and start + len(text) + tail <= LINE_LENGTH):
        return text
    inner = indent + 4
    pad = " " * inner
    if isinstance(node, Call):
        opening, closing = node.func + "(", ")"
        lines = [pad + fmt(arg, inner, tail=1) for arg in node.args]
        lines += [
            f"{pad}{name}={fmt(value, inner, inner + len(name) + 1, 1)}"
            for name, value in node.kwargs
        ]
    elif isinstance(node, Seq):
        opening, closing = node.brackets[0], node.brackets[1]
        lines = [pad + fmt(item, inner, tail=1) for item in node.items]
    else:
        opening, closing = "{", "}"
        lines = []
        for key, value in node.items:
            head = f"{flat(key)}: "
            lines.append(pad + head + fmt(value, inner, inner + len(head), 1))
    if not lines:
        return opening + closing
    return opening + "\n" + "".join(line + ",\n" for line in lines) + " " * indent + closing


def walk(node: Node) -> Iterator[Node]:
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, Call):
        children = node.args + tuple(value for _, value in node.kwargs)
    elif isinstance(node, Seq):
        children = node.items
    elif isinstance(node, Dict):
        children = tuple(part for pair in node.items for part in pair)
    for child in children:
        yield from walk(child)


# ----------------------------------------------------------------------------------------------
# Model state, mirrored by the migrations and by models.py.

CASCADE = "CASCADE"
SET_NULL = "SET_NULL"
PROTECT = "PROTECT"


@dataclass
class Field:
    """A model field as ``deconstruct()`` reports it (kwargs left at their default omitted)."""

    kind: str
    kwargs: dict[str, Literal]
    to: str | None = None
    on_delete: str = CASCADE

    def migration_node(self, extra: dict[str, Literal] | None = None) -> Call:
        kwargs: dict[str, Node] = {name: lit(value) for name, value in self.kwargs.items()}
        kwargs.update({name: lit(value) for name, value in (extra or {}).items()})
        if self.to is not None:
            kwargs["on_delete"] = Raw(
                f"django.db.models.deletion.{self.on_delete}",
                frozenset({"import django.db.models.deletion"}),
            )
            if self.to == USER_MODEL:
                kwargs["to"] = Raw(USER_MODEL, frozenset({"from django.conf import settings"}))
            else:
                kwargs["to"] = lit(self.to.lower())
        return Call(f"models.{self.kind}", kwargs=tuple(sorted(kwargs.items())))

    def models_node(self, app: str) -> Call:
        args: tuple[Node, ...] = ()
        kwargs = [(name, lit(models_value(value))) for name, value in self.kwargs.items()]
        if self.to is not None:
            same_app = self.to.startswith(app + ".")
            target = self.to.split(".", 1)[1] if same_app else self.to
            settings_import = frozenset({"from django.conf import settings"})
            args = (Raw(USER_MODEL, settings_import) if self.to == USER_MODEL else lit(target),)
            kwargs.insert(0, ("on_delete", Raw(f"models.{self.on_delete}")))
        return Call(f"models.{self.kind}", args=args, kwargs=tuple(kwargs))


# Callable defaults: the migration spells them fully qualified, models.py as people write them.
TIMEZONE_NOW = Raw("django.utils.timezone.now", frozenset({"import django.utils.timezone"}))
UUID4 = Raw("uuid.uuid4", frozenset({"import uuid"}))
DICT = Raw("dict")
_MODELS_SPELLING = {
    TIMEZONE_NOW: Raw("timezone.now", frozenset({"from django.utils import timezone"})),
}


def models_value(value: Literal) -> Literal:
    return _MODELS_SPELLING.get(value, value) if isinstance(value, Raw) else value


@dataclass
class Index:
    name: str
    fields: list[str]

    def node(self) -> Call:
        return Call("models.Index", kwargs=(("fields", lit(self.fields)), ("name", lit(self.name))))


@dataclass
class Model:
    name: str
    fields: dict[str, Field]
    created: int
    options: dict[str, Literal | list[str]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    referenced: bool = False

    @property
    def lower(self) -> str:
        return self.name.lower()

    def pinned(self) -> set[str]:
        """Fields that options or indexes name, so they are not renamed or removed."""
        names = {name for index in self.indexes for name in index.fields}
        ordering = self.options.get("ordering", [])
        assert isinstance(ordering, list)
        names.update(name.lstrip("-") for name in ordering)
        return names

    def fk_targets(self) -> set[str]:
        return {f.to for f in self.fields.values() if f.to is not None}

    def char_fields(self) -> list[str]:
        return [name for name, f in self.fields.items() if f.kind == "CharField"]


# ----------------------------------------------------------------------------------------------
# Vocabulary: model names are Adjective + Noun, unique in the project, so reverse accessors
# never clash and never equal a field name.

_ADJECTIVES = (
    "Active Annual Archived Billing Bulk Catalog Central Customer Daily Default Delivery Digital "
    "External Featured Financial Global Guest Historic Inbound Internal Inventory Legacy Local "
    "Loyalty Manual Member Monthly Network Online Outbound Partner Pending Personal Premium "
    "Primary Private Public Quarterly Regional Remote Retail Scheduled Seasonal Secondary Shared "
    "Shipping Staff Standard Support Team Trial Vendor Weekly Wholesale"
)
_NOUNS = (
    "Account Address Agreement Asset Attachment Audit Balance Batch Booking Budget Campaign "
    "Category Certificate Channel Comment Contact Contract Coupon Credit Device Discount Document "
    "Entry Event Expense Feedback Grant Invoice Ledger Lesson License Location Message Metric "
    "Note Offer Order Package Payment Plan Policy Position Price Profile Project Quote Receipt "
    "Record Refund Region Report Request Reservation Review Schedule Session Setting Shipment "
    "Subscription Survey Task Ticket Transfer Venue Voucher Warehouse"
)
_FIELD_NAMES = (
    "title label code status amount quantity note summary description reference priority "
    "rating score weight notes comment source channel country currency language level total "
    "balance discount position rank region slug email website phone created updated published "
    "starts ends archived enabled visible verified approved payload metadata token version "
    "sequence capacity duration tag kind category external"
)
ADJECTIVES = _ADJECTIVES.split()
NOUNS = _NOUNS.split()
FIELD_NAMES = _FIELD_NAMES.split()
HELP_TEXTS = (
    "Shown to customers.",
    "Internal use only.",
    "Set by the nightly import.",
    "Leave empty to use the default.",
    "Kept for reporting.",
)
SQL_FUNCTIONS = ("TRIM", "UPPER", "LOWER")


# ----------------------------------------------------------------------------------------------
# Migrations.


@dataclass
class Operation:
    node: Call
    fragment: str | None


@dataclass
class Migration:
    number: int
    name: str = ""
    initial: bool = False
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    swappable_user: bool = False
    operations: list[Operation] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    manual_name: str | None = None

    def suggest_name(self) -> str:
        """Django's ``Migration.suggest_name``; data migrations carry a ``manual_name``."""
        if self.initial:
            return "initial"
        if self.manual_name is not None:
            return self.manual_name
        name = ""
        for op in self.operations:
            fragment = op.fragment
            assert fragment is not None, "operations without a name fragment need manual_name"
            candidate = f"{name}_{fragment}" if name else fragment
            if len(candidate) > 52:
                return f"{name}_and_more"
            name = candidate
        return name

    def render(self, timestamp: datetime) -> str:
        nodes = [op.node for op in self.operations]
        imports: set[str] = set()
        uses_models = False
        for node in nodes:
            for sub in walk(node):
                if isinstance(sub, Raw):
                    imports.update(sub.imports)
                elif isinstance(sub, Call) and sub.func.startswith("models."):
                    uses_models = True
        imports.add("from django.db import migrations" + (", models" if uses_models else ""))
        if self.swappable_user:
            imports.add("from django.conf import settings")
        ordered = sorted(imports, key=lambda line: (line.split()[0] == "from", line.split()[1]))

        deps: list[Node] = []
        if self.swappable_user:
            deps.append(Raw("migrations.swappable_dependency(settings.AUTH_USER_MODEL)"))
        deps += [Seq("()", (lit(app), lit(name))) for app, name in self.dependencies]
        lines = [f"# Generated by Django {DJANGO_VERSION} on {timestamp:%Y-%m-%d %H:%M}", ""]
        lines += ordered
        lines += ["", ""]
        for function in self.functions:
            lines += [function, "", ""]
        lines += ["class Migration(migrations.Migration):", ""]
        if self.initial:
            lines += ["    initial = True", ""]
        lines.append("    dependencies = " + fmt(Seq("[]", tuple(deps), explode=bool(deps)), 4, 19))
        lines.append("")
        lines.append("    operations = " + fmt(Seq("[]", tuple(nodes), explode=True), 4, 17))
        return "\n".join(lines) + "\n"


def op_call(kind: str, fragment: str | None, *args: Node, **kwargs: Node) -> Operation:
    """A ``migrations.<kind>(…)`` call, laid out like Django's ``OperationWriter``.

    Positional ``args`` mark a hand-written operation (``RunPython(forwards, noop)``), which is
    kept on one line when it fits.
    """
    expanded = {
        name: Seq(value.brackets, value.items, explode=True)
        if isinstance(value, Seq)
        else Dict(value.items, explode=True)
        if isinstance(value, Dict)
        else value
        for name, value in kwargs.items()
    }
    node = Call(f"migrations.{kind}", args, tuple(expanded.items()), explode=not args)
    return Operation(node, fragment)


@dataclass
class App:
    label: str
    models: dict[str, Model] = field(default_factory=dict)
    migrations: list[Migration] = field(default_factory=list)
    index_names: set[str] = field(default_factory=set)

    def survivors_at(self, number: int) -> list[Model]:
        """Models created by migration ``number`` or earlier that the app never deletes.

        Only meaningful once the app is complete: ``models`` then holds the survivors.
        """
        return [m for m in self.models.values() if m.created <= number]


class ProjectGenerator:
    def __init__(self, n_apps: int, n_migrations: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_apps = n_apps
        self.n_migrations = n_migrations
        self.apps: list[App] = []
        self.model_names = [f"{a}{n}" for a in ADJECTIVES for n in NOUNS]
        self.rng.shuffle(self.model_names)

    # -- names and fields ----------------------------------------------------------------------

    def new_model_name(self) -> str:
        if self.model_names:
            return self.model_names.pop()
        return f"{self.rng.choice(ADJECTIVES)}{self.rng.choice(NOUNS)}{self.rng.randrange(10**6)}"

    def new_field_name(self, model: Model) -> str:
        free = [name for name in FIELD_NAMES if name not in model.fields]
        return self.rng.choice(free) if free else free_name(model, self.rng.choice(FIELD_NAMES))

    def random_field(self, creating: bool) -> tuple[Field, dict[str, Literal]]:
        """A new concrete field, and the one-off default ``AddField`` needs (empty if none).

        ``creating`` allows fields that only make sense when the table is created.
        """
        rng = self.rng
        choice = rng.randrange(14 if creating else 13)
        if choice == 0:
            return Field("CharField", {"max_length": rng.choice((20, 50, 100, 200, 255))}), {}
        if choice == 1:
            kwargs: dict[str, Literal] = {"blank": True, "max_length": rng.choice((100, 255))}
            return Field("CharField", kwargs), {}
        if choice == 2:
            return Field("TextField", {"blank": True}), {}
        if choice == 3:
            return Field("IntegerField", {"default": 0}), {}
        if choice == 4:
            return Field("PositiveIntegerField", {"default": rng.choice((0, 1, 10))}), {}
        if choice == 5:
            return Field("BooleanField", {"default": rng.choice((False, True))}), {}
        if choice == 6:
            kwargs = {"decimal_places": 2, "default": 0, "max_digits": rng.choice((10, 12))}
            return Field("DecimalField", kwargs), {}
        if choice == 7:
            return Field("DateTimeField", {"auto_now": True}), {}
        if choice == 8:
            return Field("DateField", {"blank": True, "null": True}), {}
        if choice == 9:
            return Field("EmailField", {"blank": True, "max_length": 254}), {}
        if choice == 10:
            return Field("JSONField", {"blank": True, "default": DICT}), {}
        if choice == 11:
            # NOT NULL without default: makemigrations asked for a one-off default.
            one_off: dict[str, Literal] = {} if creating else {"default": ""}
            return Field("CharField", {"max_length": rng.choice((50, 100))}), one_off
        if choice == 12:
            one_off = {} if creating else {"default": TIMEZONE_NOW}
            return Field("DateTimeField", {"auto_now_add": True}), one_off
        return Field("UUIDField", {"default": UUID4, "editable": False, "unique": True}), {}

    def fk_field(self, model: Model, to: str, creating: bool) -> tuple[str, Field]:
        target = to.rsplit(".", 1)[1]
        base = "user" if to == USER_MODEL else snake(target)
        name = free_name(model, base)
        if creating and self.rng.random() < 0.6:
            return name, Field("ForeignKey", {}, to, self.rng.choice((CASCADE, PROTECT)))
        return name, Field("ForeignKey", {"blank": True, "null": True}, to, SET_NULL)

    # -- operations ----------------------------------------------------------------------------

    def create_model(self, app: App, mig: Migration, fk_to: list[str]) -> None:
        model = Model(self.new_model_name(), {}, mig.number)
        for _ in range(self.rng.randint(2, 6)):
            new, _ = self.random_field(creating=True)
            model.fields[self.new_field_name(model)] = new
        for to in fk_to:
            name, fk = self.fk_field(model, to, creating=True)
            model.fields[name] = fk
        if self.rng.random() < 0.3:
            model.options["ordering"] = [self.rng.choice(("-", "")) + next(iter(model.fields))]
        id_field = Call(
            "models.BigAutoField",
            kwargs=(
                ("auto_created", lit(True)),
                ("primary_key", lit(True)),
                ("serialize", lit(False)),
                ("verbose_name", lit("ID")),
            ),
        )
        rows: list[Node] = [Seq("()", (lit("id"), id_field))]
        rows += [Seq("()", (lit(n), f.migration_node())) for n, f in model.fields.items()]
        kwargs: dict[str, Node] = {"name": lit(model.name), "fields": Seq("[]", tuple(rows))}
        if model.options:
            kwargs["options"] = Dict(tuple((lit(k), lit(v)) for k, v in model.options.items()))
        mig.operations.append(op_call("CreateModel", model.lower, **kwargs))
        app.models[model.name] = model

    def add_field(
        self, mig: Migration, model: Model, name: str, new: Field, one_off: dict[str, Literal]
    ) -> None:
        kwargs: dict[str, Node] = {
            "model_name": lit(model.lower),
            "name": lit(name),
            "field": new.migration_node(one_off),
        }
        if one_off:
            kwargs["preserve_default"] = lit(False)
        mig.operations.append(op_call("AddField", f"{model.lower}_{name}", **kwargs))
        model.fields[name] = new

    def alter_field(self, mig: Migration, model: Model) -> None:
        name = self.rng.choice(list(model.fields))
        old = model.fields[name]
        kwargs = dict(old.kwargs)
        roll = self.rng.random()
        if old.kind == "CharField" and roll < 0.4:
            sizes = [size for size in (50, 100, 150, 200, 255) if size != kwargs["max_length"]]
            kwargs["max_length"] = self.rng.choice(sizes)
        elif old.to is None and kwargs.get("null") is True and roll < 0.6:
            # null=True -> NOT NULL, as people do once a backfill "surely" ran.
            del kwargs["null"]
            kwargs.pop("blank", None)
        elif old.to is None and old.kind in ("CharField", "IntegerField") and roll < 0.7:
            kwargs["db_index"] = not kwargs.get("db_index", False)
            if not kwargs["db_index"]:
                del kwargs["db_index"]
        else:
            texts = [text for text in HELP_TEXTS if text != kwargs.get("help_text")]
            kwargs["help_text"] = self.rng.choice(texts)
        new = Field(old.kind, dict(sorted(kwargs.items())), old.to, old.on_delete)
        mig.operations.append(
            op_call(
                "AlterField",
                f"alter_{model.lower}_{name}",
                model_name=lit(model.lower),
                name=lit(name),
                field=new.migration_node(),
            )
        )
        model.fields[name] = new

    def remove_field(self, mig: Migration, model: Model) -> bool:
        candidates = [name for name in model.fields if name not in model.pinned()]
        if len(candidates) < 2:
            return False
        name = self.rng.choice(candidates)
        mig.operations.append(
            op_call(
                "RemoveField",
                f"remove_{model.lower}_{name}",
                model_name=lit(model.lower),
                name=lit(name),
            )
        )
        del model.fields[name]
        return True

    def rename_field(self, mig: Migration, model: Model) -> bool:
        candidates = [name for name in model.fields if name not in model.pinned()]
        if not candidates:
            return False
        old = self.rng.choice(candidates)
        new = self.new_field_name(model)
        mig.operations.append(
            op_call(
                "RenameField",
                f"rename_{old}_{model.lower}_{new}",
                model_name=lit(model.lower),
                old_name=lit(old),
                new_name=lit(new),
            )
        )
        model.fields = {new if name == old else name: f for name, f in model.fields.items()}
        return True

    def add_index(self, app: App, mig: Migration, model: Model) -> None:
        names = self.rng.sample(list(model.fields), min(len(model.fields), self.rng.choice((1, 2))))
        base = f"{app.label}_{model.lower[:8]}_{names[0][:6]}"
        index_name = f"{base}_idx"
        counter = 0
        while index_name in app.index_names:
            counter += 1
            index_name = f"{base}{counter}_idx"
        app.index_names.add(index_name)
        index = Index(index_name, names)
        mig.operations.append(
            op_call(
                "AddIndex",
                f"{model.lower}_{index_name.lower()}",
                model_name=lit(model.lower),
                index=index.node(),
            )
        )
        model.indexes.append(index)

    def alter_options(self, mig: Migration, model: Model) -> None:
        options: dict[str, Literal | list[str]] = {}
        field_name = self.rng.choice(list(model.fields))
        options["ordering"] = [self.rng.choice(("-", "")) + field_name]
        if self.rng.random() < 0.5:
            options["verbose_name_plural"] = plural(words(model.name))
        node = Dict(tuple((lit(k), lit(v)) for k, v in options.items()))
        mig.operations.append(
            op_call(
                "AlterModelOptions",
                f"alter_{model.lower}_options",
                name=lit(model.lower),
                options=node,
            )
        )
        model.options = options

    def delete_model(self, app: App, mig: Migration) -> bool:
        candidates = [m for m in app.models.values() if not m.referenced]
        if len(app.models) < 3 or not candidates:
            return False
        model = self.rng.choice(candidates)
        mig.operations.append(op_call("DeleteModel", f"delete_{model.lower}", name=lit(model.name)))
        del app.models[model.name]
        return True

    def run_python(
        self, app: App, mig: Migration, model: Model, other: Model | None, other_app: str | None
    ) -> None:
        var = model.name
        body = [f'    {var} = apps.get_model("{app.label}", "{model.name}")']
        if other is not None:
            body.append(f'    {other.name} = apps.get_model("{other_app}", "{other.name}")')
        body.append("    db_alias = schema_editor.connection.alias")
        if other is not None:
            body.append(f"    if not {other.name}.objects.using(db_alias).exists():")
            body.append("        return")
        chars = model.char_fields()
        if chars:
            column = self.rng.choice(chars)
            function = f"backfill_{model.lower}_{column}"
            body.append(
                f'    {var}.objects.using(db_alias).filter({column}="").update({column}="n/a")'
            )
        else:
            function = f"resave_{model.lower}"
            body.append(f"    for obj in {var}.objects.using(db_alias).iterator():")
            body.append("        obj.save()")
        source = f"def {function}(apps, schema_editor):\n" + "\n".join(body)
        mig.functions.append(source)
        mig.operations.append(
            op_call("RunPython", None, Raw(function), Raw("migrations.RunPython.noop"))
        )
        mig.manual_name = function

    def run_sql(self, app: App, mig: Migration, model: Model) -> bool:
        chars = model.char_fields()
        if not chars:
            return False
        column = self.rng.choice(chars)
        table = f"{app.label}_{model.lower}"
        function = self.rng.choice(SQL_FUNCTIONS)
        sql = f"UPDATE {table} SET {column} = {function}({column})"
        mig.operations.append(
            op_call(
                "RunSQL",
                None,
                sql=lit(sql),
                reverse_sql=Raw("migrations.RunSQL.noop"),
            )
        )
        mig.manual_name = f"{function.lower()}_{model.lower}_{column}"
        return True

    # -- apps ----------------------------------------------------------------------------------

    def cross_target(self, app_index: int) -> tuple[App, int] | None:
        """An earlier app and one of its migration numbers to depend on."""
        if app_index == 0:
            return None
        other = self.apps[self.rng.randrange(app_index)]
        return other, self.rng.randint(1, len(other.migrations))

    def generate_app(self, index: int) -> App:
        rng = self.rng
        app = App(f"app{index:03d}")
        uses_user = rng.random() < 0.15
        uses_group = rng.random() < 0.1
        user_in_initial = uses_user and rng.random() < 0.5
        group_in_initial = uses_group and rng.random() < 0.5

        initial = Migration(1, initial=True)
        cross = self.cross_target(index) if rng.random() < 0.3 else None
        first_fks: list[list[str]] = [[] for _ in range(rng.randint(2, 5))]
        if user_in_initial:
            first_fks[-1].append(USER_MODEL)
            initial.swappable_user = True
        if group_in_initial:
            first_fks[0].append("auth.Group")
            initial.dependencies.append(AUTH_LEAF)
        if cross is not None:
            other, number = cross
            initial.dependencies.append((other.label, other.migrations[number - 1].name))
            targets = other.survivors_at(number)
            if targets and rng.random() < 0.6:
                first_fks[rng.randrange(len(first_fks))].append(
                    f"{other.label}.{rng.choice(targets).name}"
                )
        for i, fks in enumerate(first_fks):
            if i > 0 and rng.random() < 0.4:
                target = rng.choice(list(app.models.values()))
                target.referenced = True
                fks.append(f"{app.label}.{target.name}")
            self.create_model(app, initial, fks)
        initial.name = "0001_initial"
        initial.dependencies.sort()
        app.migrations.append(initial)

        pending_user = uses_user and not user_in_initial
        pending_group = uses_group and not group_in_initial
        for number in range(2, self.n_migrations + 1):
            mig = Migration(number)
            mig.dependencies.append((app.label, app.migrations[-1].name))
            self.fill_migration(app, mig, index)
            if pending_user and rng.random() < 0.1:
                pending_user = False
                model = rng.choice(list(app.models.values()))
                name, fk = self.fk_field(model, USER_MODEL, creating=False)
                self.add_field(mig, model, name, fk, {})
                mig.swappable_user = True
            if pending_group and rng.random() < 0.1:
                pending_group = False
                model = rng.choice(list(app.models.values()))
                name, fk = self.fk_field(model, "auth.Group", creating=False)
                self.add_field(mig, model, name, fk, {})
                mig.dependencies.append(AUTH_LEAF)
            mig.name = f"{number:04d}_{mig.suggest_name()}"
            mig.dependencies.sort()
            app.migrations.append(mig)
        return app

    def fill_migration(self, app: App, mig: Migration, app_index: int) -> None:
        rng = self.rng
        models = list(app.models.values())
        cross = self.cross_target(app_index) if rng.random() < 0.12 else None
        if cross is not None:
            other, number = cross
            mig.dependencies.append((other.label, other.migrations[number - 1].name))
            targets = other.survivors_at(number)
            roll = rng.random()
            if targets and roll < 0.45:
                target = rng.choice(targets)
                to = f"{other.label}.{target.name}"
                free = [m for m in models if to not in m.fk_targets()]
                if free:
                    model = rng.choice(free)
                    name, fk = self.fk_field(model, to, creating=False)
                    self.add_field(mig, model, name, fk, {})
                    return
            if targets and roll < 0.65:
                self.run_python(app, mig, rng.choice(models), rng.choice(targets), other.label)
                return
        while not mig.operations:
            self.random_operations(app, mig)

    def random_operations(self, app: App, mig: Migration) -> None:
        rng = self.rng
        models = list(app.models.values())
        model = rng.choice(models)
        roll = rng.random()
        if roll < 0.28:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                new, one_off = self.random_field(creating=False)
                self.add_field(mig, model, self.new_field_name(model), new, one_off)
        elif roll < 0.43:
            for target in rng.sample(models, min(len(models), rng.choice((1, 1, 2)))):
                self.alter_field(mig, target)
        elif roll < 0.53:
            self.add_index(app, mig, model)
        elif roll < 0.65:
            self.run_python(app, mig, model, None, None)
        elif roll < 0.68:
            self.run_sql(app, mig, model)
        elif roll < 0.76:
            fks: list[str] = []
            if rng.random() < 0.5:
                model.referenced = True
                fks.append(f"{app.label}.{model.name}")
            self.create_model(app, mig, fks)
        elif roll < 0.83:
            self.remove_field(mig, model)
        elif roll < 0.89:
            self.rename_field(mig, model)
        elif roll < 0.96:
            self.alter_options(mig, model)
        else:
            self.delete_model(app, mig)

    def generate(self) -> list[App]:
        for index in range(self.n_apps):
            self.apps.append(self.generate_app(index))
        return self.apps


# ----------------------------------------------------------------------------------------------
# Files.


def free_name(model: Model, base: str) -> str:
    """``base``, or ``base_N`` with the smallest N that ``model`` does not use yet."""
    name, counter = base, 1
    while name in model.fields:
        counter += 1
        name = f"{base}_{counter}"
    return name


def snake(name: str) -> str:
    return "_".join(words(name)).lower()


def words(name: str) -> list[str]:
    out: list[str] = []
    for char in name:
        if char.isupper() or not out:
            out.append(char)
        else:
            out[-1] += char
    return out


def plural(parts: list[str]) -> str:
    last = parts[-1].lower()
    if last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*(p.lower() for p in parts[:-1]), last])


def render_models(app: App) -> str:
    imports: set[str] = set()
    classes: list[str] = []
    for model in app.models.values():
        lines = [f"class {model.name}(models.Model):"]
        for name, f in model.fields.items():
            node = f.models_node(app.label)
            imports.update(i for sub in walk(node) if isinstance(sub, Raw) for i in sub.imports)
            lines.append(f"    {name} = {fmt(node, 4, 4 + len(name) + 3)}")
        meta: list[str] = []
        for key, value in model.options.items():
            assert not isinstance(value, Raw)
            meta.append(f"        {key} = {flat(lit(value))}")
        if model.indexes:
            nodes = tuple(index.node() for index in model.indexes)
            meta.append("        indexes = " + fmt(Seq("[]", nodes, explode=True), 8, 18))
        if meta:
            lines += ["", "    class Meta:", *meta]
        lines += [
            "",
            "    def __str__(self) -> str:",
            f'        return f"{model.name} {{self.pk}}"',
        ]
        classes.append("\n".join(lines))
    stdlib = sorted(line for line in imports if line == "import uuid")
    django_lines = sorted((imports - set(stdlib)) | {"from django.db import models"})
    header = "\n".join(stdlib) + ("\n\n" if stdlib else "") + "\n".join(django_lines)
    return header + "\n\n\n" + "\n\n\n".join(classes) + "\n"


MANAGE_PY = '''\
#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
'''

GENERATED_MARKER = "generated by bench/generate.py"
SETTINGS_PY = '''\
"""Settings of a synthetic project {marker}."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-benchmark-only-{seed}"

DEBUG = True

ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
{apps}]

MIDDLEWARE = []

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }}
}}

LANGUAGE_CODE = "en-us"

TIME_ZONE = "UTC"

USE_TZ = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
'''

APPS_PY = """\
from django.apps import AppConfig


class {cls}(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "{label}"
"""


def write_project(out: Path, apps: list[App], seed: int) -> int:
    """Write the project under ``out``; return the number of migration files written."""
    if out.exists() and any(out.iterdir()):
        settings = out / SETTINGS_PACKAGE / "settings.py"
        if not (settings.is_file() and GENERATED_MARKER in settings.read_text()):
            raise FileExistsError(f"{out} is not empty and was not written by this generator")
        shutil.rmtree(out)
    package = out / SETTINGS_PACKAGE
    package.mkdir(parents=True)
    (out / "manage.py").write_text(MANAGE_PY.replace("{package}", SETTINGS_PACKAGE))
    (package / "__init__.py").write_text("")
    listed = "".join(f'    "{app.label}",\n' for app in apps)
    (package / "settings.py").write_text(
        SETTINGS_PY.format(marker=GENERATED_MARKER, seed=seed, apps=listed)
    )
    start = datetime(2019, 1, 7, 9, 30)
    count = 0
    for number, app in enumerate(apps):
        root = out / app.label
        (root / "migrations").mkdir(parents=True)
        (root / "__init__.py").write_text("")
        cls = app.label.capitalize() + "Config"
        (root / "apps.py").write_text(APPS_PY.format(cls=cls, label=app.label))
        (root / "models.py").write_text(render_models(app))
        (root / "migrations" / "__init__.py").write_text("")
        when = start + timedelta(days=3 * number)
        for mig in app.migrations:
            when += timedelta(hours=7 + number % 5, minutes=13 * mig.number % 60)
            (root / "migrations" / f"{mig.name}.py").write_text(mig.render(when))
            count += 1
    return count


def generate(out: Path, n_apps: int, n_migrations: int, seed: int = 0) -> int:
    """Generate the workspace into ``out``; return the migration file count.

    ``out`` must be missing, empty, or a workspace this generator wrote (it is replaced).
    """
    if n_apps < 1 or n_migrations < 1:
        raise ValueError("need at least one app and one migration per app")
    apps = ProjectGenerator(n_apps, n_migrations, seed).generate()
    return write_project(out, apps, seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="directory to (re)create")
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--migrations", type=int, default=100, help="migrations per app")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        count = generate(args.outdir, args.apps, args.migrations, args.seed)
    except (FileExistsError, ValueError) as exc:
        parser.error(str(exc))
    print(f"{args.outdir}: {args.apps} apps, {count} migration files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
