"""A small typed reader for settings that come from the environment.

It refuses malformed values at start-up instead of guessing, so a typo in a deployment
fails loudly rather than running with a default nobody chose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ValueError):
    """An environment variable holds a value that cannot be used."""


@dataclass(frozen=True)
class Env:
    environ: Mapping[str, str]

    @classmethod
    def from_os(cls) -> Env:
        return cls(os.environ)

    def text(self, name: str, default: str) -> str:
        return self.environ.get(name, default)

    def flag(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise SettingError(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
        if minimum is not None and value < minimum:
            raise SettingError(f"{name} must be at least {minimum}, not {value}")
        return value

    def url(self, name: str, default: str) -> str:
        """An absolute http(s) address (a site's root, perhaps with a path), without a
        trailing slash; links are built by appending a path to it."""
        value = self.environ.get(name, default).strip()
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingError(
                f"{name} must be an absolute http:// or https:// address, not {value!r}"
            )
        try:
            _ = parts.port  # parsed only when asked for
        except ValueError:
            raise SettingError(f"{name} has a malformed port") from None
        if parts.query or parts.fragment:
            raise SettingError(f"{name} must have no query or fragment, not {value!r}")
        return value.rstrip("/")

    def items(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None:
            return default
        return [item.strip() for item in raw.split(",") if item.strip()]

    def dotted_paths(self, name: str, default: list[str]) -> list[str]:
        """Comma-separated Python paths (`package.module.Class`), at least one. Only their
        form is checked here: importing them belongs after Django has started."""
        paths = self.items(name, default)
        if not paths:
            raise SettingError(f"{name} must name at least one Python path")
        for path in paths:
            if not _DOTTED_PATH.match(path):
                raise SettingError(
                    f"{name} holds {path!r}, not a Python path like pkg.module.Class"
                )
        return paths

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.environ.get(name, default)
        if value not in choices:
            raise SettingError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def database(self, name: str, default_sqlite: Path) -> dict[str, Any]:
        raw = self.environ.get(name)
        if not raw:
            return sqlite_database(default_sqlite)
        return parse_database_url(raw, name=name)


def sqlite_database(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL lets the background worker and the web server read and write side by side.
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
    }


def parse_database_url(url: str, *, name: str = "DATABASE_URL") -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        database = parts.path.lstrip("/")
        if not database:
            raise SettingError(f"{name} names no database: add /NAME to the URL")
        try:
            port = parts.port
        except ValueError:
            raise SettingError(f"{name} has a malformed port") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(database),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise SettingError(f"{name} names no SQLite file: use sqlite:////absolute/path")
        return sqlite_database(Path(path))
    raise SettingError(
        f"{name} must start with postgresql:// or sqlite://, not {parts.scheme or url!r}"
    )
