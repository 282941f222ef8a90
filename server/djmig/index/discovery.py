"""Discovery of a workspace: settings module, installed apps, their migrations packages,
and the project's interpreter (for apps installed in its site-packages).

Mirrors ``django.apps.config.AppConfig.create`` (label from the app config class or the
last component of the app's name) and ``MigrationLoader.migrations_module``
(``MIGRATION_MODULES`` first, else ``<app>.migrations``), statically.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import functools
import json
import logging
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from djmig.config import Config, tomllib
from djmig.index.settings import Settings, read_settings
from djmig.index.source import SourceError, absolute_module, read_source
from djmig.index.values import evaluate, is_unknown
from djmig.keys import MigrationKey

logger = logging.getLogger(__name__)

SKIP_DIRS = {
    "node_modules", "__pycache__", "site-packages", "dist-packages", "build", "dist",
    "venv", "env", "htmlcov",
}  # fmt: skip
WORKSPACE = "workspace"
SITE_PACKAGES = "site-packages"
EXTERNAL = "external"


@dataclass
class Notice:
    """Something djmig cannot analyse, said once in one line."""

    path: Path | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class App:
    """An installed Django app as ``MigrationLoader.load_disk`` sees it.

    ``migrated`` is True when it has a migrations package, False when Django treats it as
    unmigrated, None when djmig cannot see it (an app outside the workspace and no
    interpreter to find it in). ``package_dir`` is the app package's directory, when found.
    """

    label: str
    name: str
    origin: str
    migrations_module: str | None = None
    migrations_dir: Path | None = None
    migrated: bool | None = None
    package_dir: Path | None = None

    def models_files(self) -> list[Path]:
        """The app's models module: ``models.py``, or the files of a ``models/`` package."""
        if self.package_dir is None:
            return []
        module = self.package_dir / "models.py"
        if module.is_file():
            return [module]
        package = self.package_dir / "models"
        if not (package / "__init__.py").is_file():
            return []
        return sorted(p for p in package.glob("*.py") if p.is_file())

    def owns_models_file(self, path: Path) -> bool:
        """Whether ``path`` is (or would be) a file of the app's models module."""
        if self.package_dir is None or path.suffix != ".py":
            return False
        if path.parent == self.package_dir:
            return path.name == "models.py"
        return path.parent == self.package_dir / "models"

    def migration_files(self) -> dict[MigrationKey, Path]:
        """``pkgutil.iter_modules`` over the package: modules not starting with ``_``/``~``."""
        if not self.migrated or self.migrations_dir is None:
            return {}
        files: dict[MigrationKey, Path] = {}
        try:
            # ``iterdir`` builds its paths from the parent's parts: 3x cheaper than
            # ``Path(entry.path)`` for 10,000 files.
            entries = sorted(self.migrations_dir.iterdir(), key=_name)
        except OSError:
            return files
        for entry in entries:
            name, ext = os.path.splitext(entry.name)
            if ext == ".py" and name and name[0] not in "_~" and "." not in name:
                # Directories and broken links named like modules too: Django tries (and
                # fails) to import them; reading them gives the user a clear note.
                files[MigrationKey(self.label, name)] = entry
        return files


def _name(path: Path) -> str:
    return path.name


@dataclass
class Project:
    root: Path
    settings: Settings
    apps: dict[str, App] = field(default_factory=dict)
    closed: bool = False
    interpreter: Path | None = None
    site_packages: list[Path] = field(default_factory=list)
    source_roots: list[Path] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    #: Workspace packages with migrations that ``INSTALLED_APPS`` (statically known) lacks.
    uninstalled: list[App] = field(default_factory=list)
    #: A workspace app's ``makemigrations`` command, which replaces Django's.
    makemigrations_command: Path | None = None

    def is_excluded(self, path: Path) -> bool:
        if not self.excluded:
            return False
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        return any(fnmatch.fnmatch(relative, pattern) for pattern in self.excluded)

    def models_app(self, path: Path) -> App | None:
        """The workspace app whose models module ``path`` belongs to."""
        package = path.parent.parent if path.parent.name == "models" else path.parent
        app = self._workspace_packages.get(package)
        return app if app is not None and app.owns_models_file(path) else None

    @functools.cached_property
    def _workspace_packages(self) -> dict[Path, App]:
        """Package directory → workspace app (the apps are complete once discovered)."""
        return {
            app.package_dir: app
            for app in self.apps.values()
            if app.origin == WORKSPACE and app.package_dir is not None
        }

    def module_file(self, module: str) -> tuple[App, Path] | None:
        """The file of module ``module`` inside a workspace app's package (not its
        migrations), with that app: the innermost app whose package contains it."""
        found = None
        for app in self._workspace_packages.values():
            if (module + ".").startswith(app.name + ".") and (
                found is None or len(app.name) > len(found.name)
            ):
                found = app
        if found is None or found.package_dir is None:
            return None
        rest = module[len(found.name) + 1 :].split(".") if module != found.name else []
        if rest[:1] == ["migrations"]:
            return None
        base = found.package_dir.joinpath(*rest)
        for path in (base / "__init__.py", base.with_suffix(".py") if rest else None):
            if path is not None and path.is_file():
                return found, path
        return None

    def app_for_dir(self, directory: Path) -> App | None:
        for app in self.apps.values():
            if app.migrations_dir == directory:
                return app
        return None


def discover(root: Path, config: Config, overlays: Mapping[Path, str] | None = None) -> Project:
    """The project at ``root``; ``overlays`` are unsaved editor buffers of settings files."""
    root = root.resolve()
    settings_path, module, source_roots = _find_settings(root, config)
    interpreter, site_packages = _find_site_packages(root, config)
    settings = read_settings(settings_path, module, overlays, site_packages)
    project = Project(root=root, settings=settings, source_roots=source_roots)
    project.interpreter, project.site_packages = interpreter, site_packages
    project.excluded = list(config.exclude)
    project.notices.extend(Notice(None, e) for e in settings.errors)
    if settings_path is None:
        project.notices.append(
            Notice(root, "no settings module found: every app with migrations is analysed")
        )
    installed = settings.installed_apps
    if is_unknown(installed):
        if settings_path is not None:
            project.notices.append(
                Notice(settings_path, "INSTALLED_APPS cannot be read statically")
            )
        _discover_workspace_apps(project)
    else:
        _resolve_installed_apps(project, installed)
        if isinstance(settings.get("MIGRATION_MODULES"), dict):
            project.uninstalled = _find_uninstalled_apps(project)
    _find_makemigrations_command(project)
    return project


def _find_makemigrations_command(project: Project) -> None:
    """A workspace app that defines ``management/commands/makemigrations.py`` replaces
    Django's command (pretix's ignores some field attributes): what it writes is its own.
    Third-party ones (django-linear-migrations) extend Django's and are not looked at."""
    for app in project.apps.values():
        if app.origin != WORKSPACE or app.package_dir is None:
            continue
        command = app.package_dir / "management" / "commands" / "makemigrations.py"
        if command.is_file():
            project.makemigrations_command = command
            project.notices.append(
                Notice(
                    command,
                    "makemigrations is this project's own command: DM401 (models without a "
                    "migration) is not reported, as what it writes cannot be known",
                )
            )
            return


# -- settings -----------------------------------------------------------------------------


def _find_settings(root: Path, config: Config) -> tuple[Path | None, str | None, list[Path]]:
    manage = _find_manage_py(root)
    roots = [p for p in (manage.parent if manage else None, root / "src", root) if p]
    roots = [p for i, p in enumerate(roots) if p.is_dir() and p not in roots[:i]]
    module = config.settings
    if module and (module.endswith(".py") or "/" in module):
        path = (root / module).resolve()
        return (path if path.is_file() else None), None, roots
    if module is None and manage is not None:
        module = _settings_from_manage(manage)
    if module is None:
        module = _settings_from_entry_points(root) or _settings_from_pytest(root)
    if module:
        found = _find_module_file(module, roots)
        if found:
            return found, module, roots
    candidates = [
        p
        for p in _walk_files(root, "settings.py")
        if not any(part in SKIP_DIRS for part in p.parts)
    ]
    if len(candidates) == 1:
        return candidates[0], None, roots
    return None, module, roots


def _find_manage_py(root: Path) -> Path | None:
    if (root / "manage.py").is_file():
        return root / "manage.py"
    found = sorted(_walk_files(root, "manage.py", max_depth=2), key=lambda p: len(p.parts))
    return found[0] if found else None


def _settings_from_manage(manage: Path) -> str | None:
    try:
        tree = ast.parse(read_source(manage))
    except (SourceError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("setdefault", "get")
            and len(node.args) == 2
            and evaluate(node.args[0]) == "DJANGO_SETTINGS_MODULE"
        ):
            value = evaluate(node.args[1])
            if isinstance(value, str):
                return value
    return None


def _settings_from_entry_points(root: Path) -> str | None:
    """The default ``DJANGO_SETTINGS_MODULE`` of the project's ``wsgi.py``/``asgi.py``
    (``startproject`` puts them next to ``settings.py``), when they agree."""
    found = {
        module
        for name in ("wsgi.py", "asgi.py")
        for path in _walk_files(root, name, max_depth=3)
        if not any(part in SKIP_DIRS for part in path.parts)
        and (module := _settings_from_manage(path)) is not None
    }
    return found.pop() if len(found) == 1 else None


def _settings_from_pytest(root: Path) -> str | None:
    """``DJANGO_SETTINGS_MODULE`` of ``[tool.pytest.ini_options]`` (pytest-django)."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    options = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
    module = options.get("DJANGO_SETTINGS_MODULE") if isinstance(options, dict) else None
    return module if isinstance(module, str) and module else None


def _find_module_file(module: str, roots: list[Path]) -> Path | None:
    """The file of module ``module`` (``x.py`` or ``x/__init__.py``), found as the import
    system finds it: on the first path entry that has either."""
    parent, _, name = module.rpartition(".")
    for base in _package_path(parent, roots) if parent else roots:
        for option in (base / name / "__init__.py", base / f"{name}.py"):
            if option.is_file():
                return option
    return None


def _find_package_dir(module: str, roots: list[Path]) -> Path | None:
    """The directory of package ``module`` (the first, for a namespace package)."""
    found = _package_path(module, roots)
    return found[0] if found else None


def _package_path(module: str, roots: list[Path]) -> list[Path]:
    """``module.__path__`` as ``PathFinder`` builds it, one component at a time: the first
    path entry with a regular package (``__init__.py``) wins, a module there is no package,
    and directories without ``__init__.py`` (namespace portions: a media folder named like
    an installed app, say) count only when no entry has either."""
    path = roots
    for name in module.split("."):
        portions: list[Path] = []
        for base in path:
            candidate = base / name
            if (candidate / "__init__.py").is_file():
                portions = [candidate]
                break
            if (base / f"{name}.py").is_file():
                return []
            if candidate.is_dir():
                portions.append(candidate)
        if not portions:
            return []
        path = portions
    return path


def _walk_dirs(root: Path, max_depth: int = 12) -> Iterator[tuple[Path, list[os.DirEntry[str]]]]:
    """Directories under ``root``, following links once, skipping venvs and hidden ones."""
    seen: set[str] = set()
    stack = [(str(root), 0)]
    while stack:
        current, depth = stack.pop()
        try:
            real = os.path.realpath(current)
            if real in seen:
                continue
            seen.add(real)
            entries = list(os.scandir(current))
        except OSError:
            continue
        yield Path(current), entries
        if depth >= max_depth:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in SKIP_DIRS:
                continue
            try:
                if entry.is_dir() and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    stack.append((entry.path, depth + 1))
            except OSError:
                continue


def _walk_files(root: Path, filename: str, max_depth: int = 12) -> list[Path]:
    found = []
    for directory, entries in _walk_dirs(root, max_depth):
        if any(e.name == filename for e in entries):
            found.append(directory / filename)
    return found


# -- interpreter --------------------------------------------------------------------------


def _find_site_packages(root: Path, config: Config) -> tuple[Path | None, list[Path]]:
    candidates: list[Path] = []
    if config.python:
        python = Path(config.python).expanduser()
        candidates.append(python if python.is_absolute() else root / python)
    else:
        for name in (".venv", "venv", "env"):
            if (root / name / "pyvenv.cfg").is_file():
                candidates.append(root / name)
        if os.environ.get("VIRTUAL_ENV"):
            candidates.append(Path(os.environ["VIRTUAL_ENV"]))
    for candidate in candidates:
        venv = candidate
        if candidate.is_file():
            venv = candidate.parent.parent
        found = sorted(venv.glob("lib/python3*/site-packages")) + sorted(
            venv.glob("Lib/site-packages")
        )
        if found:
            return candidate, found
        if candidate.is_file():
            paths = _ask_interpreter(candidate)
            if paths:
                return candidate, paths
    return None, []


def _ask_interpreter(python: Path) -> list[Path]:
    """Ask a non-venv interpreter for its site-packages; no user code runs (``-I``)."""
    code = (
        "import json,sysconfig;p=sysconfig.get_paths();"
        "print(json.dumps([p['purelib'],p['platlib']]))"
    )
    try:
        out = subprocess.run(
            [str(python), "-I", "-c", code], capture_output=True, text=True, timeout=5, check=True
        ).stdout
        return [Path(p) for p in dict.fromkeys(json.loads(out)) if Path(p).is_dir()]
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


# -- apps ---------------------------------------------------------------------------------


@dataclass
class _AppConfigFacts:
    name: str | None = None
    label: str | None = None
    default: bool | None = None
    certain: bool = True


#: ``django.apps.AppConfig`` itself, as a module-level name or a base resolves to it.
_APP_CONFIG = "AppConfig"
#: What a name resolves to when its definition cannot be read.
_UNKNOWN = "unknown"
_ATTRIBUTES = ("name", "label", "default")
_MAX_DEPTH = 8  # re-exports and bases followed from one module to another


@dataclass
class _Module:
    """The module-level classes and ``from … import`` names of one module."""

    classes: dict[str, ast.ClassDef]
    imported: dict[str, tuple[str, str]]  # local name -> (module, name)
    others: set[str]  # names bound otherwise (assignments, functions, ``import x``)


class _ConfigClasses:
    """``AppConfig`` subclasses read statically, as ``AppConfig.create`` sees them: the
    classes of a module found with ``inspect.getmembers`` (defined there or imported into
    it), a class's bases and ``name``/``label``/``default`` followed through imports into
    the modules of ``roots`` (the workspace and site-packages)."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots
        self.modules: dict[str, _Module | None] = {}

    def module(self, dotted: str, path: Path | None = None) -> _Module | None:
        if dotted not in self.modules:
            self.modules[dotted] = self._read(dotted, path or _find_module_file(dotted, self.roots))
        return self.modules[dotted]

    @staticmethod
    def _read(dotted: str, path: Path | None) -> _Module | None:
        if path is None:
            return None
        try:
            tree = ast.parse(read_source(path))
        except (SourceError, SyntaxError, ValueError):
            return None
        package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
        found = _Module({}, {}, set())
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                found.classes[stmt.name] = stmt
            elif isinstance(stmt, ast.ImportFrom):
                origin = absolute_module(stmt, package)
                for alias in stmt.names:
                    if origin is not None and alias.name != "*":
                        found.imported[alias.asname or alias.name] = (origin, alias.name)
                    else:  # star imports, relative imports past the top: unknown names
                        found.others.add("*")
            else:  # anything else a statement binds (in a ``try``, an ``if``…) is unknown
                found.others.update(_bound_names(stmt))
        return found

    def resolve(
        self, module: _Module, name: str, depth: int = 0
    ) -> tuple[_Module, ast.ClassDef] | str | None:
        """What ``name`` is in ``module``: a class statement (with its module),
        ``_APP_CONFIG``, ``_UNKNOWN``, or None (not a class: a function, a module…)."""
        if depth > _MAX_DEPTH:
            return _UNKNOWN
        if name in module.classes:
            return module, module.classes[name]
        if name in module.imported:
            origin, original = module.imported[name]
            if original == _APP_CONFIG and origin in ("django.apps", "django.apps.config"):
                return _APP_CONFIG
            source = self.module(origin)
            if source is None:
                # ``from package import submodule`` is no class; an unreadable module's
                # names are unknown unless they cannot be configs (see ``_maybe_config``).
                if _find_module_file(f"{origin}.{original}", self.roots) is not None:
                    return None
                return _UNKNOWN
            return self.resolve(source, original, depth + 1)
        if name == _APP_CONFIG:  # not imported from django.apps: nobody names another so
            return _APP_CONFIG
        if name in module.others or "*" in module.others:
            return _UNKNOWN
        return None

    def base(
        self, module: _Module, expr: ast.expr, depth: int
    ) -> tuple[_Module, ast.ClassDef] | str | None:
        """What a class's base is. One that cannot be read is taken for a possible config
        only when it is named like one (``ModelSearchAppConfig``, ``admin.AdminConfig``):
        a mixin from an unreadable module does not make a class a config."""
        if isinstance(expr, ast.Name):
            name, resolved = expr.id, self.resolve(module, expr.id, depth)
        elif isinstance(expr, ast.Attribute):  # ``apps.AppConfig``, ``admin.apps.AdminConfig``
            name, resolved = expr.attr, _APP_CONFIG if expr.attr == _APP_CONFIG else _UNKNOWN
        else:
            return None
        if resolved == _UNKNOWN and not name.endswith("Config"):
            return None
        return resolved

    def facts(
        self, found: tuple[_Module, ast.ClassDef] | str | None, depth: int = 0
    ) -> _AppConfigFacts | None:
        """The config facts of a resolved class, attributes inherited; None when it is not
        an ``AppConfig`` subclass (or is ``AppConfig`` itself), uncertain when that or an
        attribute cannot be read."""
        if not isinstance(found, tuple):
            return _AppConfigFacts(certain=False) if found == _UNKNOWN else None
        if depth > _MAX_DEPTH:
            return _AppConfigFacts(certain=False)
        module, statement = found
        own = _AppConfigFacts()
        unread: set[str] = set()
        for item in statement.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1:
                target = item.targets[0]
                if isinstance(target, ast.Name) and target.id in _ATTRIBUTES:
                    value = evaluate(item.value)
                    expected = bool if target.id == "default" else str
                    if isinstance(value, expected):
                        setattr(own, target.id, value)
                        unread.discard(target.id)
                    else:
                        unread.add(target.id)
        subclass = False
        for expr in statement.bases:  # the first base that has an attribute gives it
            resolved = self.base(module, expr, depth)
            if resolved == _APP_CONFIG:
                subclass = True
                continue
            inherited = self.facts(resolved, depth + 1)
            if inherited is None:
                continue
            subclass = True
            own.certain = own.certain and inherited.certain
            for attribute in _ATTRIBUTES:
                if getattr(own, attribute) is None and attribute not in unread:
                    setattr(own, attribute, getattr(inherited, attribute))
        if not subclass:
            return None
        own.certain = own.certain and not unread
        return own

    def configs(self, dotted: str, path: Path) -> dict[str, _AppConfigFacts] | None:
        """``inspect.getmembers(module)``'s ``AppConfig`` subclasses, by name; None when
        the module cannot be read."""
        module = self.module(dotted, path)
        if module is None:
            return None
        found: dict[str, _AppConfigFacts] = {}
        for name in (*module.classes, *module.imported):
            if name not in module.classes and not _maybe_config(*module.imported[name]):
                continue
            facts = self.facts(self.resolve(module, name))
            if facts is not None:
                found[name] = facts
        return found


def _maybe_config(origin: str, original: str) -> bool:
    """Whether an imported name may be an ``AppConfig`` subclass worth resolving: a class
    name (CapWords) from an ``apps`` module or named like a config. Other imports
    (``apps``, ``settings``, ``gettext_lazy``, signals, checks) are taken for what they are,
    so that an apps module importing from an unreadable Django stays certain."""
    return original[:1].isupper() and (
        origin.rpartition(".")[2] == "apps" or original.endswith("Config")
    )


def _bound_names(stmt: ast.stmt) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _default_config(configs: dict[str, _AppConfigFacts]) -> _AppConfigFacts | None:
    """The config ``AppConfig.create`` picks for a module entry: the only candidate not
    marked ``default = False``, else the only one marked ``default = True``; uncertain
    when any candidate is."""
    candidates = [c for c in configs.values() if c.default is not False]
    explicit = [c for c in candidates if c.default is True]
    if len(candidates) == 1:
        chosen = candidates[0]
    elif len(explicit) > 1:
        return _AppConfigFacts(certain=False)  # Django raises RuntimeError
    elif explicit:
        chosen = explicit[0]
    else:
        return None
    if all(c.certain for c in configs.values()):
        return chosen
    return dataclasses.replace(chosen, certain=False)


def _app_identity(
    entry: str, roots: list[Path], lookup: list[Path] | None = None
) -> tuple[str, str, Path | None, bool] | None:
    """(name, label, package dir, label certain) for an INSTALLED_APPS entry, like
    ``AppConfig.create``; None when the entry cannot be found in ``roots``. Config classes'
    bases are looked up in ``lookup`` too (a workspace app's config may subclass an
    installed package's)."""
    classes = _ConfigClasses([*roots, *(lookup or [])])
    package = _find_package_dir(entry, roots)
    if package is not None:
        apps_py = package / "apps.py"
        configs = classes.configs(f"{entry}.apps", apps_py) if apps_py.is_file() else {}
        if configs is None:
            return entry, entry.rpartition(".")[2], package, False
        facts = _default_config(configs) or _AppConfigFacts(
            name=entry, certain=all(c.certain for c in configs.values())
        )
        name = facts.name or entry
        return (
            name,
            facts.label or name.rpartition(".")[2],
            _find_package_dir(name, roots) or package,
            facts.certain,
        )
    module, _, class_name = entry.rpartition(".")
    module_file = _find_module_file(module, roots) if module else None
    if module_file is not None:
        chosen = (classes.configs(module, module_file) or {}).get(class_name)
        if chosen is None or chosen.name is None:
            return None
        label = chosen.label or chosen.name.rpartition(".")[2]
        return chosen.name, label, _find_package_dir(chosen.name, roots), chosen.certain
    return None


def _resolve_installed_apps(project: Project, installed: list[str]) -> None:
    settings = project.settings
    migration_modules = settings.get("MIGRATION_MODULES")
    closed = not is_unknown(migration_modules) and isinstance(migration_modules, dict)
    if not closed:
        migration_modules = {}
        project.notices.append(Notice(settings.path, "MIGRATION_MODULES cannot be read statically"))
    for entry in installed:
        identity = _app_identity(entry, project.source_roots, project.site_packages)
        origin = WORKSPACE
        roots = project.source_roots
        if identity is not None and _shadowed_portion(identity[0], identity[2], project):
            identity = None
        if identity is None and project.site_packages:
            identity = _app_identity(entry, project.site_packages)
            origin, roots = SITE_PACKAGES, project.site_packages
        if identity is None:
            # Outside the workspace and no interpreter to look in: external, unknown.
            closed = False
            if entry.rpartition(".")[2][:1].islower():
                label = entry.rpartition(".")[2]
                project.apps.setdefault(label, App(label, entry, EXTERNAL))
            continue
        name, label, package_dir, certain = identity
        if origin == WORKSPACE and package_dir is None and project.site_packages:
            installed_dir = _find_package_dir(name, project.site_packages)
            if installed_dir is not None:  # a workspace config of an installed app
                origin, roots, package_dir = SITE_PACKAGES, project.site_packages, installed_dir
        closed = closed and certain
        app = App(label=label, name=name, origin=origin, package_dir=package_dir)
        project.apps[label] = app
        module = migration_modules.get(label, f"{name}.migrations")
        if module is None:
            app.migrated = False  # MIGRATION_MODULES = {label: None}: migrations disabled
            continue
        if not isinstance(module, str):
            continue  # where its migrations are is unknown (migrated=None): never missing
        app.migrations_module = module
        _locate_migrations(project, app, roots)
    project.closed = closed


def _shadowed_portion(name: str, package_dir: Path | None, project: Project) -> bool:
    """Whether the workspace's ``package_dir`` of package ``name`` is a directory without
    ``__init__.py`` while site-packages has the regular package, which Python imports
    (``_package_path``)."""
    if package_dir is None or (package_dir / "__init__.py").is_file():
        return False
    if not project.site_packages:
        return False
    found = _find_package_dir(name, [*project.source_roots, *project.site_packages])
    return found is not None and any(found.is_relative_to(s) for s in project.site_packages)


def _locate_migrations(project: Project, app: App, roots: list[Path]) -> None:
    directory = _find_package_dir(app.migrations_module or "", roots)
    if directory is None:
        # ``migrations.py`` module or no migrations module: Django treats it as unmigrated.
        app.migrated = False
        return
    if not (directory / "__init__.py").is_file():
        app.migrated = False
        project.notices.append(
            Notice(
                directory,
                f"no __init__.py: Django treats {app.label!r} as unmigrated (namespace package)",
            )
        )
        return
    app.migrations_dir = directory
    app.migrated = True


def _discover_workspace_apps(project: Project) -> None:
    """No readable INSTALLED_APPS: every workspace package with a ``migrations`` package
    holding numbered migrations, outside test directories (label-studio's
    ``data_manager/tests/migrations/`` holds tests of migrations, not an app's)."""
    root = project.root
    for directory, entries in _walk_dirs(root):
        if directory.name != "migrations" or project.is_excluded(directory):
            continue
        if not _numbered_migrations(project, directory, {e.name for e in entries}):
            continue
        package = directory.parent
        name = _module_name(package, project.source_roots)
        if name is None:
            continue
        identity = _app_identity(name, project.source_roots, project.site_packages)
        label = identity[1] if identity else name.rpartition(".")[2]
        if label in project.apps:
            project.notices.append(
                Notice(directory, f"app label {label!r} is used by two apps; the first is kept")
            )
            continue
        project.apps[label] = App(
            label, name, WORKSPACE, f"{name}.migrations", directory, True, package
        )
    for site in project.site_packages:
        for directory, entries in _walk_dirs(site, max_depth=4):
            names = {e.name for e in entries}
            numbered = any(n[:4].isdigit() and n.endswith(".py") for n in names)
            if directory.name == "migrations" and "__init__.py" in names and numbered:
                name = ".".join(directory.parent.relative_to(site).parts)
                identity = _app_identity(name, [site])
                label = identity[1] if identity else name.rpartition(".")[2]
                project.apps.setdefault(
                    label,
                    App(
                        label,
                        name,
                        SITE_PACKAGES,
                        f"{name}.migrations",
                        directory,
                        True,
                        directory.parent,
                    ),
                )


#: Directories whose apps are installed by test settings, not by the project's.
TEST_DIRS = {"tests", "test", "testing"}


def _numbered_migrations(project: Project, directory: Path, names: set[str]) -> bool:
    """Whether ``directory`` looks like an app's migrations package: one with numbered
    modules (``0001_initial.py``), not inside a test directory (whose apps, if any, test
    settings install)."""
    if "__init__.py" not in names or not any(n[:4].isdigit() and n.endswith(".py") for n in names):
        return False
    return not TEST_DIRS & set(directory.parent.relative_to(project.root).parts)


def _find_uninstalled_apps(project: Project) -> list[App]:
    """Workspace packages that look like apps (``models`` or ``apps.py``) and have a
    migrations package with numbered migrations, but are not installed."""
    installed_dirs = {a.migrations_dir for a in project.apps.values() if a.migrations_dir}
    installed_packages = {a.package_dir for a in project.apps.values() if a.package_dir}
    found = []
    for directory, entries in _walk_dirs(project.root):
        if directory.name != "migrations" or directory in installed_dirs:
            continue
        if not _numbered_migrations(project, directory, {e.name for e in entries}):
            continue
        package = directory.parent
        if package in installed_packages or project.is_excluded(directory):
            continue
        if not (package / "__init__.py").is_file() or not any(
            (package / n).exists() for n in ("models.py", "models", "apps.py")
        ):
            continue
        name = _module_name(package, project.source_roots)
        if name is None:
            continue
        label = name.rpartition(".")[2]
        app = App(label, name, WORKSPACE, f"{name}.migrations", directory, True, package)
        found.append(app)
    return sorted(found, key=lambda a: a.name)


def _module_name(package: Path, roots: list[Path]) -> str | None:
    for base in roots:
        try:
            relative = package.relative_to(base)
        except ValueError:
            continue
        if relative.parts:
            return ".".join(relative.parts)
    return None
