"""Masks secrets (`-e` values, secret-looking environment variables, URL userinfo) in anything kept or shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REDACTED = "***"
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words and numbers everywhere
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASS(WORD|WD)?|API[_-]?KEY|(^|_)KEY($|_)|AUTH|CREDENTIAL|PRIVATE|SESSION|COOKIE)", re.I
)
# `scheme://user:password@host`: everything between `//` and `@` is userinfo (RFC 3986 §3.2.1).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@\"'<>]+@")
# Values that are never secrets: numbers, durations, booleans (`-e VUS=1000`, `-e DURATION=30s`).
_PLAIN = re.compile(r"(?i)^(true|false|yes|no|on|off|-?\d+(\.\d+)?([a-z]{1,2})?)$")
_PLAIN_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://[^\s/?#@]+(/[^\s?#@]*)?$")


def looks_secret(name: str) -> bool:
    """True when a variable name looks like it holds a token, password or key."""
    return bool(_SECRET_NAME.search(name))


def has_userinfo(url: str) -> bool:
    """True when a URL carries a user name or password (`http://admin:pw@host`)."""
    return bool(_USERINFO.search(url))


def strip_userinfo(text: str) -> str:
    """Replace every URL's userinfo with `***`."""
    return _USERINFO.sub(rf"\1{REDACTED}@", text)


def is_secret_env_value(name: str, value: str) -> bool:
    """Whether the value of `-e NAME=VALUE` must be masked.

    Every value is, except short ones, numbers, durations and booleans, and plain addresses (a URL with
    no userinfo and no query) under a name that does not look secret: masking `TARGET=http://127.0.0.1`
    would blank every URL k6 prints while protecting nothing.
    """
    if len(value) < MIN_SECRET_LEN:
        return False
    if looks_secret(name):
        return True
    return not (_PLAIN.match(value) or _PLAIN_URL.match(value))


def env_pairs(args: Sequence[str]) -> list[tuple[str, str]]:
    """The `(NAME, VALUE)` pairs of every `-e`/`--env` in a k6 argument list."""
    pairs: list[tuple[str, str]] = []
    it = iter(args)
    for a in it:
        pair = ""
        if a in ("-e", "--env"):
            pair = next(it, "")
        elif a.startswith(("-e=", "--env=")):
            pair = a.split("=", 1)[1]
        elif a.startswith("-e") and not a.startswith("--"):
            pair = a[2:]
        name, sep, value = pair.partition("=")
        if sep:
            pairs.append((name, value))
    return pairs


def secret_values(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """Values that must never be shown or kept: secret `-e` values and secret-looking environment variables.

    Args:
        args: The user's k6 arguments.
        env: k6's environment.

    Returns:
        The values, longest first.
    """
    values = {v for k, v in env_pairs(args) if is_secret_env_value(k, v)}
    values |= {v for k, v in env.items() if looks_secret(k) and len(v) >= MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


class Redactor:
    """Masks a fixed set of secret values and every URL userinfo; safe to share between threads."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        plain = sorted({s for s in secrets if len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)
        escaped = {json.dumps(s)[1:-1] for s in plain} - set(plain)  # as they appear inside JSON text
        self.secrets: tuple[str, ...] = (*plain, *sorted(escaped, key=len, reverse=True))
        self._pattern = re.compile("|".join(re.escape(s) for s in self.secrets)) if self.secrets else None

    def text(self, text: str) -> str:
        """The text with every secret value and URL userinfo masked."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        if "@" in text:
            text = strip_userinfo(text)
        return text

    def value(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings; keys too) with every string masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def leaks(self, text: str) -> bool:
        """True when the text still holds a secret value (a last check before writing)."""
        return self.text(text) != text
