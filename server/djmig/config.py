"""Configuration: ``[tool.djmig]`` in ``pyproject.toml``, overridden by LSP options.

One fully defaulted dataclass. Invalid values are reported as messages and replaced by
defaults; loading never raises.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SEVERITIES = ("error", "warning", "info", "hint")
_CODE = re.compile(r"^DM\d{0,3}$")


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    settings: str | None = None
    python: str | None = None
    database: str | None = None
    #: Seconds between two reads of the database by the language server; 0: on demand.
    database_refresh_interval: float = 0

    def enabled(self, code: str) -> bool:
        selected = not self.select or any(code.startswith(p) for p in self.select)
        return selected and not any(code.startswith(p) for p in self.ignore)


_ALIASES = {
    "settingsModule": "settings",
    "interpreter": "python",
    "databaseUrl": "database",
    "databaseRefreshInterval": "database_refresh_interval",
}


def merge(base: Config, options: dict[str, Any] | None) -> tuple[Config, list[str]]:
    """``base`` with ``options`` applied (snake_case or camelCase keys); plus error messages."""
    errors: list[str] = []
    if not options:
        return base, errors
    if not isinstance(options, dict):
        return base, [f"configuration must be a table/object, got {type(options).__name__}"]
    values = dataclasses.asdict(base)
    for raw_key, value in options.items():
        key = _ALIASES.get(raw_key, raw_key)
        if key not in values:
            errors.append(f"unknown option {raw_key!r}")
            continue
        problem = _validate(key, value)
        if problem:
            errors.append(f"option {raw_key!r}: {problem}; using the default")
            continue
        values[key] = (
            {k.upper(): v.lower() for k, v in value.items()}
            if key == "severity"
            else ([c.upper() for c in value] if key in ("select", "ignore") else value)
        )
    return Config(**values), errors


def _validate(key: str, value: Any) -> str | None:
    if key in ("select", "ignore", "exclude"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings"
        if key != "exclude":
            bad = [v for v in value if not _CODE.match(v.upper())]
            if bad:
                return f"not rule codes: {', '.join(bad)}"
    elif key == "severity":
        if not isinstance(value, dict):
            return "expected a table of CODE = severity"
        for code, level in value.items():
            if not _CODE.match(str(code).upper()) or str(level).lower() not in SEVERITIES:
                return f"{code} = {level!r} (severities: {', '.join(SEVERITIES)})"
    elif key == "database_refresh_interval":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return "expected a number of seconds (0: on demand only)"
    elif value is not None and not isinstance(value, str):
        return "expected a string"
    return None


def load_pyproject(root: Path) -> tuple[Config, list[str]]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config(), []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Config(), [f"{path}: cannot read: {exc}"]
    section = data.get("tool", {}).get("djmig")
    if section is None:
        return Config(), []
    config, errors = merge(Config(), section)
    return config, [f"{path}: [tool.djmig] {e}" for e in errors]
