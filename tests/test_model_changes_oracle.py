"""Property: DM401's verdict on random edits of ``models.py`` is ``makemigrations``'s.

A small app's models are described as data (fields as source text, Meta options); real
``makemigrations`` writes the initial migration from the starting description once. Each
example applies a few random edits (fields added, removed, altered or rewritten without a
change, models added or deleted, relations, Meta options, indexes, constraints), renders
``models.py`` and compares on a copy of the project: DM401 reports exactly the operations
``makemigrations --check --dry-run --noinput`` lists (or, when a NOT NULL field needs a
default ``--noinput`` cannot ask for, it reports changes too). Then the fix is applied on
disk: ``makemigrations --check`` must find nothing more and ``migrate`` must succeed.
Examples are few: each runs Django twice in a subprocess.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from helpers import make_project
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from models_oracle import makemigrations, makemigrations_check
from test_model_changes import apply_create_fix, assert_agrees, dm401

Spec = dict[str, dict[str, dict[str, str]]]

BASE: Spec = {
    "Publisher": {
        "fields": {
            "code": "models.CharField(max_length=8, primary_key=True)",
            "name": "models.CharField(max_length=100)",
        },
        "meta": {},
    },
    "Author": {
        "fields": {
            "name": "models.CharField(max_length=100)",
            "email": "models.EmailField(blank=True)",
        },
        "meta": {},
    },
    "Book": {
        "fields": {
            "title": "models.CharField(max_length=200)",
            "author": "models.ForeignKey(Author, on_delete=models.CASCADE)",
            "pages": "models.PositiveIntegerField(default=0)",
            "published": "models.DateField(null=True, blank=True)",
        },
        "meta": {"ordering": '["title"]'},
    },
}

#: Fields an edit adds: (source, NOT NULL without a default).
NEW_FIELDS = [
    ("models.CharField(max_length=40, blank=True)", False),
    ("models.IntegerField(default=3)", False),
    ("models.BooleanField(default=False)", False),
    ("models.TextField(blank=True)", False),
    ("models.DecimalField(max_digits=8, decimal_places=2, null=True)", False),
    ("models.DateTimeField(auto_now=True)", False),
    ('models.SlugField(default="x")', False),
    ("models.IntegerField()", True),
    ("models.CharField(max_length=20)", True),
]
#: Rewrites of a field's source: changes, and spellings that are no change.
ALTERATIONS = [
    lambda s: s.replace("max_length=", "max_length=1"),
    lambda s: (
        s.replace(")", ', help_text="help")', 1) if s.endswith(")") and "help_text" not in s else s
    ),
    lambda s: s.replace(")", ", db_index=True)") if "(" in s and "db_index" not in s else s,
    lambda s: (
        s.replace(")", ", null=False, blank=False)") if "null" not in s and "blank" not in s else s
    ),
    lambda s: s.replace(")", ", verbose_name=None)") if "verbose_name" not in s else s,
    lambda s: s.replace("null=True", "null=False") if "DateField" not in s else s,
]
META_EDITS = [
    ("ordering", '["-id"]'),
    ("ordering", '("title",)'),
    ("verbose_name", '"volume"'),
    ("db_table", '"library_book"'),
    ("unique_together", '[("title", "author")]'),
    ("indexes", '[models.Index(fields=["title"], name="book_title_idx")]'),
    ("constraints", '[models.CheckConstraint(condition=models.Q(pages__gte=0), name="pages_ok")]'),
]


def render(spec: Spec) -> str:
    lines = ["from django.db import models", ""]
    for name, model in spec.items():
        lines += ["", f"class {name}(models.Model):"]
        for fname, source in model["fields"].items():
            lines.append(f"    {fname} = {source}")
        if model["meta"]:
            lines += ["", "    class Meta:"]
            lines += [f"        {k} = {v}" for k, v in model["meta"].items()]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def copy(spec: Spec) -> Spec:
    return {n: {"fields": dict(m["fields"]), "meta": dict(m["meta"])} for n, m in spec.items()}


def referenced(spec: Spec, model: str) -> bool:
    return any(
        f"ForeignKey({model}," in source
        for name, other in spec.items()
        if name != model
        for source in other["fields"].values()
    )


@st.composite
def edited(draw: st.DrawFn) -> Spec:
    spec = copy(BASE)
    for step in range(draw(st.integers(1, 3))):
        models = sorted(spec)
        model = draw(st.sampled_from(models))
        fields = spec[model]["fields"]
        kind = draw(st.sampled_from(["add", "remove", "alter", "model", "delete", "meta"]))
        if kind == "add":
            source, _ = draw(st.sampled_from(NEW_FIELDS))
            fields[f"extra{step}"] = source
        elif kind == "remove" and len(fields) > 1:
            victim = draw(st.sampled_from(sorted(fields)))
            meta = spec[model]["meta"]
            # (a primary key removed: makemigrations asks for the new ``id``'s default)
            if "primary_key" not in fields[victim] and not any(victim in v for v in meta.values()):
                del fields[victim]
        elif kind == "alter":
            victim = draw(st.sampled_from(sorted(fields)))
            fields[victim] = draw(st.sampled_from(ALTERATIONS))(fields[victim])
        elif kind == "model":
            target = draw(st.sampled_from(models))
            spec[f"Extra{step}"] = {
                "fields": {
                    "label": "models.CharField(max_length=10)",
                    "link": f"models.ForeignKey({target}, on_delete=models.CASCADE, "
                    f'related_name="extras{step}")',
                },
                "meta": {},
            }
        elif kind == "delete" and len(spec) > 1 and not referenced(spec, model):
            del spec[model]
        elif kind == "meta" and model == "Book" and "title" in fields and "author" in fields:
            key, value = draw(st.sampled_from(META_EDITS))
            if "pages" not in value or "pages" in fields:
                spec[model]["meta"][key] = value
    return spec


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(
        tmp_path_factory.mktemp("library"),
        {"library/models.py": render(BASE), "library/migrations/__init__.py": ""},
    )
    makemigrations(root)
    return root


def test_starting_models_are_in_sync(library: Path) -> None:
    assert dm401(library) == []


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=edited())
def test_random_models_edits_agree_with_makemigrations(library: Path, spec: Spec) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(library, root)
        (root / "library/models.py").write_text(render(spec), encoding="utf-8")
        verdict = makemigrations_check(root)
        findings = dm401(root)
        assert_agrees(verdict, findings)
        event(f"makemigrations exit status {verdict.status}")
        if not findings or not any(d.get("fix") == "create-migration" for d in findings[0].fixes):
            return
        created = apply_create_fix(root, findings[0])
        event(f"fix created {len(created)} migration(s)")
        after = makemigrations_check(root, migrate=True)
        assert after.status == 0, f"{render(spec)}\n{after.output}"
        assert after.migrate_error is None, after.migrate_error
