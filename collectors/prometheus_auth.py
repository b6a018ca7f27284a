"""Prometheus credentials: named by environment variables or files in the config, read only when connecting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.config import ConfigContext

AUTH_KEYS = frozenset(
    {"bearer_token_env", "bearer_token_file", "username", "username_env", "password_env", "password_file"}
)
_SECRET_KEYS = {"password", "token", "bearer_token", "api_key", "secret", "authorization"}


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


def reject_secrets(table: dict[str, Any], ctx: ConfigContext) -> None:
    """Refuse a literal password or token: a config file is shared, copied and recorded.

    Args:
        table: The `[prometheus]` table.
        ctx: Its context, for the error.

    Raises:
        ConfigError: Naming the key and the keys to use instead (never the value).
    """
    for key in table:
        if key.lower() in _SECRET_KEYS:
            raise ctx.error(
                key,
                "secrets must not be written in the config: use bearer_token_env, bearer_token_file, password_env or password_file",
            )


def parse_auth(table: dict[str, Any], ctx: ConfigContext) -> AuthConfig:
    """Read and check the credential keys of `[prometheus]` (variables set, files readable, one scheme).

    Args:
        table: The `[prometheus]` table.
        ctx: Its context, for errors.

    Returns:
        Where the credentials come from.

    Raises:
        ConfigError: Naming the key and the problem.
    """
    env_keys = ("bearer_token_env", "username_env", "password_env")
    env = {k: ctx.get(table, k, str, "") or None for k in env_keys}
    files = {k: ctx.get(table, k, str, "") or None for k in ("bearer_token_file", "password_file")}
    for key, name in env.items():
        if name is not None and name not in os.environ:
            raise ctx.error(key, f"environment variable {name} is not set")
    for key, path in files.items():
        if path is not None and not os.access(path, os.R_OK):
            raise ctx.error(key, f"cannot read file {path}")
    username = ctx.get(table, "username", str, "") or None
    has_user = username is not None or env["username_env"] is not None
    has_password = env["password_env"] is not None or files["password_file"] is not None
    if has_password and not has_user:
        raise ctx.error(
            "password_env" if env["password_env"] else "password_file", "needs username or username_env"
        )
    if has_user and (env["bearer_token_env"] or files["bearer_token_file"]):
        raise ctx.error("bearer_token_env", "use either a bearer token or basic auth, not both")
    return AuthConfig(
        env["bearer_token_env"],
        Path(files["bearer_token_file"]) if files["bearer_token_file"] else None,
        username,
        env["username_env"],
        env["password_env"],
        Path(files["password_file"]) if files["password_file"] else None,
    )
