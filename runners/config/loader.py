"""The TOML configuration: `loadwatch.toml` in the working directory or the XDG config directory.

Each section is parsed by the module that owns it (a function taking the section's raw table and a
`ConfigContext` for error messages); this module finds the file, reads it and reports errors that name
the file, the key and the problem. Nothing is started when the configuration is invalid.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

CONFIG_NAME = "loadwatch.toml"
T = TypeVar("T")


class ConfigError(ValueError):
    """An invalid configuration: the message names the file, the key and what is wrong."""

    def __init__(self, path: Path | None, key: str, problem: str) -> None:
        where = str(path) if path is not None else "<defaults>"
        super().__init__(f"{where}: {key}: {problem}")
        self.path = path
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ConfigContext:
    """Where a value comes from, for error messages."""

    path: Path | None
    prefix: str = ""

    def key(self, name: str) -> str:
        """The dotted key of a field in this context."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def child(self, name: str) -> ConfigContext:
        """The context of a sub-table or array element (`gauges[2]`)."""
        return ConfigContext(self.path, self.key(name))

    def error(self, name: str, problem: str) -> ConfigError:
        """An error about field `name` of this context."""
        return ConfigError(self.path, self.key(name), problem)

    def get(self, table: Mapping[str, Any], name: str, kind: type[T] | tuple[type, ...], default: T) -> T:
        """`table[name]` checked against `kind` (ints are accepted where floats are expected)."""
        if name not in table:
            return default
        value = table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(name, f"expected {_names(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self.error(name, f"expected {_names(kinds)}, got {type(value).__name__} {value!r}")
        return value  # type: ignore[return-value]

    def require(self, table: Mapping[str, Any], name: str, kind: type[T] | tuple[type, ...]) -> T:
        """Like get(), but the key must be present."""
        if name not in table:
            raise self.error(name, "is required")
        value: T | None = self.get(table, name, kind, None)
        assert value is not None
        return value

    def reject_unknown(self, table: Mapping[str, Any], known: Set[str], what: str = "key") -> None:
        """Refuse keys this section does not know (a typo must not be silently ignored)."""
        for name in table:
            if name not in known:
                raise self.error(name, unknown_name(name, known, what))


def unknown_name(name: str, known: Set[str], what: str = "key") -> str:
    """`unknown key (did you mean 'prometheus'? known: ...)`: the problem text for a name not in `known`."""
    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown {what} ({hint}known: {', '.join(sorted(known))})"


def _names(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


@dataclass(frozen=True, slots=True)
class RawConfig:
    """The parsed TOML file and where it came from (path None: no file, defaults only)."""

    path: Path | None
    data: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> tuple[Any, ConfigContext]:
        """A top-level value and its context (an empty table when absent)."""
        return self.data.get(name, {}), ConfigContext(self.path, name)


def find_config(explicit: Path | None = None, cwd: Path | None = None) -> Path | None:
    """The config file to use: an explicit path, else ./loadwatch.toml, else $XDG_CONFIG_HOME/loadwatch/."""
    if explicit is not None:
        return explicit
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    xdg = Path(base) / "loadwatch" / CONFIG_NAME
    return xdg if xdg.is_file() else None


def load_raw(path: Path | None) -> RawConfig:
    """Read and parse the TOML file.

    Raises:
        ConfigError: the file cannot be read or is not valid TOML.
    """
    if path is None:
        return RawConfig(None, {})
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", str(exc)) from exc
    return RawConfig(path, data)


def parse_keymap(raw: RawConfig, known_ids: set[str]) -> dict[str, str]:
    """The `[keys]` table: binding id -> key(s), e.g. `abort-run = "ctrl+a"`; unknown ids are errors.

    Raises:
        ConfigError: naming the key and the ids that exist.
    """
    table, ctx = raw.section("keys")
    if not isinstance(table, dict):
        raise ConfigError(raw.path, "keys", "expected a table of binding id = key")
    keymap: dict[str, str] = {}
    for binding_id in table:
        if binding_id not in known_ids:
            raise ctx.error(binding_id, unknown_name(binding_id, known_ids, "key binding"))
        keymap[binding_id] = ctx.require(table, binding_id, str)
    return keymap
