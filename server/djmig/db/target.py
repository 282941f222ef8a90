"""Which database to read, and how: a ``DatabaseTarget`` from the configuration.

In order: ``[tool.djmig] database`` / the LSP option ``databaseUrl`` (a URL, or the path
of an SQLite file), else the ``DATABASE_URL`` environment variable, else the statically
read ``DATABASES["default"]`` (``ENGINE``, ``NAME``, ``USER``, ``HOST``, ``PORT``,
``OPTIONS``; ``os.environ.get(name, default)`` gives its default, as everywhere in the
static reading of settings). The settings' ``PASSWORD`` is never read: a password comes
from the URL, or from libpq's environment (``PGPASSWORD``) and ``.pgpass``. Engines are
those of ``django.db.backends`` (and GeoDjango's) for SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from djmig.index.values import contains_unknown, is_unknown

if TYPE_CHECKING:
    from djmig.config import Config
    from djmig.index.discovery import Project

SQLITE_ENGINES = {
    "django.db.backends.sqlite3",
    "django.contrib.gis.db.backends.spatialite",
}
POSTGRES_ENGINES = {
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
    "django.contrib.gis.db.backends.postgis",
}
SQLITE_SCHEMES = {"sqlite", "sqlite3", "spatialite"}
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis", "psql"}
#: ``OPTIONS`` keys of Django's PostgreSQL backend that are not libpq parameters.
_DJANGO_OPTIONS = {"isolation_level", "assume_role", "server_side_binding", "pool"}


class DatabaseUnavailable(Exception):
    """The database cannot be read; the message is one line, without any password."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A database to open read-only. ``vendor`` is ``sqlite`` (``name`` is the file's
    path) or ``postgresql`` (``name`` is the database; ``options`` more libpq
    parameters such as ``sslmode`` or ``options=-c search_path=…``). ``source`` says
    where the settings came from."""

    vendor: str
    name: str
    source: str
    user: str | None = None
    host: str | None = None
    port: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)
    options: Mapping[str, str] = field(default_factory=dict)
    shown_name: str | None = None

    def describe(self) -> str:
        """For messages: never the password."""
        if self.vendor == "sqlite":
            return f"SQLite database {self.shown_name or self.name}"
        where = self.host or "the default socket"
        if self.port:
            where += f":{self.port}"
        user = f" as {self.user}" if self.user else ""
        return f"PostgreSQL database {self.name!r} on {where}{user}"

    def scrub(self, text: str) -> str:
        """``text`` with the password (if any) masked."""
        if self.password:
            text = text.replace(self.password, "***")
        return text


def from_url(url: str, root: Path, source: str) -> DatabaseTarget:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db``, a bare file path, or
    ``postgresql://user:password@host:port/name?sslmode=require`` (``currentSchema=``
    sets the ``search_path``, as dj-database-url does)."""
    url = url.strip()
    if "://" not in url:
        if not url:
            raise DatabaseUnavailable(f"{source} is empty")
        return _sqlite(root, url, source)
    parts = urlsplit(url)
    scheme = parts.scheme.lower().split("+", 1)[0]
    if scheme in SQLITE_SCHEMES:
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc == ":memory:" or not path or path == ":memory:":
            raise DatabaseUnavailable(f"{source}: an in-memory SQLite database has no history")
        return _sqlite(root, path, source)
    if scheme not in POSTGRES_SCHEMES:
        raise DatabaseUnavailable(
            f"{source}: djmig reads SQLite and PostgreSQL databases, not {scheme or url!r}"
        )
    options: dict[str, str] = {}
    try:
        port = str(parts.port) if parts.port else None
    except ValueError:
        raise DatabaseUnavailable(f"{source}: the port is not a number") from None
    # Not ``parts.hostname``: it lower-cases, and a socket directory is written %2F-quoted.
    host_port = parts.netloc.rpartition("@")[2]
    if port is not None:
        host_port = host_port[: -len(port) - 1]
    host = unquote(host_port.strip("[]")) or None
    for key, value in parse_qsl(parts.query):
        if key == "currentSchema":
            options["options"] = f"-c search_path={value}"
        elif key == "host":
            host = value
        elif key == "port":
            port = value
        else:
            options[key] = value
    return DatabaseTarget(
        "postgresql",
        unquote(parts.path.lstrip("/")) or "postgres",
        source,
        user=unquote(parts.username) if parts.username else None,
        host=host,
        port=port,
        password=unquote(parts.password) if parts.password else None,
        options=options,
    )


def from_settings(project: Project) -> DatabaseTarget:
    """``DATABASES["default"]`` of the statically read settings."""
    settings = project.settings
    where = f"DATABASES['default'] in {settings.path}" if settings.path else "DATABASES"
    if settings.path is None:
        raise DatabaseUnavailable("no database configured (no settings module found)")
    databases = settings.get("DATABASES")
    if is_unknown(databases) or not isinstance(databases, dict):
        raise DatabaseUnavailable(
            f"DATABASES cannot be read statically from {settings.path}; "
            "set [tool.djmig] database or DATABASE_URL"
        )
    default = databases.get("default")
    if not isinstance(default, dict):
        raise DatabaseUnavailable(f"no DATABASES['default'] in {settings.path}")
    engine = default.get("ENGINE")
    values: dict[str, Any] = {}
    for key in ("NAME", "USER", "HOST", "PORT", "OPTIONS"):
        value = default.get(key)
        if contains_unknown(value):
            raise DatabaseUnavailable(
                f"{where}: {key} cannot be read statically; "
                "set [tool.djmig] database or DATABASE_URL"
            )
        values[key] = value
    name = values["NAME"]
    if engine in SQLITE_ENGINES:
        if not isinstance(name, str) or not name or name == ":memory:" or "mode=memory" in name:
            raise DatabaseUnavailable(f"{where}: no SQLite file (NAME is {name!r})")
        if name.startswith("file:"):
            name = unquote(urlsplit(name).path)
        return _sqlite(project.root, name, where)
    if engine not in POSTGRES_ENGINES:
        raise DatabaseUnavailable(
            f"{where}: djmig reads SQLite and PostgreSQL databases, not {engine!r}"
        )
    options = values["OPTIONS"] or {}
    if not isinstance(options, dict):
        raise DatabaseUnavailable(f"{where}: OPTIONS is not a dict")
    libpq = {
        str(k): str(v)
        for k, v in options.items()
        if k not in _DJANGO_OPTIONS and isinstance(v, (str, int)) and k != "password"
    }
    service = libpq.get("service")
    if not name and not service:
        raise DatabaseUnavailable(f"{where}: NAME is empty")
    return DatabaseTarget(
        "postgresql",
        str(name or ""),
        where,
        user=str(values["USER"]) if values["USER"] else None,
        host=str(values["HOST"]) if values["HOST"] else None,
        port=str(values["PORT"]) if values["PORT"] else None,
        options=libpq,
    )


def resolve_target(
    config: Config, project: Project, environ: Mapping[str, str] | None = None
) -> DatabaseTarget:
    """The database the configuration names (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    if config.database:
        return from_url(config.database, project.root, "[tool.djmig] database")
    if environ.get("DATABASE_URL"):
        return from_url(environ["DATABASE_URL"], project.root, "DATABASE_URL")
    return from_settings(project)


def _sqlite(root: Path, name: str, source: str) -> DatabaseTarget:
    """An SQLite file; a relative path is relative to the workspace root (``manage.py``'s
    directory, where Django runs), and shown relative to it."""
    path = Path(name).expanduser()
    path = path if path.is_absolute() else root / path
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = str(path)
    return DatabaseTarget("sqlite", str(path), source, shown_name=shown)
