"""Prometheus credentials: named by environment variables or files in the config, read only when connecting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

AUTH_KEYS = frozenset(
    {"bearer_token_env", "bearer_token_file", "username", "username_env", "password_env", "password_file"}
)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Where credentials come from: environment variable names and file paths, never the secrets."""

    bearer_token_env: str | None = None
    bearer_token_file: Path | None = None
    username: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    password_file: Path | None = None

    def resolve(self) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
        """Read the secrets now.

        Returns:
            HTTP headers (a bearer token) and a basic-auth pair; None where not configured.

        Raises:
            OSError: A secret file cannot be read.
            KeyError: An environment variable is not set.
        """
        token = _secret(self.bearer_token_env, self.bearer_token_file)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        user = os.environ[self.username_env] if self.username_env else self.username
        password = _secret(self.password_env, self.password_file)
        return headers, (user, password or "") if user else None


def _secret(env: str | None, path: Path | None) -> str | None:
    if env:
        return os.environ[env]
    if path is not None:
        return path.read_text().strip()
    return None
