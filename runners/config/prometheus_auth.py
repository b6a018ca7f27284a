"""The credential keys of `[prometheus]`, validated into an AuthConfig (names of variables and files, never secrets)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from collectors.prometheus_auth import AuthConfig
from runners.config.loader import ConfigContext

_SECRET_KEYS = {"password", "token", "bearer_token", "api_key", "secret", "authorization"}


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
